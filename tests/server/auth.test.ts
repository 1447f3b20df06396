import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeJwt } from 'jose';
import { ErrorBodySchema, TokenPairSchema, TwoFactorRequiredSchema } from '../../src/shared/protocol';
import type { ServerHandle } from '../../server/index';
import { totpFor } from '../../server/auth';
import { DEMO_PASSWORD } from '../../server/seed';
import { TestSocket, api, expectErrorBody, login, openUserSocket, startTestServer } from './helpers';

describe('auth', () => {
  let server: ServerHandle;
  let now = Date.now();
  const clock = (): number => now;

  beforeAll(async () => {
    server = await startTestServer({ clock, accessTokenTtlS: 60, refreshTokenTtlS: 600 });
  });
  afterAll(() => server.close());

  it('logs in with a token pair carrying the documented claims', async () => {
    const pair = TokenPairSchema.parse(await login(server, 'alice@nova.local'));
    expect(pair).toMatchObject({ token_type: 'Bearer', expires_in: 60 });
    const claims = decodeJwt(pair.access_token);
    expect(claims).toMatchObject({
      sub: server.seed?.users.alice,
      token_type: 'access',
      email: 'alice@nova.local',
      username: 'alice',
    });
    expect((claims.exp ?? 0) - (claims.iat ?? 0)).toBe(60);
    expect(decodeJwt(pair.refresh_token)).toMatchObject({ token_type: 'refresh' });
  });

  it('rejects bad credentials and bad bodies', async () => {
    const wrong = await api(server, 'POST', '/api/v1/auth/login', { body: { email: 'alice@nova.local', password: 'x' } });
    expect(wrong.status).toBe(401);
    expectErrorBody(wrong.body, 'UNAUTHORIZED');
    const nobody = await api(server, 'POST', '/api/v1/auth/login', { body: { email: 'who@nova.local', password: 'x' } });
    expect(nobody.status).toBe(401);
    const bad = await api(server, 'POST', '/api/v1/auth/login', { body: { email: 1 } });
    expect(bad.status).toBe(400);
  });

  it('carol: 202 with session_id, then TOTP or a single-use backup code', async () => {
    const seed = server.seed;
    if (!seed) throw new Error('no seed');
    const start = async (): Promise<string> => {
      const r = await api(server, 'POST', '/api/v1/auth/login', {
        body: { email: 'carol@nova.local', password: DEMO_PASSWORD },
      });
      expect(r.status).toBe(202);
      return TwoFactorRequiredSchema.parse(r.body).session_id;
    };
    const s1 = await start();
    const badCode = await api(server, 'POST', '/api/v1/auth/2fa/verify', { body: { session_id: s1, code: '000000' } });
    expect(badCode.status).toBe(401);
    const code = totpFor(seed.carol.totpSecret, 'carol').generate({ timestamp: now });
    const ok = await api(server, 'POST', '/api/v1/auth/2fa/verify', { body: { session_id: s1, code } });
    expect(ok.status).toBe(200);
    expect(decodeJwt(TokenPairSchema.parse(ok.body).access_token).sub).toBe(seed.users.carol);
    // a session id works once
    const reuse = await api(server, 'POST', '/api/v1/auth/2fa/verify', { body: { session_id: s1, code } });
    expect(reuse.status).toBe(401);

    expect(seed.carol.backupCodes).toHaveLength(8);
    const backup = seed.carol.backupCodes[0] ?? '';
    expect(backup).toMatch(/^[0-9a-f]{8}$/);
    const s2 = await start();
    expect((await api(server, 'POST', '/api/v1/auth/2fa/verify', { body: { session_id: s2, code: backup } })).status).toBe(200);
    const s3 = await start();
    const spent = await api(server, 'POST', '/api/v1/auth/2fa/verify', { body: { session_id: s3, code: backup } });
    expect(spent.status).toBe(401);
    // A spent code is told apart from a wrong one (an extension; Nova says UNAUTHORIZED to both).
    expectErrorBody(spent.body, 'TWO_FACTOR_REUSED');
    const wrongBackup = await api(server, 'POST', '/api/v1/auth/2fa/verify', { body: { session_id: s3, code: 'deadbeef' } });
    expect(wrongBackup.status).toBe(401);
    expectErrorBody(wrongBackup.body, 'UNAUTHORIZED');
    // backup codes are stored hashed, never in clear
    const stored = server.control.db().prepare('SELECT code_hash FROM backup_codes').pluck().all() as string[];
    expect(stored.some((h) => h.includes(backup))).toBe(false);
    expect(stored.every((h) => h.startsWith('$2'))).toBe(true);
  });

  it('refresh rotates: the old refresh token stops working', async () => {
    const pair = await login(server, 'bob@nova.local');
    const r1 = await api(server, 'POST', '/api/v1/auth/refresh', { body: { refresh_token: pair.refresh_token } });
    expect(r1.status).toBe(200);
    const next = TokenPairSchema.parse(r1.body);
    expect((await api(server, 'GET', '/conversations', { token: next.access_token })).status).toBe(200);
    // an access token is not a refresh token, nor the other way round
    const swapped = await api(server, 'POST', '/api/v1/auth/refresh', { body: { refresh_token: next.access_token } });
    expect(swapped.status).toBe(401);
    expect((await api(server, 'GET', '/conversations', { token: next.refresh_token })).status).toBe(401);
  });

  it('a spent refresh token coming back ends the whole sign-in and closes its sockets with 4001', async () => {
    const stolen = await login(server, 'bob@nova.local');
    const elsewhere = await login(server, 'bob@nova.local');
    // the thief refreshes first and now holds the only live pair of that sign-in
    const thief = TokenPairSchema.parse((await api(server, 'POST', '/api/v1/auth/refresh', { body: { refresh_token: stolen.refresh_token } })).body);
    const thiefSocket = await openUserSocket(server, thief.access_token);
    const otherSocket = await openUserSocket(server, elsewhere.access_token);
    // the user's app, still holding the spent token, refreshes
    const reuse = await api(server, 'POST', '/api/v1/auth/refresh', { body: { refresh_token: stolen.refresh_token } });
    expect(reuse.status).toBe(401);
    expectErrorBody(reuse.body, 'REFRESH_REUSED');
    expect(await thiefSocket.nextOfType('error')).toMatchObject({ error_code: 'REFRESH_REUSED' });
    expect(await thiefSocket.closed).toEqual({ code: 4001, reason: 'refresh_reused' });
    // every token of the family is dead, and says why
    for (const token of [thief.access_token, stolen.access_token]) {
      const r = await api(server, 'GET', '/conversations', { token });
      expect(r.status).toBe(401);
      expectErrorBody(r.body, 'REFRESH_REUSED');
    }
    const thiefRefresh = await api(server, 'POST', '/api/v1/auth/refresh', { body: { refresh_token: thief.refresh_token } });
    expectErrorBody(thiefRefresh.body, 'REFRESH_REUSED');
    const upgrade = (await TestSocket.open(server.wsUrl, { token: thief.access_token }).catch((e: unknown) => e)) as { status: number; body: string };
    expect(upgrade.status).toBe(401);
    expect(JSON.parse(upgrade.body)).toMatchObject({ code: 'REFRESH_REUSED' });
    // bob's other sign-in is not that family: untouched
    await otherSocket.roundTrip();
    expect((await api(server, 'GET', '/conversations', { token: elsewhere.access_token })).status).toBe(200);
    otherSocket.close();
    // and bob can sign in again
    await login(server, 'bob@nova.local');
  });

  it('two refreshes racing with one token: one pair is issued, and the reuse kills it', async () => {
    const pair = await login(server, 'alice@nova.local');
    const body = { refresh_token: pair.refresh_token };
    const answers = await Promise.all([
      api(server, 'POST', '/api/v1/auth/refresh', { body }),
      api(server, 'POST', '/api/v1/auth/refresh', { body }),
    ]);
    expect(answers.map((a) => a.status).sort()).toEqual([200, 401]);
    const issued = TokenPairSchema.parse(answers.find((a) => a.status === 200)?.body);
    expectErrorBody(answers.find((a) => a.status === 401)?.body, 'REFRESH_REUSED');
    expectErrorBody((await api(server, 'GET', '/conversations', { token: issued.access_token })).body, 'REFRESH_REUSED');
  });

  it('logout revokes access and refresh tokens and closes that session’s sockets with 4001', async () => {
    const pair = await login(server, 'bob@nova.local');
    const other = await login(server, 'bob@nova.local');
    const s = await openUserSocket(server, pair.access_token);
    const keep = await openUserSocket(server, other.access_token);
    const out = await api(server, 'POST', '/api/v1/auth/logout', { token: pair.access_token, body: {} });
    expect(out.status).toBe(200);
    expect(await s.nextOfType('error')).toMatchObject({ error_code: 'TOKEN_REVOKED' });
    expect(await s.closed).toEqual({ code: 4001, reason: 'token_revoked' });
    const after = await api(server, 'GET', '/conversations', { token: pair.access_token });
    expect(after.status).toBe(401);
    expectErrorBody(after.body, 'TOKEN_REVOKED');
    const refresh = await api(server, 'POST', '/api/v1/auth/refresh', { body: { refresh_token: pair.refresh_token } });
    expectErrorBody(refresh.body, 'TOKEN_REVOKED');
    await keep.roundTrip();
    keep.close();
  });

  it('expired tokens get 401 TOKEN_EXPIRED on REST and at the upgrade; open sockets close 4001', async () => {
    const pair = await login(server, 'alice@nova.local');
    const s = await openUserSocket(server, pair.access_token);
    now += 61_000;
    try {
      const r = await api(server, 'GET', '/conversations', { token: pair.access_token });
      expect(r.status).toBe(401);
      expect(ErrorBodySchema.parse(r.body).code).toBe('TOKEN_EXPIRED');
      const up = (await TestSocket.open(server.wsUrl, { token: pair.access_token }).catch((e: unknown) => e)) as {
        status: number;
        body: string;
      };
      expect(up.status).toBe(401);
      expect(JSON.parse(up.body)).toMatchObject({ code: 'TOKEN_EXPIRED' });
      s.send({ type: 'ping' });
      expect(await s.nextOfType('error')).toMatchObject({ error_code: 'TOKEN_EXPIRED' });
      expect((await s.closed).code).toBe(4001);
      // the refresh token outlives the access token
      const r2 = await api(server, 'POST', '/api/v1/auth/refresh', { body: { refresh_token: pair.refresh_token } });
      expect(r2.status).toBe(200);
    } finally {
      now = Date.now();
    }
  });
});
