import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import type { ServerHandle } from '../../server/index';
import { TestSocket, api, expectErrorBody, faults, login, openUserSocket, rawRequest, startTestServer } from './helpers';
import { DEMO_PASSWORD } from '../../src/shared/demo';

describe('faults (control API)', () => {
  let server: ServerHandle;
  let token: string;
  let direct: string;

  beforeAll(async () => {
    server = await startTestServer();
    token = (await login(server, 'alice@nova.local')).access_token;
    direct = server.seed?.conversations.direct ?? '';
  });
  afterEach(() => server.control.reset());
  afterAll(() => server.close());

  it('dropAllSockets destroys connections (1006) or closes with a given code', async () => {
    const a = await openUserSocket(server, token);
    const b = await openUserSocket(server, token);
    expect(server.control.socketCount('alice@nova.local')).toBe(2);
    expect(server.control.dropAllSockets()).toBe(2);
    expect((await a.closed).code).toBe(1006);
    expect((await b.closed).code).toBe(1006);
    const c = await openUserSocket(server, token);
    server.control.dropAllSockets({ code: 4029, reason: 'slow down' });
    expect(await c.closed).toEqual({ code: 4029, reason: 'slow down' });
    expect(server.control.socketCount()).toBe(0);
  });

  it("halfOpen('upgrades') accepts TCP but never answers the upgrade", async () => {
    const attempts = server.control.connectionAttempts();
    server.control.halfOpen('upgrades');
    await expect(TestSocket.open(server.wsUrl, { token, timeoutMs: 300 })).rejects.toThrow(/timed out/i);
    expect(server.control.connectionAttempts()).toBe(attempts + 1);
    // REST keeps working: only upgrades hang
    expect((await api(server, 'GET', '/health')).status).toBe(200);
    server.control.halfOpen('off');
    const s = await openUserSocket(server, token);
    s.close();
  });

  it("halfOpen('freeze') keeps sockets open but mute, protocol pings included, until thawed", async () => {
    const s = await openUserSocket(server, token);
    server.control.halfOpen('freeze');
    let protocolPong = false;
    s.ws.on('pong', () => {
      protocolPong = true;
    });
    s.ws.ping();
    s.send({ type: 'ping', ts: 7 });
    await expect(s.nextOfType('pong', 300)).rejects.toThrow(/no matching frame/);
    expect(protocolPong).toBe(false);
    expect(s.ws.readyState).toBe(s.ws.OPEN);
    // new sockets hang as well while frozen
    await expect(TestSocket.open(server.wsUrl, { token, timeoutMs: 200 })).rejects.toThrow(/timed out/i);
    server.control.halfOpen('off');
    expect(await s.nextOfType('pong')).toMatchObject({ ts: 7 });
    expect(protocolPong).toBe(true);
    s.close();
  });

  it('delayAcks(ms) holds WS acks and REST send responses', async () => {
    const s = await openUserSocket(server, token);
    server.control.delayAcks(250);
    const t0 = performance.now();
    s.send({ type: 'send', conversation_id: direct, idempotency_key: randomUUID(), plaintext: 'slow' });
    await s.nextOfType('ack');
    expect(performance.now() - t0).toBeGreaterThanOrEqual(240);
    const t1 = performance.now();
    const r = await api(server, 'POST', `/conversations/${direct}/messages`, { token, body: { plaintext: 'slow rest' } });
    expect(r.status).toBe(200);
    expect(performance.now() - t1).toBeGreaterThanOrEqual(240);
    s.close();
  });

  it('failNextSends(n, …) fails exactly n sends with the given nack code or status', async () => {
    const s = await openUserSocket(server, token);
    server.control.failNextSends(2, { nackCode: 'INTERNAL_ERROR' });
    const before = server.control.listMessages(direct).length;
    for (const k of ['f1', 'f2', 'f3']) {
      s.send({ type: 'send', conversation_id: direct, idempotency_key: k, plaintext: k });
    }
    expect(await s.next((f) => f['idempotency_key'] === 'f1')).toMatchObject({ type: 'nack', code: 'INTERNAL_ERROR', retryable: true });
    expect(await s.next((f) => f['idempotency_key'] === 'f2')).toMatchObject({ type: 'nack' });
    expect(await s.next((f) => f['idempotency_key'] === 'f3')).toMatchObject({ type: 'ack', status: 'accepted' });
    expect(server.control.listMessages(direct).length).toBe(before + 1);

    server.control.failNextSends(1, { nackCode: 'FORBIDDEN', retryable: false });
    s.send({ type: 'send', conversation_id: direct, idempotency_key: 'f4', plaintext: 'x' });
    expect(await s.nextOfType('nack')).toMatchObject({ code: 'FORBIDDEN', retryable: false });

    server.control.failNextSends(1, { status: 500 });
    const r = await api(server, 'POST', `/conversations/${direct}/messages`, { token, body: { plaintext: 'x' } });
    expect(r.status).toBe(500);
    expectErrorBody(r.body, 'INTERNAL_ERROR');
    server.control.failNextSends(1, { status: 429 });
    const r2 = await api(server, 'POST', `/conversations/${direct}/messages`, { token, body: { plaintext: 'x' } });
    expect(r2.status).toBe(429);
    s.close();
  });

  it('throttleNextSends(n, ms) answers n sends with 429 RATE_LIMITED naming the wait, on WS and REST', async () => {
    const s = await openUserSocket(server, token);
    const before = server.control.listMessages(direct).length;
    server.control.throttleNextSends(2, 2500);
    s.send({ type: 'send', conversation_id: direct, idempotency_key: 't1', plaintext: 't1' });
    expect(await s.next((f) => f['idempotency_key'] === 't1')).toMatchObject({
      type: 'nack',
      code: 'RATE_LIMITED',
      retryable: true,
      retry_after_ms: 2500,
    });
    const r = await api(server, 'POST', `/conversations/${direct}/messages`, { token, body: { plaintext: 't2' } });
    expect(r.status).toBe(429);
    expectErrorBody(r.body, 'RATE_LIMITED');
    // Retry-After is whole seconds, rounded up so a client never comes back early.
    expect(r.headers.get('retry-after')).toBe('3');
    expect((r.body as { retry_after_ms: number }).retry_after_ms).toBe(2500);
    // Injected refusals store nothing; the third send goes through.
    expect(server.control.listMessages(direct).length).toBe(before);
    s.send({ type: 'send', conversation_id: direct, idempotency_key: 't3', plaintext: 't3' });
    expect(await s.next((f) => f['idempotency_key'] === 't3')).toMatchObject({ type: 'ack', status: 'accepted' });
    s.close();
  });

  it('unavailable(ms) answers 503 with Retry-After on REST and upgrades, then recovers', async () => {
    server.control.unavailable(5000);
    const r = await api(server, 'GET', '/conversations', { token });
    expect(r.status).toBe(503);
    expectErrorBody(r.body, 'SERVICE_UNAVAILABLE');
    expect(Number(r.headers.get('retry-after'))).toBeGreaterThanOrEqual(4);
    expect((r.body as { retry_after_ms: number }).retry_after_ms).toBeGreaterThan(4000);
    const up = (await TestSocket.open(server.wsUrl, { token }).catch((e: unknown) => e)) as { status: number; headers: Record<string, string> };
    expect(up.status).toBe(503);
    expect(up.headers['retry-after']).toBeDefined();
    server.control.unavailable(0);
    expect((await api(server, 'GET', '/conversations', { token })).status).toBe(200);
  });

  it('revokeUser sends an error frame, closes 4001 and kills every token of the user', async () => {
    const pair = await login(server, 'bob@nova.local');
    const s = await openUserSocket(server, pair.access_token);
    expect(server.control.revokeUser('bob@nova.local')).toBe(1);
    expect(await s.nextOfType('error')).toMatchObject({ error_code: 'TOKEN_REVOKED' });
    expect(await s.closed).toEqual({ code: 4001, reason: 'token_revoked' });
    const r = await api(server, 'GET', '/conversations', { token: pair.access_token });
    expectErrorBody(r.body, 'TOKEN_REVOKED');
    const refresh = await api(server, 'POST', '/api/v1/auth/refresh', { body: { refresh_token: pair.refresh_token } });
    expectErrorBody(refresh.body, 'TOKEN_REVOKED');
    const fresh = await login(server, 'bob@nova.local');
    expect((await api(server, 'GET', '/conversations', { token: fresh.access_token })).status).toBe(200);
  });

  it('rejectLogins refuses sign-in (503 by default, or a given status) until turned off', async () => {
    server.control.rejectLogins(true);
    const r = await api(server, 'POST', '/api/v1/auth/login', { body: { email: 'bob@nova.local', password: DEMO_PASSWORD } });
    expect(r.status).toBe(503);
    expectErrorBody(r.body, 'SERVICE_UNAVAILABLE');
    server.control.rejectLogins(true, { status: 401 });
    expect((await api(server, 'POST', '/api/v1/auth/login', { body: { email: 'bob@nova.local', password: DEMO_PASSWORD } })).status).toBe(401);
    server.control.rejectLogins(false);
    await login(server, 'bob@nova.local');
  });

  it('restart closes sockets with 1001 and comes back on the same port with the data', async () => {
    const s = await openUserSocket(server, token);
    const port = server.port;
    const count = server.control.listMessages(direct).length;
    await server.control.restart({ downMs: 50 });
    expect((await s.closed).code).toBe(1001);
    expect(server.port).toBe(port);
    expect(server.control.listMessages(direct)).toHaveLength(count);
    const again = await openUserSocket(server, token);
    again.close();
  });

  it('an announced restart sends a reconnect hint, closes with 1012, and keeps the time it named', async () => {
    const sockets = [await openUserSocket(server, token), await openUserSocket(server, token)];
    const open = server.control.stats().sockets;
    const started = Date.now();
    await server.control.restart({ downMs: 300, announce: true });
    // Back no sooner than announced: closing was part of the 300 ms, not added to it.
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    for (const s of sockets) {
      expect(await s.closed).toEqual({ code: 1012, reason: 'service_restart' });
      const hint = s.frames.find((frame) => frame.type === 'reconnect');
      // No admission limit on this server: every open socket at 80 % of the assumed 500/s.
      expect(hint).toEqual({ type: 'reconnect', retry_after_ms: 300, spread_ms: Math.ceil((open * 1000) / 400), reason: 'restart' });
    }
    (await openUserSocket(server, token)).close();
  });

  it('a crash restart destroys the connections with no close frame and no hint', async () => {
    const s = await openUserSocket(server, token);
    await server.control.restart({ downMs: 50, crash: true });
    expect((await s.closed).code).toBe(1006);
    expect(s.frames.some((frame) => frame.type === 'reconnect')).toBe(false);
  });
});

