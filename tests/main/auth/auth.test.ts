import { TOTP, Secret } from 'otpauth';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { startServer, type ServerHandle } from '../../../server/index';
import { DEMO_PASSWORD } from '../../../server/seed';
import { AuthService, SESSION_SECRET_KEY } from '../../../src/main/core/auth';
import { systemClock } from '../../../src/main/core/clock';
import { createMemoryLogger } from '../../../src/main/core/logging';
import { Metrics } from '../../../src/main/core/metrics';
import { DEFAULT_TIMING } from '../../../src/main/core/options';
import { MemorySecretStore } from '../../../src/main/core/secret-store';
import type { AppError } from '../../../src/shared/errors';
import { makeTestCore } from '../../support/core';

let server: ServerHandle | null = null;
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  await server?.close();
  server = null;
});

async function setup(serverOptions: Parameters<typeof startServer>[0] = {}, margin = 0) {
  server = await startServer({ seed: true, bcryptRounds: 4, ...serverOptions });
  const secrets = new MemorySecretStore();
  const logger = createMemoryLogger();
  const auth = new AuthService({
    serverUrl: server.url,
    isDemoServer: true,
    secretStore: secrets,
    clock: systemClock,
    timing: { ...DEFAULT_TIMING, tokenRefreshMarginMs: margin, tokenRefreshRetryMs: 200, requestTimeoutMs: 2000 },
    log: logger,
    metrics: new Metrics({ defaultMetrics: false }),
  });
  cleanups.push(() => auth.dispose());
  return { server, auth, secrets, records: logger.records };
}

function totpNow(secret: string): string {
  return new TOTP({ algorithm: 'SHA1', digits: 6, period: 30, secret: Secret.fromBase32(secret) }).generate();
}

