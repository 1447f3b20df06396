/**
 * The gate every dial passes through, whichever dialer asks: it decides when the next dial may
 * happen (full-jitter backoff, the server's named wait or announced restart, the give-up
 * threshold and its slow retry, nothing while the OS is offline), parks the dialer until then,
 * and hands it a fresh token (refreshed first after a 401/4001, or by the REST probe). It turns
 * the close policy's decision into a time and names the state to show; the service owns the
 * state machine and the sockets.
 */
import type { ConnectionState } from '../../../shared/contract';
import { AppError, type ErrorCode } from '../../../shared/errors';
import type { Clock, TimerHandle } from '../clock';
import type { Logger } from '../logging';
import type { Metrics, ReconnectReason } from '../metrics';
import { serverDelayMs, type BackoffPolicy } from './backoff';
import type { NextStep } from './close-policy';
import type { TransitionCause } from './states';
import type { ConnectionTiming, LinkAuth } from './types';

type NextDial = number | 'now' | 'never' | null;

/** What a failed attempt or a lost link leads to; `why` is the metrics' reconnect reason. */
type Failure = Readonly<{
  why: ReconnectReason;
  reason: string;
  retryAfterMs?: number | null;
  dialAtOnce?: boolean;
  serverDirectedDelayMs?: number | null;
  cause?: TransitionCause;
}>;

const SESSION_DEAD: ReadonlySet<ErrorCode> = new Set(['TOKEN_REVOKED', 'NOT_SIGNED_IN', 'UNAUTHORIZED']);

function errorCodeOf(error: unknown): ErrorCode {
  return error instanceof AppError ? error.code : 'UNKNOWN_ERROR';
}

export type DialGateHost = Readonly<{
  state: () => ConnectionState;
  transition: (to: ConnectionState, reason: string, cause?: TransitionCause) => void;
  changed: () => void;
  /** Processes a socket whose close was not processed yet, so its outcome counts before the next dial. */
  settle: () => void;
  /** The session is dead (the token could not be had, or the REST probe said so): sign the link out. */
  endSession: () => void;
  /** Something the user must hear about (update required). */
  notice: (code: ErrorCode) => void;
}>;

export type DialGateOptions = Readonly<{
  auth: LinkAuth;
  clock: Clock;
  random: () => number;
  timing: Pick<ConnectionTiming, 'backoffBaseMs' | 'backoffCapMs' | 'giveUpAfterFailures' | 'slowRetryMs'>;
  log: Logger;
  metrics: Metrics;
  host: DialGateHost;
}>;

export class DialGate {
  /** Bumped when a session starts or ends and when the compat dialer is retired: an older ticket gets no turn. */
  private ticket = 0;
  private attemptNumber = 0;
  /** Where in the first-retry window this run of failures started (backoff.ts); null: draw anew. */
  private firstDraw: number | null = null;
  private attemptsStarted = 0;
  private failures = 0;
  private authRetries = 0;
  private next: NextDial = null;
  private needsRefresh = false;
  /** Retry now was pressed: dial even while the OS says offline. */
  private isUserForced = false;
  private isOsOffline = false;
  private waiter: (() => void) | null = null;
  private waitTimer: TimerHandle | null = null;
  /** The REST probe after a handshake that failed without a status (§8.1); one at a time. */
  private probe: Promise<void> | null = null;
  private readonly policy: BackoffPolicy;

  constructor(private readonly o: DialGateOptions) {
    this.policy = { baseMs: o.timing.backoffBaseMs, capMs: o.timing.backoffCapMs };
  }

  /** The attempt number shown; back to 0 after a stable connection or an announced restart. */
  get attempt(): number {
    return this.attemptNumber;
  }

  get started(): number {
    return this.attemptsStarted;
  }

  get nextAttemptAt(): number | null {
    return typeof this.next === 'number' ? this.next : null;
  }

  /** A dialer is parked here, waiting for its turn. */
  get isWaiting(): boolean {
    return this.waiter !== null;
  }

  get isOffline(): boolean {
    return this.isOsOffline;
  }

  setOffline(isOffline: boolean): void {
    this.isOsOffline = isOffline;
  }

  /** A session starts: counters from zero, the first dial at once. Returns the dialer's ticket. */
  open(): number {
    this.ticket += 1;
    this.attemptNumber = 0;
    this.firstDraw = null;
    this.failures = 0;
    this.authRetries = 0;
    this.needsRefresh = false;
    this.next = 'now';
    return this.ticket;
  }

  /** The session ends: a parked dialer is released and gets no token. */
  shut(): void {
    this.ticket += 1;
    this.next = null;
    this.wake();
  }

