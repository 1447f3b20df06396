/** --legacy-nova reproduces Nova's messaging-service at da4f975d, quirks included (§1–§2, §7). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import type { ServerHandle } from '../../server/index';
import { TestSocket, api, login, startTestServer } from './helpers';
import type { AnyFrame } from './helpers';

describe('legacy-nova mode', () => {
  let server: ServerHandle;
  let alice: string;
  let aliceRefresh: string;
  let bob: string;
  let ids: { alice: string; bob: string; carol: string };
  let direct: string;
  let team: string;

  const socketFor = (token: string, conversation: string, user: string): Promise<TestSocket> =>
    TestSocket.open(`${server.wsUrl}?conversation_id=${conversation}&user_id=${user}`, { token });

  /** No pong frames exist in legacy mode; a protocol ping round-trip orders the stream instead. */
  const drain = (s: TestSocket): Promise<void> =>
    new Promise((resolve) => {
      s.ws.once('pong', () => resolve());
      s.ws.ping();
    });

  beforeAll(async () => {
    server = await startTestServer({ legacyNova: true });
    const pair = await login(server, 'alice@nova.local');
    alice = pair.access_token;
    aliceRefresh = pair.refresh_token;
    bob = (await login(server, 'bob@nova.local')).access_token;
    if (!server.seed) throw new Error('no seed');
    ids = server.seed.users;
    direct = server.seed.conversations.direct;
    team = server.seed.conversations.team;
  });
  afterAll(() => server.close());

  it('needs conversation_id and user_id, sends no handshake, and answers protocol pings only', async () => {
    await expect(TestSocket.open(server.wsUrl, { token: alice })).rejects.toMatchObject({ status: 400 });
    const noHeader = (await TestSocket.open(`${server.wsUrl}?conversation_id=${direct}&user_id=${ids.alice}&token=${alice}`).catch(
      (e: unknown) => e,
    )) as { status: number; body: string };
    expect(noHeader).toMatchObject({ status: 401, body: 'unauthorized' });
    const s = await socketFor(alice, direct, ids.alice);
    s.send({ type: 'ping' });
    s.send({ type: 'send', conversation_id: direct, idempotency_key: 'ws-send', plaintext: 'ignored' });
    s.send('garbage{');
    await drain(s);
    expect(s.frames).toEqual([]);
    expect(server.control.listMessages(direct).some((m) => m.idempotency_key === 'ws-send')).toBe(false);
    s.close();
  });

  it('delivers every event twice, and message events carry no text', async () => {
    const s = await socketFor(bob, direct, ids.bob);
    const r = await api(server, 'POST', `/conversations/${direct}/messages`, {
      token: alice,
      body: { plaintext: 'secret text', idempotency_key: randomUUID() },
    });
    expect(r.status).toBe(200);
    expect(Object.keys(r.body as object).sort()).toEqual(['id', 'sequence_number']);
    const first = await s.nextOfType('message');
    const second = await s.nextOfType('message');
    expect(second).toEqual(first);
    expect(first).toEqual({
      type: 'message',
      conversation_id: direct,
      message: { id: (r.body as { id: string }).id, sender_id: ids.alice, sequence_number: (r.body as { sequence_number: number }).sequence_number },
    });
    expect(JSON.stringify(first)).not.toContain('secret text');
    s.close();
  });

  it('re-broadcasts idempotent retries and returns the original without a duplicate flag', async () => {
    const s = await socketFor(bob, direct, ids.bob);
    const key = randomUUID();
    const a = await api(server, 'POST', `/conversations/${direct}/messages`, { token: alice, body: { plaintext: 'x', idempotency_key: key } });
    const b = await api(server, 'POST', `/conversations/${direct}/messages`, { token: alice, body: { plaintext: 'x', idempotency_key: key } });
    expect(b.body).toEqual(a.body);
    await drain(s);
    expect(s.frames.filter((f: AnyFrame) => f['type'] === 'message')).toHaveLength(4);
    s.close();
  });

  it('numbers messages from one global counter, so conversations see gaps', async () => {
    const send = async (conv: string): Promise<number> =>
      ((await api(server, 'POST', `/conversations/${conv}/messages`, { token: alice, body: { plaintext: 'g' } })).body as {
        sequence_number: number;
      }).sequence_number;
    const d1 = await send(direct);
    const t1 = await send(team);
    const d2 = await send(direct);
    expect(t1).toBe(d1 + 1);
    expect(d2).toBe(d1 + 2);
  });

  it('relays typing (ids must match the query) to everyone, sender included, twice', async () => {
    const a = await socketFor(alice, team, ids.alice);
    const b = await socketFor(bob, team, ids.bob);
    a.send({ type: 'typing', conversation_id: team, user_id: ids.bob });
    a.send({ type: 'typing', conversation_id: team, user_id: ids.alice });
    const expected = { type: 'typing', conversation_id: team, user_id: ids.alice };
    expect(await b.nextOfType('typing')).toEqual(expected);
    expect(await b.nextOfType('typing')).toEqual(expected);
    expect(await a.nextOfType('typing')).toEqual(expected);
    await drain(b);
    expect(b.frames).toEqual([]);
    a.close();
    b.close();
  });

  it('answers errors in plain text, 401 for non-members, and closes non-member sockets without a code', async () => {
    const created = await api(server, 'POST', '/conversations', { token: alice, body: { user_a: ids.alice, user_b: ids.carol } });
    expect(Object.keys(created.body as object).sort()).toEqual(['id', 'last_message_id', 'member_count']);
    const conv = (created.body as { id: string }).id;
    const r = await api(server, 'GET', `/conversations/${conv}`, { token: bob });
    expect(r).toMatchObject({ status: 401, text: 'unauthorized' });
    expect(r.headers.get('content-type')).toContain('text/plain');
    expect(await api(server, 'GET', `/conversations/${randomUUID()}`, { token: bob })).toMatchObject({ status: 404, text: 'not found' });
    expect(await api(server, 'POST', `/conversations/${conv}/messages`, { token: bob, body: { plaintext: 'x' } })).toMatchObject({
      status: 401,
      text: 'unauthorized',
    });
    const bad = await api(server, 'POST', `/conversations/${direct}/messages`, { token: bob, rawBody: '{' });
    expect(bad.status).toBe(400);
    expect(typeof bad.body).toBe('string');
    const s = await socketFor(bob, conv, ids.bob);
    expect((await s.closed).code).toBe(1005);
    // no list route in Nova
    expect(await api(server, 'GET', '/conversations', { token: bob })).toMatchObject({ status: 404, text: 'not found' });
  });

  it('ignores history cursors: first 200, ascending, without content', async () => {
    const all = await api(server, 'GET', `/conversations/${direct}/messages`, { token: bob });
    const paged = await api(server, 'GET', `/conversations/${direct}/messages?after_seq=999999&limit=1`, { token: bob });
    expect(paged.body).toEqual(all.body);
    const list = all.body as Array<Record<string, unknown>>;
    expect(list.length).toBeGreaterThan(3);
    expect(Object.keys(list[0] ?? {}).sort()).toEqual(['created_at', 'id', 'sender_id', 'sequence_number']);
    const seqs = list.map((m) => m['sequence_number'] as number);
    expect([...seqs].sort((x, y) => x - y)).toEqual(seqs);
  });

  it('keeps Nova auth gaps: /health needs a token, refresh does not rotate, refresh tokens pass as access', async () => {
    expect((await api(server, 'GET', '/health')).status).toBe(401);
    expect(await api(server, 'GET', '/health', { token: bob })).toMatchObject({ status: 200, text: 'OK' });
    const r1 = await api(server, 'POST', '/api/v1/auth/refresh', { body: { refresh_token: aliceRefresh } });
    const r2 = await api(server, 'POST', '/api/v1/auth/refresh', { body: { refresh_token: aliceRefresh } });
    expect([r1.status, r2.status]).toEqual([200, 200]);
    expect((await api(server, 'GET', `/conversations/${direct}`, { token: aliceRefresh })).status).toBe(200);
    const wrong = await api(server, 'POST', '/api/v1/auth/login', { body: { email: 'alice@nova.local', password: 'x' } });
    expect(wrong.status).toBe(401);
    expect(wrong.body).toEqual({ error: 'Invalid credentials', details: null });
  });

  it('has none of the messenger extensions: no people search, change feed or by-key routes; creation keys ignored', async () => {
    for (const [method, path, body] of [
      ['GET', '/users/search?q=bob', undefined],
      ['GET', `/conversations/${direct}/changes`, undefined],
      ['PUT', `/conversations/${direct}/messages/by-key/k1`, { plaintext: 'x' }],
      ['DELETE', `/conversations/${direct}/messages/by-key/k1`, undefined],
    ] as const) {
      expect(await api(server, method, path, { token: alice, ...(body ? { body } : {}) })).toMatchObject({ status: 404, text: 'not found' });
    }
    // Nova makes a new conversation per request, key or no key, and answers only its three fields
    const body = { user_a: ids.alice, user_b: ids.bob, client_key: 'same-key' };
    const one = await api(server, 'POST', '/conversations', { token: alice, body });
    const two = await api(server, 'POST', '/conversations', { token: alice, body });
    expect((one.body as { id: string }).id).not.toBe((two.body as { id: string }).id);
    expect(Object.keys(two.body as object).sort()).toEqual(['id', 'last_message_id', 'member_count']);
    // history carries no updated_seq
    const history = await api(server, 'GET', `/conversations/${direct}/messages`, { token: alice });
    expect(JSON.stringify(history.body)).not.toContain('updated_seq');
  });

  it('read receipts carry no sequence watermark', async () => {
    const s = await socketFor(alice, team, ids.alice);
    expect((await api(server, 'POST', `/conversations/${team}/read`, { token: bob, body: {} })).status).toBe(204);
    const rr = await s.nextOfType('read_receipt');
    expect(Object.keys(rr).sort()).toEqual(['conversation_id', 'timestamp', 'type', 'user_id']);
    expect((await api(server, 'POST', `/conversations/${team}/read`, { token: bob })).status).toBe(400);
    s.close();
  });
});