describe('auth', () => {
  it('signs in, keeps tokens only in the secret store, and never logs them', async () => {
    const { auth, secrets, records } = await setup();
    const result = await auth.login('alice@nova.local', DEMO_PASSWORD);
    expect(result).toMatchObject({ status: 'signed_in', auth: { signedIn: true, user: { email: 'alice@nova.local' } } });
    const stored = JSON.parse((await secrets.get(SESSION_SECRET_KEY)) ?? '{}') as { accessToken: string; refreshToken: string };
    expect(stored.accessToken).toMatch(/^ey/);
    const logged = JSON.stringify(records);
    expect(logged).not.toContain(stored.accessToken);
    expect(logged).not.toContain(stored.refreshToken);
  });

  it('rejects a wrong password with INVALID_CREDENTIALS', async () => {
    const { auth } = await setup();
    await expect(auth.login('alice@nova.local', 'wrong')).rejects.toMatchObject({ code: 'INVALID_CREDENTIALS' });
    expect(auth.isSignedIn).toBe(false);
  });

  it('completes the two-factor step with a TOTP code', async () => {
    const { server: s, auth } = await setup();
    const first = await auth.login('carol@nova.local', DEMO_PASSWORD);
    if (first.status !== 'two_factor_required') throw new Error('carol should need a second factor');
    const status = await auth.verifyTwoFactor(first.challengeId, totpNow(s.seed?.carol.totpSecret ?? ''));
    expect(status).toMatchObject({ signedIn: true, user: { email: 'carol@nova.local' } });
  });

  it('answers TWO_FACTOR_INVALID for a wrong code and TWO_FACTOR_REUSED for a spent backup code', async () => {
    const { server: s, auth } = await setup();
    const backup = s.seed?.carol.backupCodes[0] ?? '';
    const first = await auth.login('carol@nova.local', DEMO_PASSWORD);
    if (first.status !== 'two_factor_required') throw new Error('two-factor expected');
    await expect(auth.verifyTwoFactor(first.challengeId, '000000')).rejects.toMatchObject({ code: 'TWO_FACTOR_INVALID' });
    await auth.verifyTwoFactor(first.challengeId, backup);
    await auth.logout();
    const second = await auth.login('carol@nova.local', DEMO_PASSWORD);
    if (second.status !== 'two_factor_required') throw new Error('two-factor expected');
    await expect(auth.verifyTwoFactor(second.challengeId, backup)).rejects.toMatchObject({ code: 'TWO_FACTOR_REUSED' });
  });

  it('hears TWO_FACTOR_REUSED from the server for a backup code spent on another device', async () => {
    const { server: s, auth } = await setup();
    const backup = s.seed?.carol.backupCodes[1] ?? '';
    const first = await auth.login('carol@nova.local', DEMO_PASSWORD);
    if (first.status !== 'two_factor_required') throw new Error('two-factor expected');
    await auth.verifyTwoFactor(first.challengeId, backup);
    // A second device: nothing spent in its own secret store, so only the server can tell.
    const other = new AuthService({
      serverUrl: s.url,
      isDemoServer: true,
      secretStore: new MemorySecretStore(),
      clock: systemClock,
      timing: { ...DEFAULT_TIMING, requestTimeoutMs: 2000 },
      log: createMemoryLogger(),
      metrics: new Metrics({ defaultMetrics: false }),
    });
    cleanups.push(() => other.dispose());
    const second = await other.login('carol@nova.local', DEMO_PASSWORD);
    if (second.status !== 'two_factor_required') throw new Error('two-factor expected');
    await expect(other.verifyTwoFactor(second.challengeId, backup)).rejects.toMatchObject({ code: 'TWO_FACTOR_REUSED' });
    await expect(other.verifyTwoFactor(second.challengeId, 'deadbeef')).rejects.toMatchObject({ code: 'TWO_FACTOR_INVALID' });
  });

  it('against legacy Nova (no such code), falls back on the codes this device has spent', async () => {
    const { server: s, auth } = await setup({ legacyNova: true });
    const backup = s.seed?.carol.backupCodes[0] ?? '';
    const first = await auth.login('carol@nova.local', DEMO_PASSWORD);
    if (first.status !== 'two_factor_required') throw new Error('two-factor expected');
    await auth.verifyTwoFactor(first.challengeId, backup);
    await auth.logout();
    const second = await auth.login('carol@nova.local', DEMO_PASSWORD);
    if (second.status !== 'two_factor_required') throw new Error('two-factor expected');
    const raw = await fetch(`${s.url}/api/v1/auth/2fa/verify`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ session_id: second.challengeId, code: backup }),
    });
    expect(raw.status).toBe(401);
    expect(await raw.text()).not.toContain('TWO_FACTOR_REUSED');
    await expect(auth.verifyTwoFactor(second.challengeId, backup)).rejects.toMatchObject({ code: 'TWO_FACTOR_REUSED' });
  });

  it('refreshes with rotation: a second use of the old refresh token is refused by the server', async () => {
    const { server: s, auth, secrets } = await setup();
    await auth.login('alice@nova.local', DEMO_PASSWORD);
    const before = JSON.parse((await secrets.get(SESSION_SECRET_KEY)) ?? '{}') as { refreshToken: string; accessToken: string };
    const token = await auth.refresh();
    expect(token).not.toBe(before.accessToken);
    const replay = await fetch(`${s.url}/api/v1/auth/refresh`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ refresh_token: before.refreshToken }),
    });
    expect(replay.status).toBe(401);
  });

  it('shares one refresh between concurrent callers', async () => {
    const { auth } = await setup();
    await auth.login('alice@nova.local', DEMO_PASSWORD);
    const [a, b, c] = await Promise.all([auth.refresh(), auth.refresh(), auth.refresh()]);
    expect(new Set([a, b, c]).size).toBe(1);
    expect(auth.isSignedIn).toBe(true);
  });

  it('refreshes proactively before the access token expires', async () => {
    const { auth } = await setup({ accessTokenTtlS: 2 }, 1500);
    const causes: string[] = [];
    auth.onDidChange((cause) => causes.push(cause));
    await auth.login('alice@nova.local', DEMO_PASSWORD);
    const first = auth.currentAccessToken();
    await vi.waitFor(() => expect(causes).toContain('refreshed'), { timeout: 3000 });
    expect(auth.currentAccessToken()).not.toBe(first);
  });

  it('refreshes once on a REST 401 and repeats the call', async () => {
    let serverOffset = 0;
    const { auth } = await setup({ clock: () => Date.now() + serverOffset });
    await auth.login('alice@nova.local', DEMO_PASSWORD);
    const first = auth.currentAccessToken();
    serverOffset = 2 * 3600_000; // the server now sees the 1 h token as expired; our clock does not
    const response = await auth.request('GET', '/conversations');
    expect(response.status).toBe(200);
    expect(auth.currentAccessToken()).not.toBe(first);
  });

  it('ends the session when the refresh token is revoked', async () => {
    const { server: s, auth, secrets } = await setup();
    const causes: string[] = [];
    auth.onDidChange((cause) => causes.push(cause));
    await auth.login('alice@nova.local', DEMO_PASSWORD);
    s.control.revokeUser('alice@nova.local');
    await expect(auth.refresh()).rejects.toMatchObject({ code: 'TOKEN_REVOKED' });
    expect(causes).toEqual(['signed_in', 'revoked']);
    expect(await secrets.get(SESSION_SECRET_KEY)).toBeNull();
  });

  it('a locked-out sign-in (429) says when to try again, the right password included', async () => {
    const { auth } = await setup();
    for (let i = 0; i < 4; i += 1) {
      await expect(auth.login('alice@nova.local', `wrong ${i}`)).rejects.toMatchObject({ code: 'INVALID_CREDENTIALS' });
    }
    await expect(auth.login('alice@nova.local', 'wrong 4')).rejects.toMatchObject({
      code: 'RATE_LIMITED',
      retryAfterMs: 60_000,
      message: 'Too many failed sign-in attempts. Try again in 1 minute.',
    });
    await expect(auth.login('alice@nova.local', DEMO_PASSWORD)).rejects.toMatchObject({
      code: 'RATE_LIMITED',
      message: 'Too many failed sign-in attempts. Try again in 1 minute.',
    });
    expect(auth.isSignedIn).toBe(false);
  });

  it('a reused TOTP code is TWO_FACTOR_REUSED, and wrong codes lock the two-factor step with the wait', async () => {
    const { server: s, auth } = await setup();
    const code = totpNow(s.seed?.carol.totpSecret ?? '');
    const first = await auth.login('carol@nova.local', DEMO_PASSWORD);
    if (first.status !== 'two_factor_required') throw new Error('two-factor expected');
    await auth.verifyTwoFactor(first.challengeId, code);
    await auth.logout();
    const second = await auth.login('carol@nova.local', DEMO_PASSWORD);
    if (second.status !== 'two_factor_required') throw new Error('two-factor expected');
    // the code someone saw over the user's shoulder, typed again within its 90 s
    const reused = (await auth.verifyTwoFactor(second.challengeId, code).catch((e: unknown) => e)) as AppError;
    expect(reused).toMatchObject({ code: 'TWO_FACTOR_REUSED' });
    expect(reused.message).toMatch(/already used.*next code in your authenticator app/);
    for (let i = 0; i < 3; i += 1) {
      await expect(auth.verifyTwoFactor(second.challengeId, '000000')).rejects.toMatchObject({ code: 'TWO_FACTOR_INVALID' });
    }
    await expect(auth.verifyTwoFactor(second.challengeId, '000000')).rejects.toMatchObject({
      code: 'RATE_LIMITED',
      retryAfterMs: 60_000,
      message: 'Too many failed sign-in attempts. Try again in 1 minute.',
    });
    expect(auth.isSignedIn).toBe(false);
  });

  it('a refresh token used twice signs out "for your safety" (SESSION_COMPROMISED), not as a plain revocation', async () => {
    const { server: s, auth, secrets } = await setup();
    const changes: Array<[string, string | undefined]> = [];
    auth.onDidChange((cause, revocation) => changes.push([cause, revocation]));
    await auth.login('alice@nova.local', DEMO_PASSWORD);
    const stolen = (JSON.parse((await secrets.get(SESSION_SECRET_KEY)) ?? '{}') as { refreshToken: string }).refreshToken;
    // someone with a copy refreshes first
    const thief = await fetch(`${s.url}/api/v1/auth/refresh`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ refresh_token: stolen }),
    });
    expect(thief.status).toBe(200);
    const thiefPair = (await thief.json()) as { access_token: string };
    // the app's own refresh now presents a spent token: the server ends the whole sign-in
    await expect(auth.refresh()).rejects.toMatchObject({ code: 'TOKEN_REVOKED' });
    expect(changes).toEqual([
      ['signed_in', undefined],
      ['revoked', 'SESSION_COMPROMISED'],
    ]);
    expect(await secrets.get(SESSION_SECRET_KEY)).toBeNull();
    const thiefCall = await fetch(`${s.url}/conversations`, { headers: { Authorization: `Bearer ${thiefPair.access_token}` } });
    expect(thiefCall.status).toBe(401);
  });

  it('is wired into the core: sign in, status, sign out, restore after restart', async () => {
    server = await startServer({ seed: true, bcryptRounds: 4 });
    const secrets = new MemorySecretStore();
    const first = makeTestCore({ serverUrl: server.url, secretStore: secrets, timing: { eventBatchMs: 1 } });
    cleanups.push(first.cleanup);
    await first.core.start();
    const changes: boolean[] = [];
    first.core.events.on('auth:changed', (status) => changes.push(status.signedIn));
    await first.core.handlers['auth:login']({ email: 'bob@nova.local', password: DEMO_PASSWORD });
    await vi.waitFor(() => expect(first.core.connection.state).toBe('CONNECTED'));
    await first.core.stop();
    const second = makeTestCore({ serverUrl: server.url, secretStore: secrets });
    cleanups.push(second.cleanup);
    await second.core.start();
    expect((await second.core.handlers['auth:status']({})).user?.email).toBe('bob@nova.local');
    await vi.waitFor(() => expect(second.core.connection.state).toBe('CONNECTED'));
    await second.core.handlers['auth:logout']({});
    expect(second.core.connection.state).toBe('CLOSED');
    expect((await second.core.handlers['auth:status']({})).signedIn).toBe(false);
    expect(changes).toEqual([true]);
  });
});