  /** The compat dialer is retired for the legacy one: a new ticket, the next dial at once, nothing counted. */
  reissue(): number {
    this.ticket += 1;
    this.wake();
    this.next = 'now';
    return this.ticket;
  }

  /**
   * Waits until the next dial may happen and returns a fresh token; null once `ticket` is no
   * longer current (closed, or the dialer was retired). Never rejects: a rejected URL provider
   * stops reconnecting-websocket for good (its issues #134, #166).
   */
  async turn(ticket: number): Promise<string | null> {
    for (;;) {
      if (ticket !== this.ticket) return null;
      // The previous socket may still be closing (connect timeout path): settle it first, so
      // two sockets are never open at once and its outcome is counted before we decide.
      this.o.host.settle();
      await this.waitForTurn();
      // A REST probe in flight may be refreshing the token: dial with its outcome, not before.
      if (this.probe !== null) await this.probe;
      if (ticket !== this.ticket) return null;
      let token: string;
      try {
        token = this.needsRefresh ? await this.o.auth.refresh() : await this.o.auth.freshAccessToken();
        this.needsRefresh = false;
      } catch (error) {
        if (ticket !== this.ticket) return null;
        const code = errorCodeOf(error);
        if (SESSION_DEAD.has(code)) {
          // Auth has ended the session and tells the core, which owns the sticky notification.
          this.o.log.warn(`dial: session ended (${code})`);
          this.o.host.endSession();
          return null;
        }
        this.attemptNumber += 1;
        this.attemptsStarted += 1;
        this.afterFailure({ why: 'auth_refresh', reason: `token unavailable (${code})` });
        continue;
      }
      if (ticket !== this.ticket) return null;
      return token;
    }
  }

  /** A dial begins, its token in hand. */
  begin(): void {
    this.isUserForced = false;
    this.attemptNumber += 1;
    this.attemptsStarted += 1;
    const state = this.o.host.state();
    if (state === 'DISCONNECTED' || state === 'ERROR') this.o.host.transition('RECONNECTING', `attempt ${this.attemptNumber}`);
    else this.o.host.changed();
  }

  connected(): void {
    this.failures = 0;
    this.authRetries = 0;
    this.next = null;
  }

  /** Connected long enough: the next loss starts the backoff from its first step. */
  stable(): void {
    this.attemptNumber = 0;
    this.firstDraw = null;
    this.o.host.changed();
  }

  /** "Retry now": the next dial goes even while the OS says offline. */
  force(): void {
    this.isUserForced = true;
  }

  /** No dial until something changes (update required, protocol rejected, waiting for the network). */
  hold(): void {
    this.next = 'never';
  }

  /** We drop the link ourselves and want the next dial at once (heartbeat timeout after resume, long sleep). */
  dialAtOnceNext(): void {
    this.next = 'now';
  }

  /** Dial at once (retry now, network back, resume, refreshed token): cuts a wait short. */
  dialNow(reason: string, why: ReconnectReason): void {
    const state = this.o.host.state();
    if (state === 'CLOSED') return;
    this.next = 'now';
    if (this.waiter !== null) {
      this.o.log.info(`dial: now (${reason})`);
      // Only a wait cut short is a reconnect of its own; mid-attempt, the attempt's end counts it.
      this.o.metrics.reconnect(why, 0);
      if (state === 'DISCONNECTED' || state === 'ERROR') this.o.host.transition('RECONNECTING', reason);
      this.wake();
    }
    this.o.host.changed();
  }

  /** Schedules the dial after a lost link or failed attempt (or none), as the close policy decided. */
  afterClose(
    step: NextStep,
    ended: Readonly<{ token: string | null; description: string; wasConnected: boolean; cause: TransitionCause }>,
  ): void {
    const { cause } = ended;
    switch (step.kind) {
      case 'update_required':
        this.next = 'never';
        this.o.host.notice('UPDATE_REQUIRED');
        this.o.host.transition('ERROR', 'update required', cause);
        return;
      case 'protocol_rejected':
        this.next = 'never';
        this.o.host.transition('ERROR', 'the server rejected the protocol (4000)', cause);
        return;
      case 'refresh':
        // The token the socket used is still the one in hand: it needs a refresh first.
        this.needsRefresh = this.o.auth.currentAccessToken() === ended.token;
        this.authRetries += 1;
        if (step.countsAsFailure) this.failures += 1;
        // One immediate retry with a fresh token; a server that keeps refusing gets the backoff.
        this.afterFailure({
          why: 'auth_refresh',
          reason: `${step.revoked ? 'session revoked' : 'token expired'}; refreshing`,
          dialAtOnce: this.authRetries <= 1,
          cause,
        });
        return;
      case 'restart': {
        // A planned restart: come back when the server said, at a moment of our own within the
        // window it needs to take everyone back. The server named it, so it is no failure, and
        // the backoff starts afresh should the server be later than it thought.
        const delayMs = step.retryAfterMs + Math.floor(this.o.random() * step.spreadMs);
        this.attemptNumber = 0;
        this.firstDraw = null;
        this.afterFailure({
          why: 'server_shutdown',
          reason: `server restarting (${ended.description}); back in ${(delayMs / 1000).toFixed(1)} s`,
          serverDirectedDelayMs: delayMs,
          cause,
        });
        return;
      }
      case 'retry':
        if (step.countsAsFailure) this.failures += 1;
        this.afterFailure({
          why: step.why,
          reason: ended.wasConnected ? `link lost (${ended.description})` : `attempt ${this.attemptNumber} failed (${ended.description})`,
          retryAfterMs: step.retryAfterMs,
          cause,
        });
        if (step.probeSession) this.probeSession(ended.token);
        return;
    }
  }

