import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { AuthStatus, LoginResult, Unsubscribe, User } from '../../../shared/contract';
import { TokenPairSchema, TwoFactorRequiredSchema } from '../../../shared/protocol';
import { AppError, describeSignInWait } from '../../../shared/errors';
import type { Clock, TimerHandle } from '../clock';
import type { LinkResponse } from '../link';
import type { Logger } from '../logging';
import type { Metrics } from '../metrics';
import type { SecretStore } from '../secret-store';
import { endpointRole } from './endpoints';
import { describeRefusal, httpExchange, type ServerRefusal } from './http';
import { readClaims } from './jwt';

/** The one secret-store key holding the session; never written anywhere else. */
export const SESSION_SECRET_KEY = 'nova.session';
/** Hashes of backup codes this device has spent, so a reuse gets its own message. */
const USED_BACKUP_CODES_KEY = 'nova.usedBackupCodes';
const BACKUP_CODE = /^[0-9a-f]{8}$/i;

function hashCode(code: string): string {
  return createHash('sha256').update(code.toLowerCase()).digest('hex');
}

const SessionSchema = z.object({
  accessToken: z.string(),
  refreshToken: z.string(),
  accessExpiresAt: z.number(),
  user: z.object({ id: z.string(), email: z.string(), username: z.string() }),
});
type Session = z.infer<typeof SessionSchema>;

/** Why the session changed, so the core can tell a revoked session from a chosen sign-out. */
export type AuthChangeCause = 'signed_in' | 'signed_out' | 'revoked' | 'refreshed';

/**
 * With 'revoked', what the user is told: the server ended the session (`TOKEN_REVOKED`), or it
 * ended it because the session's refresh token came back twice, which means someone else may
 * hold a copy (`SESSION_COMPROMISED`).
 */
export type RevocationCode = 'TOKEN_REVOKED' | 'SESSION_COMPROMISED';

export type AuthChangeListener = (cause: AuthChangeCause, revocation?: RevocationCode) => void;

export type AuthTiming = Readonly<{
  /** Refresh this long before the access token expires. */
  tokenRefreshMarginMs: number;
  /** After a refresh failed for a transient reason, try again this much later. */
  tokenRefreshRetryMs: number;
  requestTimeoutMs: number;
}>;

export type AuthServiceOptions = Readonly<{
  serverUrl: string;
  isDemoServer: boolean;
  secretStore: SecretStore;
  clock: Clock;
  timing: AuthTiming;
  log: Logger;
  /** Auth events and every REST call's role, status class and duration (no ids, no tokens). */
  metrics: Metrics;
}>;

/**
 * Sign-in, two-factor, refresh with rotation, sign-out, and authenticated REST. Tokens live only
 * in the secret store and in memory; log lines name the operation and the outcome, never a token.
 */
export class AuthService {
  private session: Session | null = null;
  private refreshing: Promise<string> | null = null;
  private refreshTimer: TimerHandle | null = null;
  private readonly listeners = new Set<AuthChangeListener>();
  private disposed = false;

  constructor(private readonly options: AuthServiceOptions) {}

  /** Restores a stored session (the app restarted while signed in). */
  async load(): Promise<void> {
    const stored = await this.options.secretStore.get(SESSION_SECRET_KEY);
    if (stored === null) return;
    try {
      const parsed = SessionSchema.safeParse(JSON.parse(stored));
      if (parsed.success) {
        this.session = parsed.data;
        this.scheduleRefresh();
        this.options.log.info(`load: session restored for user ${parsed.data.user.id}`);
      }
    } catch {
      this.options.log.warn('load: stored session unreadable; signed out');
    }
  }

