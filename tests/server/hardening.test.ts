/**
 * What a web page in the user's own browser could do to a server on loopback, refused: DNS
 * rebinding (a foreign Host), cross-site posts and sockets (a foreign Origin, a text/plain body),
 * and unbounded bodies.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer } from '../../server/index';
import type { ServerHandle } from '../../server/index';
import { DEMO_PASSWORD } from '../../server/seed';
import { TestSocket, expectErrorBody, login, openUserSocket, rawRequest, startTestServer } from './helpers';

const LOGIN = '/api/v1/auth/login';
const credentials = JSON.stringify({ email: 'alice@nova.local', password: DEMO_PASSWORD });
const json = { 'Content-Type': 'application/json' };

type Refused = { status: number; body: string };
const refusedUpgrade = (p: Promise<TestSocket>): Promise<Refused> => p.then(
  (s) => {
    s.close();
    throw new Error('the upgrade was accepted');
  },
  (e: unknown) => e as Refused,
);

describe('request hardening', () => {
  let server: ServerHandle;
  let token: string;
  let direct: string;

  beforeAll(async () => {
    server = await startTestServer({ publicHosts: ['nova.example.org'], maxPayloadSize: 64 * 1024 });
    token = (await login(server, 'alice@nova.local')).access_token;
    direct = server.seed?.conversations.direct ?? '';
  });
  afterAll(() => server.close());

  describe('Content-Type', () => {
    it('a body must be application/json: text/plain (a cross-site form post) and none are 415, unread', async () => {
      for (const headers of [{ 'Content-Type': 'text/plain' }, { 'Content-Type': 'application/x-www-form-urlencoded' }, {}]) {
        const r = await rawRequest(server, { method: 'POST', path: LOGIN, headers, body: credentials });
        expect(r.status).toBe(415);
        expectErrorBody(r.body, 'UNSUPPORTED_MEDIA_TYPE');
        expect((r.body as { error: string }).error).toBe('Content-Type must be application/json');
        expect(r.headers.connection).toBe('close');
      }
      const before = server.control.listMessages(direct).length;
      const post = await rawRequest(server, {
        method: 'POST',
        path: `/conversations/${direct}/messages`,
        headers: { 'Content-Type': 'text/plain;charset=UTF-8', Authorization: `Bearer ${token}` },
        body: JSON.stringify({ plaintext: 'smuggled' }),
      });
      expect(post.status).toBe(415);
      expect(server.control.listMessages(direct)).toHaveLength(before);
    });

    it('takes parameters and any case, and an empty body needs no type where the route allows one', async () => {
      const r = await rawRequest(server, { method: 'POST', path: LOGIN, headers: { 'Content-Type': 'Application/JSON; charset=utf-8' }, body: credentials });
      expect(r.status).toBe(200);
      const read = await rawRequest(server, { method: 'POST', path: `/conversations/${direct}/read`, headers: { Authorization: `Bearer ${token}` } });
      expect(read.status).toBe(204);
    });
  });

  describe('body size', () => {
    it('auth bodies are bounded at 16 KiB, declared or streamed', async () => {
      const big = JSON.stringify({ email: 'alice@nova.local', password: 'x'.repeat(20_000) });
      const declared = await rawRequest(server, { method: 'POST', path: LOGIN, headers: json, body: big });
      expect(declared.status).toBe(413);
      expectErrorBody(declared.body, 'PAYLOAD_TOO_LARGE');
      // chunked: no Content-Length to refuse up front, so the stream is cut where it crosses the bound
      const streamed = await rawRequest(server, {
        method: 'POST',
        path: LOGIN,
        headers: { ...json, 'Transfer-Encoding': 'chunked' },
        chunks: Array.from({ length: 6 }, () => Buffer.alloc(4096, 0x20)),
      });
      expect(streamed.status).toBe(413);
    });

    it('other bodies at the server’s max_payload_size', async () => {
      const r = await rawRequest(server, {
        method: 'POST',
        path: '/conversations',
        headers: { ...json, Authorization: `Bearer ${token}` },
        body: JSON.stringify({ type: 'group', name: 'x'.repeat(70 * 1024), participant_ids: [] }),
      });
      expect(r.status).toBe(413);
      expect((r.body as { details: string }).details).toBe(`limit is ${64 * 1024} bytes`);
    });
  });

  describe('Host', () => {
    it('answers loopback names, the bound address and the configured public name; a foreign Host gets 403', async () => {
      for (const host of [`127.0.0.1:${server.port}`, `localhost:${server.port}`, 'LOCALHOST', `127.0.0.2:${server.port}`, `[::1]:${server.port}`, 'app.localhost', 'nova.example.org']) {
        expect((await rawRequest(server, { path: '/health', headers: { Host: host } })).status, host).toBe(200);
      }
      // DNS rebinding: the attacker's name now resolves to 127.0.0.1, and the browser sends it
      for (const host of ['evil.example', `evil.example:${server.port}`, 'localhost.evil.example', '127.0.0.1.evil.example', 'nova.example.org.evil.example']) {
        const r = await rawRequest(server, { path: '/health', headers: { Host: host } });
        expect(r.status, host).toBe(403);
        expectErrorBody(r.body, 'FORBIDDEN');
        expect((r.body as { error: string }).error).toBe('Host not allowed');
      }
      const login = await rawRequest(server, { method: 'POST', path: LOGIN, headers: { ...json, Host: 'evil.example' }, body: credentials });
      expect(login.status).toBe(403);
    });

    it('refuses a WebSocket upgrade addressed to a foreign Host, before any socket exists', async () => {
      const refused = await refusedUpgrade(TestSocket.open(server.wsUrl, { token, headers: { Host: 'evil.example' } }));
      expect(refused.status).toBe(403);
      expect(JSON.parse(refused.body)).toMatchObject({ code: 'FORBIDDEN', error: 'Host not allowed' });
      expect(server.control.socketCount('alice@nova.local')).toBe(0);
    });
  });

  describe('Origin', () => {
    it('no Origin (the desktop app, curl) and the server’s own pass; a page’s foreign Origin gets 403 on state-changing calls', async () => {
      expect((await rawRequest(server, { method: 'POST', path: LOGIN, headers: json, body: credentials })).status).toBe(200);
      const own = await rawRequest(server, { method: 'POST', path: LOGIN, headers: { ...json, Origin: `http://127.0.0.1:${server.port}` }, body: credentials });
      expect(own.status).toBe(200);
      for (const origin of ['http://evil.example', `http://localhost:${server.port + 1}`, `https://127.0.0.1:${server.port}`, 'null', 'not a url']) {
        const r = await rawRequest(server, { method: 'POST', path: LOGIN, headers: { ...json, Origin: origin }, body: credentials });
        expect(r.status, origin).toBe(403);
        expect((r.body as { error: string }).error).toBe('Cross-origin request refused');
        const del = await rawRequest(server, { method: 'DELETE', path: `/messages/${randomUUID()}`, headers: { Origin: origin, Authorization: `Bearer ${token}` } });
        expect(del.status, origin).toBe(403);
      }
      // a read is left alone: without CORS headers the page cannot see the answer
      expect((await rawRequest(server, { path: '/health', headers: { Origin: 'http://evil.example' } })).status).toBe(200);
    });

    it('a WebSocket upgrade from a foreign page is refused; without Origin it opens', async () => {
      for (const origin of ['http://evil.example', 'null']) {
        const refused = await refusedUpgrade(TestSocket.open(server.wsUrl, { token, headers: { Origin: origin } }));
        expect(refused.status, origin).toBe(403);
        expect(JSON.parse(refused.body)).toMatchObject({ code: 'FORBIDDEN', error: 'Cross-origin request refused' });
      }
      (await openUserSocket(server, token)).close();
      const same = await TestSocket.open(server.wsUrl, { token, headers: { Origin: `http://127.0.0.1:${server.port}` } });
      expect((await same.next())['type']).toBe('protocol_handshake');
      same.close();
    });
  });

  it('a public name also passes the Origin check when the page is the server itself', async () => {
    const r = await rawRequest(server, {
      method: 'POST',
      path: LOGIN,
      headers: { ...json, Host: 'nova.example.org', Origin: 'http://nova.example.org' },
      body: credentials,
    });
    expect(r.status).toBe(200);
  });
});

describe('binding', () => {
  it('a wildcard bind answers only loopback names and the public names it is given', async () => {
    const server = await startServer({ host: '0.0.0.0', publicHosts: ['nova.lan'], bcryptRounds: 4 });
    try {
      expect((await rawRequest(server, { path: '/health', headers: { Host: 'nova.lan' } })).status).toBe(200);
      expect((await rawRequest(server, { path: '/health', headers: { Host: '0.0.0.0' } })).status).toBe(403);
      expect((await rawRequest(server, { path: '/health', headers: { Host: '192.168.1.20' } })).status).toBe(403);
    } finally {
      await server.close();
    }
  });

  it('--legacy-nova refuses a non-loopback host and says why', async () => {
    for (const host of ['0.0.0.0', '192.168.1.20', '::']) {
      await expect(startServer({ legacyNova: true, host })).rejects.toThrow(
        new RegExp(`--legacy-nova listens on loopback only \\(got host ${host.replace(/\./g, '\\.')}\\).*user_id.*refresh token.*logout`),
      );
    }
    const loopback = await startServer({ legacyNova: true, host: '127.0.0.1' });
    await loopback.close();
  });
});