  /** Decides the next dial after a failed attempt or a lost link, and the state to show. */
  private afterFailure(next: Failure): void {
    const { host, clock, timing, metrics, random } = this.o;
    if (host.state() === 'CLOSED') return;
    const { why, reason, retryAfterMs = null, dialAtOnce = false, serverDirectedDelayMs = null, cause } = next;
    const now = clock.now();
    if (this.isOsOffline && !this.isUserForced) {
      // No reconnect is scheduled while offline: the network coming back counts one.
      this.next = 'never';
      host.transition('DISCONNECTED', 'waiting for network', cause);
      return;
    }
    let state: ConnectionState = 'RECONNECTING';
    let shown = reason;
    if (this.next === 'now' || dialAtOnce) {
      this.next = 'now';
    } else if (serverDirectedDelayMs !== null) {
      this.next = now + serverDirectedDelayMs;
    } else if (this.failures >= timing.giveUpAfterFailures) {
      this.next = now + timing.slowRetryMs;
      state = 'ERROR';
      shown = `gave up after ${this.failures} attempts (${reason}); retrying every ${Math.round(timing.slowRetryMs / 1000)} s`;
    } else {
      this.firstDraw ??= random();
      this.next = now + serverDelayMs(this.policy, this.attemptNumber, retryAfterMs, random, this.firstDraw);
    }
    metrics.reconnect(why, this.next === 'now' ? 0 : this.next - now);
    host.transition(state, shown, cause);
  }

  private waitForTurn(): Promise<void> {
    const { host, clock } = this.o;
    let due = this.next;
    const now = clock.now();
    const state = host.state();
    if (this.isOsOffline && !this.isUserForced && due !== 'now' && state !== 'CLOSED') {
      // The OS went offline after the last failure armed a backoff but before this wait began
      // (reconnecting-websocket calls us a tick after the close): burn no attempt meanwhile.
      due = 'never';
      this.next = 'never';
      if (state !== 'DISCONNECTED') host.transition('DISCONNECTED', 'waiting for network');
    }
    if (due === 'now' || (typeof due === 'number' && due <= now)) {
      this.next = null;
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => {
      this.waiter = () => {
        this.next = null;
        resolve();
      };
      if (typeof due === 'number') {
        this.waitTimer = clock.setTimeout(() => {
          this.waitTimer = null;
          this.wake();
        }, due - now);
      }
    });
  }

  private wake(): void {
    if (this.waitTimer !== null) this.o.clock.clearTimeout(this.waitTimer);
    this.waitTimer = null;
    const waiter = this.waiter;
    this.waiter = null;
    waiter?.();
  }

  /**
   * A dial failed with no HTTP status although the server took the connection (reset during
   * the upgrade, 1006 before open): a gateway may be hiding a 401. Ask REST (protocol §8.1):
   * `request` refreshes once on 401, so a new token means dial again now with it; a dead
   * session signs out; anything else leaves the backoff as it is.
   */
  private probeSession(tokenBefore: string | null): void {
    const { auth, log, host } = this.o;
    if (this.probe !== null || auth.currentAccessToken() === null) return;
    const ticket = this.ticket;
    this.probe = auth
      .request('GET', '/conversations?limit=1')
      .then(
        (response) => {
          if (ticket !== this.ticket) return;
          log.info(`probe: REST answered ${response.status} after a failed handshake`);
          if (auth.currentAccessToken() !== tokenBefore) this.dialNow('token refreshed after a failed handshake', 'auth_refresh');
        },
        (error: unknown) => {
          const code = errorCodeOf(error);
          log.info(`probe: REST failed (${code}) after a failed handshake`);
          if (ticket === this.ticket && SESSION_DEAD.has(code)) host.endSession();
        },
      )
      .finally(() => {
        this.probe = null;
      });
  }
}