  onDidChange(listener: AuthChangeListener): Unsubscribe {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  get user(): User | null {
    return this.session?.user ?? null;
  }

  get isSignedIn(): boolean {
    return this.session !== null;
  }

  status(): AuthStatus {
    return {
      signedIn: this.session !== null,
      user: this.session?.user ?? null,
      serverUrl: this.options.serverUrl,
      isDemoServer: this.options.isDemoServer,
    };
  }

  async login(email: string, password: string): Promise<LoginResult> {
    return this.counting('login_failed', () => this.doLogin(email, password));
  }

  async verifyTwoFactor(challengeId: string, code: string): Promise<AuthStatus> {
    return this.counting('two_factor_failed', () => this.doVerifyTwoFactor(challengeId, code));
  }

  private async doLogin(email: string, password: string): Promise<LoginResult> {
    const response = await this.post('/api/v1/auth/login', { email, password });
    if (response.status === 202) {
      const challenge = TwoFactorRequiredSchema.safeParse(response.body);
      if (!challenge.success) throw new AppError('SERVER_ERROR', 'The server asked for a second factor without a session.');
      this.options.log.info('login: two-factor step required');
      this.options.metrics.authEvent('two_factor_required');
      return { status: 'two_factor_required', challengeId: challenge.data.session_id };
    }
    if (response.status === 200) {
      await this.adopt(response.body, 'signed_in');
      return { status: 'signed_in', auth: this.status() };
    }
    const refusal = describeRefusal(response, this.options.clock.now());
    this.options.log.warn(`login: refused (${response.status} ${refusal.serverCode ?? refusal.code})`);
    if (response.status === 401) throw new AppError('INVALID_CREDENTIALS');
    throw signInRefusal(refusal);
  }

  private async doVerifyTwoFactor(challengeId: string, code: string): Promise<AuthStatus> {
    const trimmed = code.trim();
    const response = await this.post('/api/v1/auth/2fa/verify', { session_id: challengeId, code: trimmed });
    const isBackupCode = BACKUP_CODE.test(trimmed);
    if (response.status === 200) {
      if (isBackupCode) await this.rememberBackupCode(trimmed);
      await this.adopt(response.body, 'signed_in');
      return this.status();
    }
    const refusal = describeRefusal(response, this.options.clock.now());
    this.options.log.warn(`verify2fa: refused (${response.status} ${refusal.serverCode ?? refusal.code})`);
    if (response.status === 401 || response.status === 400) {
      // Our server says TWO_FACTOR_REUSED; Nova answers a spent backup code like a wrong one
      // (401), so a server text saying so, or our own record of codes spent on this device,
      // is the fallback that still tells the user why it failed.
      const reused =
        refusal.serverCode === 'TWO_FACTOR_REUSED' ||
        /already used|reused|used before/i.test(refusal.message) ||
        (isBackupCode && (await this.usedBackupCodes()).includes(hashCode(trimmed)));
      throw new AppError(reused ? 'TWO_FACTOR_REUSED' : 'TWO_FACTOR_INVALID');
    }
    throw signInRefusal(refusal);
  }

  /** Signs out here whatever the server says; the server call only revokes the session there. */
  async logout(): Promise<void> {
    const session = this.session;
    if (session === null) return;
    this.options.metrics.authEvent('logout');
    try {
      await this.exchange('/api/v1/auth/logout', {
        method: 'POST',
        headers: { Authorization: `Bearer ${session.accessToken}` },
        body: { refresh_token: session.refreshToken },
        timeoutMs: this.options.timing.requestTimeoutMs,
      });
    } catch (error) {
      this.options.log.warn(`logout: server not told (${error instanceof AppError ? error.code : 'error'})`);
    }
    await this.end('signed_out');
  }

  /** The token as it is now, without any network I/O (may be close to expiry). */
  currentAccessToken(): string | null {
    return this.session?.accessToken ?? null;
  }

  /** A token that is valid for at least the refresh margin; refreshes first when needed. */
  async freshAccessToken(): Promise<string> {
    const session = this.session;
    if (session === null) throw new AppError('NOT_SIGNED_IN');
    if (session.accessExpiresAt - this.options.clock.now() > this.options.timing.tokenRefreshMarginMs) {
      return session.accessToken;
    }
    return this.refresh();
  }

  /**
   * Exchanges the refresh token (single flight: concurrent callers share one request, because
   * rotation makes the second use of a refresh token look like theft). A refusal ends the session.
   */
  refresh(): Promise<string> {
    this.refreshing ??= this.doRefresh()
      .catch((error: unknown) => {
        // Without a session there was nothing to refresh: that is no failed refresh.
        if (!(error instanceof AppError && error.code === 'NOT_SIGNED_IN')) this.options.metrics.authEvent('refresh_failed');
        throw error;
      })
      .finally(() => {
        this.refreshing = null;
      });
    return this.refreshing;
  }

  /** Authenticated REST; refreshes once on 401 and repeats the call with the new token. */
  async request(
    method: 'GET' | 'POST' | 'PUT' | 'DELETE',
    path: string,
    body?: unknown,
    headers: Readonly<Record<string, string>> = {},
  ): Promise<LinkResponse> {
    const first = await this.requestOnce(method, path, body, headers, await this.freshAccessToken());
    if (first.status !== 401) return first;
    const refusal = describeRefusal(first, this.options.clock.now());
    if (refusal.code === 'TOKEN_REVOKED' || refusal.code === 'SESSION_COMPROMISED') {
      await this.end('revoked', refusal.code);
      throw new AppError('TOKEN_REVOKED');
    }
    const token = await this.refresh();
    this.options.metrics.httpRetry('auth_refresh');
    return this.requestOnce(method, path, body, headers, token);
  }

  /** Called when the session is known dead from elsewhere (a 4001 `token_revoked`). */
  async revoked(): Promise<void> {
    if (this.session === null) return;
    await this.end('revoked');
  }

  dispose(): void {
    this.disposed = true;
    this.clearRefreshTimer();
    this.listeners.clear();
  }

  private async requestOnce(
    method: string,
    path: string,
    body: unknown,
    headers: Readonly<Record<string, string>>,
    token: string,
  ): Promise<LinkResponse> {
    return this.exchange(path, {
      method,
      headers: { ...headers, Authorization: `Bearer ${token}` },
      ...(body !== undefined ? { body } : {}),
      timeoutMs: this.options.timing.requestTimeoutMs,
    });
  }

  private async doRefresh(): Promise<string> {
    const session = this.session;
    if (session === null) throw new AppError('NOT_SIGNED_IN');
    let response: LinkResponse;
    try {
      response = await this.post('/api/v1/auth/refresh', { refresh_token: session.refreshToken });
    } catch (error) {
      // Offline or timed out: keep the session and try again later (or on the next dial).
      if (this.session === session) this.scheduleRefresh(this.options.timing.tokenRefreshRetryMs);
      throw error;
    }
    if (this.session !== session) {
      // Signed out (or in again) while the refresh was in flight: the answer is stale.
      throw new AppError('NOT_SIGNED_IN');
    }
    if (response.status === 200) {
      await this.adopt(response.body, 'refreshed');
      return this.session.accessToken;
    }
    const refusal = describeRefusal(response, this.options.clock.now());
    if (response.status === 401 || response.status === 403) {
      this.options.log.warn(`refresh: refused (${refusal.serverCode ?? refusal.code}); session ended`);
      // Callers (connection, outbox) only need to know the session is dead; the reason goes to
      // the user through the change event.
      await this.end('revoked', refusal.code === 'SESSION_COMPROMISED' ? 'SESSION_COMPROMISED' : 'TOKEN_REVOKED');
      throw new AppError('TOKEN_REVOKED');
    }
    this.options.log.warn(`refresh: failed (${response.status} ${refusal.code}); will retry`);
    this.scheduleRefresh(this.options.timing.tokenRefreshRetryMs);
    throw new AppError(refusal.code, undefined, refusal.retryAfterMs);
  }

  private async usedBackupCodes(): Promise<string[]> {
    try {
      const parsed: unknown = JSON.parse((await this.options.secretStore.get(USED_BACKUP_CODES_KEY)) ?? '[]');
      return Array.isArray(parsed) ? parsed.filter((item): item is string => typeof item === 'string') : [];
    } catch {
      return [];
    }
  }

  private async rememberBackupCode(code: string): Promise<void> {
    const used = await this.usedBackupCodes();
    // Nova issues 10 codes per enrolment; a short tail is all we ever need.
    const next = [...used.filter((hash) => hash !== hashCode(code)), hashCode(code)].slice(-20);
    await this.options.secretStore.set(USED_BACKUP_CODES_KEY, JSON.stringify(next));
  }

  private async adopt(body: unknown, cause: AuthChangeCause): Promise<void> {
    const pair = TokenPairSchema.safeParse(body);
    if (!pair.success) throw new AppError('SERVER_ERROR', 'The server answered the sign-in without tokens.');
    const claims = readClaims(pair.data.access_token);
    const userId = pair.data.user_id ?? claims?.sub;
    if (userId === undefined) throw new AppError('SERVER_ERROR', 'The server issued a token without a user.');
    const previous = this.session?.user;
    const session: Session = {
      accessToken: pair.data.access_token,
      refreshToken: pair.data.refresh_token,
      accessExpiresAt: this.options.clock.now() + pair.data.expires_in * 1000,
      user: {
        id: userId,
        email: claims?.email ?? previous?.email ?? '',
        username: claims?.username ?? previous?.username ?? '',
      },
    };
    this.session = session;
    await this.options.secretStore.set(SESSION_SECRET_KEY, JSON.stringify(session));
    this.scheduleRefresh();
    this.options.log.info(`${cause === 'refreshed' ? 'refresh' : 'login'}: ok for user ${userId}`);
    this.options.metrics.authEvent(cause === 'refreshed' ? 'refresh' : 'login');
    this.emit(cause);
  }

  private async end(cause: 'signed_out' | 'revoked', revocation: RevocationCode = 'TOKEN_REVOKED'): Promise<void> {
    if (this.session === null) return;
    this.session = null;
    this.clearRefreshTimer();
    await this.options.secretStore.delete(SESSION_SECRET_KEY);
    this.options.log.info(`session: ended (${cause === 'revoked' ? `revoked, ${revocation}` : cause})`);
    if (cause === 'revoked') this.options.metrics.authEvent('revoked');
    this.emit(cause, cause === 'revoked' ? revocation : undefined);
  }

  private scheduleRefresh(delayMs?: number): void {
    this.clearRefreshTimer();
    const session = this.session;
    if (session === null || this.disposed) return;
    const due =
      delayMs ??
      Math.max(0, session.accessExpiresAt - this.options.timing.tokenRefreshMarginMs - this.options.clock.now());
    this.refreshTimer = this.options.clock.setTimeout(() => {
      this.refreshTimer = null;
      this.refresh().catch((error: unknown) => {
        // Transient failures re-arm inside doRefresh; revocation already ended the session.
        this.options.log.debug(`refresh: proactive attempt failed (${error instanceof AppError ? error.code : 'error'})`);
      });
    }, due);
  }

  private clearRefreshTimer(): void {
    if (this.refreshTimer) this.options.clock.clearTimeout(this.refreshTimer);
    this.refreshTimer = null;
  }

  private emit(cause: AuthChangeCause, revocation?: RevocationCode): void {
    for (const listener of [...this.listeners]) listener(cause, revocation);
  }

  private post(path: string, body: unknown): Promise<LinkResponse> {
    return this.exchange(path, { method: 'POST', body, timeoutMs: this.options.timing.requestTimeoutMs });
  }

  /** Every REST call passes here, so each one is counted by role and status class, and timed. */
  private async exchange(path: string, init: Parameters<typeof httpExchange>[1]): Promise<LinkResponse> {
    const role = endpointRole(init.method, path);
    const startedAt = this.options.clock.now();
    const seconds = (): number => (this.options.clock.now() - startedAt) / 1000;
    try {
      const response = await httpExchange(this.url(path), init);
      this.options.metrics.httpRequest(role, response.status, seconds());
      return response;
    } catch (error) {
      const outcome = error instanceof AppError && error.code === 'TIMEOUT' ? 'timeout' : 'network_error';
      this.options.metrics.httpRequest(role, outcome, seconds());
      throw error;
    }
  }

  /** Runs one step of signing in; any failure (refused, offline, malformed answer) counts `event`. */
  private async counting<T>(event: 'login_failed' | 'two_factor_failed', step: () => Promise<T>): Promise<T> {
    try {
      return await step();
    } catch (error) {
      this.options.metrics.authEvent(event);
      throw error;
    }
  }

  private url(path: string): string {
    return new URL(path, this.options.serverUrl).toString();
  }
}

/**
 * A refused sign-in step that is not a wrong password or code. A lockout (429) says when to try
 * again: nothing retries a sign-in on the user's behalf, so "Nova will retry shortly" would be false.
 */
function signInRefusal(refusal: ServerRefusal): AppError {
  if (refusal.status === 429) return new AppError('RATE_LIMITED', describeSignInWait(refusal.retryAfterMs), refusal.retryAfterMs);
  return new AppError(refusal.code, undefined, refusal.retryAfterMs);
}