describe('faults admin endpoint', () => {
  it('is mounted only with faultsEndpoint and drives the same control', async () => {
    const server = await startTestServer({ faultsEndpoint: true });
    const plain = await startTestServer();
    try {
      expect(plain.faultsToken).toBeNull();
      expect((await api(plain, 'POST', '/__faults/unavailable', { body: { ms: 1000 } })).status).toBe(404);
      expect((await faults(server, 'POST', 'unavailable', { ms: 60_000 })).status).toBe(200);
      expect((await api(server, 'GET', '/health')).status).toBe(503);
      const state = await faults(server, 'GET', 'state');
      expect((state.body as { faults: { unavailableUntilMs: number } }).faults.unavailableUntilMs).toBeGreaterThan(0);
      expect((await faults(server, 'POST', 'reset')).status).toBe(200);
      expect((await api(server, 'GET', '/health')).status).toBe(200);
      const token = (await login(server, 'alice@nova.local')).access_token;
      const s = await openUserSocket(server, token);
      const dropped = await faults(server, 'POST', 'drop-sockets', {});
      expect(dropped.body).toMatchObject({ ok: true, result: 1 });
      expect((await s.closed).code).toBe(1006);
      expect((await faults(server, 'POST', 'fail-next-sends', { n: 1, nack_code: 'BOGUS' })).status).toBe(400);
      expect((await faults(server, 'POST', 'throttle-sends', { n: 3, ms: 1500 })).status).toBe(200);
      expect(server.control.faultState().failSends).toEqual({
        remaining: 3,
        spec: { nackCode: 'RATE_LIMITED', retryable: true, retryAfterMs: 1500 },
      });
      expect((await faults(server, 'POST', 'teleport', {})).status).toBe(404);
    } finally {
      await server.close();
      await plain.close();
    }
  });

  it('wants the per-run token, a JSON body of bounded size, and no foreign page', async () => {
    const server = await startTestServer({ faultsEndpoint: true });
    const other = await startTestServer({ faultsEndpoint: true });
    try {
      const token = server.faultsToken ?? '';
      expect(token).toMatch(/^[\w-]{32}$/);
      expect(other.faultsToken).not.toBe(token);
      const path = '/__faults/unavailable';
      const json = { 'Content-Type': 'application/json' };
      const noToken = await rawRequest(server, { method: 'POST', path, headers: json, body: '{"ms":60000}' });
      expect(noToken.status).toBe(401);
      expectErrorBody(noToken.body, 'UNAUTHORIZED');
      const wrong = await rawRequest(server, {
        method: 'POST',
        path,
        headers: { ...json, Authorization: `Bearer ${other.faultsToken ?? ''}` },
        body: '{"ms":60000}',
      });
      expect(wrong.status).toBe(401);
      expect((await rawRequest(server, { path: '/__faults/state' })).status).toBe(401);
      const auth = { Authorization: `Bearer ${token}` };
      // what a page's cross-site form post looks like: text/plain, with the page's Origin
      const fromPage = await rawRequest(server, {
        method: 'POST',
        path,
        headers: { ...auth, 'Content-Type': 'text/plain', Origin: 'http://evil.example' },
        body: '{"ms":60000}',
      });
      expect(fromPage.status).toBe(403);
      const textPlain = await rawRequest(server, { method: 'POST', path, headers: { ...auth, 'Content-Type': 'text/plain' }, body: '{"ms":60000}' });
      expect(textPlain.status).toBe(415);
      expectErrorBody(textPlain.body, 'UNSUPPORTED_MEDIA_TYPE');
      const huge = await rawRequest(server, {
        method: 'POST',
        path,
        headers: { ...auth, ...json },
        body: JSON.stringify({ ms: 60_000, pad: 'x'.repeat(64 * 1024) }),
      });
      expect(huge.status).toBe(413);
      expect((await api(server, 'GET', '/health')).status).toBe(200);
      expect(server.control.faultState().unavailableUntilMs).toBe(0);
    } finally {
      await server.close();
      await other.close();
    }
  });
});
