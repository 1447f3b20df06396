import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { ProtocolHandshakeFrameSchema, ServerFrameSchema } from '../../src/shared/protocol';
import type { ServerHandle } from '../../server/index';
import { TestSocket, api, login, openUserSocket, startTestServer } from './helpers';

describe('websocket /ws (nova-compat)', () => {
  let server: ServerHandle;
  let alice: string;
  let bob: string;
  let carolId: string;
  let direct: string;
  let team: string;

  beforeAll(async () => {
    server = await startTestServer({ maxPayloadSize: 16 * 1024 });
    alice = (await login(server, 'alice@nova.local')).access_token;
    bob = (await login(server, 'bob@nova.local')).access_token;
    if (!server.seed) throw new Error('no seed');
    carolId = server.seed.users.carol;
    direct = server.seed.conversations.direct;
    team = server.seed.conversations.team;
  });
  afterAll(() => server.close());

  it('sends protocol_handshake first, with the advertised features', async () => {
    const s = await TestSocket.open(server.wsUrl, { token: alice });
    const first = await s.next();
    const hs = ProtocolHandshakeFrameSchema.parse(first);
    expect(hs.protocol_version).toBe('1.0');
    expect(hs.user_id).toBe(server.seed?.users.alice);
    expect(hs.server_capabilities.max_payload_size).toBe(16 * 1024);
    expect(hs.server_capabilities.features).toEqual(
      expect.arrayContaining(['json_ping', 'ws_send', 'ws_sync', 'gapless_seq', 'client_seq']),
    );
    s.close();
  });

  it('takes the token from the Authorization header only, never from ?token=', async () => {
    const refused = (await TestSocket.open(`${server.wsUrl}?token=${alice}`).catch((e: unknown) => e)) as {
      status: number;
      body: string;
    };
    expect(refused.status).toBe(401);
    expect(JSON.parse(refused.body)).toMatchObject({ code: 'UNAUTHORIZED', error: 'Missing bearer token' });
  });

  it('refuses a missing or bad token with 401 and a JSON body before the upgrade', async () => {
    await expect(TestSocket.open(server.wsUrl)).rejects.toMatchObject({ status: 401 });
    const err = (await TestSocket.open(server.wsUrl, { token: 'nope' }).catch((e: unknown) => e)) as {
      status: number;
      body: string;
    };
    expect(err.status).toBe(401);
    expect(JSON.parse(err.body)).toMatchObject({ code: 'UNAUTHORIZED' });
  });

  it('acceptance: send → ack, same key → duplicate, listed once, ping → pong, garbage → error', async () => {
    const s = await openUserSocket(server, alice);
    const key = randomUUID();
    s.send({ type: 'send', conversation_id: direct, idempotency_key: key, plaintext: 'hello ws' });
    const ack = await s.nextOfType('ack');
    expect(ServerFrameSchema.parse(ack)).toMatchObject({ type: 'ack', status: 'accepted', idempotency_key: key });
    const seq = ack['message'].sequence_number as number;
    expect(seq).toBeGreaterThan(0);

    s.send({ type: 'send', conversation_id: direct, idempotency_key: key, plaintext: 'hello ws' });
    const dup = await s.nextOfType('ack');
    expect(dup).toMatchObject({ status: 'duplicate', message: { id: ack['message'].id, sequence_number: seq } });

    const list = await api(server, 'GET', `/conversations/${direct}/messages?after_seq=0&limit=200`, { token: alice });
    const matching = (list.body as Array<{ idempotency_key: string }>).filter((m) => m.idempotency_key === key);
    expect(matching).toHaveLength(1);

    s.send({ type: 'ping', ts: 42 });
    expect(await s.nextOfType('pong')).toMatchObject({ ts: 42 });

    s.send('{{{ not json');
    expect(await s.nextOfType('error')).toMatchObject({ error_code: 'INVALID_INPUT', error_code_version: '1.0' });
    await s.roundTrip();
    expect(s.ws.readyState).toBe(s.ws.OPEN);
    s.close();
  });

  it('delivers live message frames to every member socket, once, with content', async () => {
    const a = await openUserSocket(server, alice);
    const b = await openUserSocket(server, bob);
    const key = randomUUID();
    a.send({ type: 'send', conversation_id: direct, idempotency_key: key, plaintext: 'to bob' });
    const onB = await b.next((f) => f['type'] === 'message' && f['message'].idempotency_key === key);
    expect(onB['message']).toMatchObject({ plaintext: 'to bob', sender_id: server.seed?.users.alice });
    // a retry is acked as duplicate and not broadcast again
    a.send({ type: 'send', conversation_id: direct, idempotency_key: key, plaintext: 'to bob' });
    await a.next((f) => f['type'] === 'ack' && f['status'] === 'duplicate');
    await b.roundTrip();
    expect(b.frames.filter((f) => f['type'] === 'message' && f['message'].idempotency_key === key)).toHaveLength(0);
    a.close();
    b.close();
  });

  it('answers bad frames with error frames and stays open', async () => {
    const s = await openUserSocket(server, alice);
    const bad: unknown[] = [
      '[]',
      '"str"',
      'null',
      '{"no":"type"}',
      '{"type":"teleport"}',
      { type: 'sync', conversation_id: direct, after_seq: 'x' },
      { type: 'typing', conversation_id: 5 },
      { type: 'sync', conversation_id: randomUUID(), after_seq: 0 },
    ];
    for (const f of bad) {
      s.send(f);
      const e = await s.nextOfType('error');
      expect(['INVALID_INPUT', 'NOT_FOUND']).toContain(e['error_code']);
    }
    s.ws.send(Buffer.from([1, 2, 3]), { binary: true });
    expect(await s.nextOfType('error')).toMatchObject({ error_code: 'INVALID_INPUT' });
    // a malformed send naming its key gets a nack so the outbox can fail that item
    s.send({ type: 'send', conversation_id: direct, idempotency_key: 'k1', plaintext: 7 });
    expect(await s.nextOfType('nack')).toMatchObject({ code: 'INVALID_INPUT', retryable: false, idempotency_key: 'k1' });
    await s.roundTrip();
    s.close();
  });

  it('nacks sends to unknown conversations and non-members; errors for non-member sync', async () => {
    const carol = (await login(server, 'carol@nova.local').catch(() => null)) ?? null;
    expect(carol).toBeNull(); // carol needs 2FA; bob is not in a conversation alone, so use a new one
    const created = await api(server, 'POST', '/conversations', {
      token: alice,
      body: { type: 'group', name: 'alice+carol', participant_ids: [carolId] },
    });
    const privateConv = (created.body as { id: string }).id;
    const b = await openUserSocket(server, bob);
    b.send({ type: 'send', conversation_id: privateConv, idempotency_key: 'x1', plaintext: 'hi' });
    expect(await b.nextOfType('nack')).toMatchObject({ code: 'NOT_MEMBER', retryable: false });
    b.send({ type: 'send', conversation_id: randomUUID(), idempotency_key: 'x2', plaintext: 'hi' });
    expect(await b.nextOfType('nack')).toMatchObject({ code: 'NOT_FOUND', retryable: false });
    b.send({ type: 'sync', conversation_id: privateConv, after_seq: 0 });
    expect(await b.nextOfType('error')).toMatchObject({ error_code: 'NOT_MEMBER' });
    b.close();
  });

  it('sync replays messages after a cursor and reports sync_complete with has_more', async () => {
    const s = await openUserSocket(server, alice);
    for (let i = 0; i < 5; i += 1) server.control.sendAs('bob@nova.local', team, `sync ${i}`);
    const head = server.control.listMessages(team).at(-1)?.sequence_number ?? 0;
    s.send({ type: 'sync', conversation_id: team, after_seq: head - 5, limit: 3 });
    const done = await s.nextOfType('sync_complete');
    expect(done).toEqual({ type: 'sync_complete', conversation_id: team, last_seq: head, has_more: true, last_updated_seq: 0 });
    const replayed = s.frames.filter((f) => f['type'] === 'message' && f['replay'] === true);
    expect(replayed.map((f) => f['message'].sequence_number)).toEqual([head - 4, head - 3, head - 2]);
    s.frames.length = 0;
    s.send({ type: 'sync', conversation_id: team, after_seq: head - 2 });
    expect(await s.nextOfType('sync_complete')).toMatchObject({ has_more: false, last_seq: head });
    s.send({ type: 'sync_ack', conversation_id: team, sequence_number: head });
    await s.roundTrip();
    expect(s.frames.filter((f) => f['type'] === 'error')).toHaveLength(0);
    s.close();
  });

  it('relays typing to the other members and read to everyone as read_receipt', async () => {
    const a = await openUserSocket(server, alice);
    const b = await openUserSocket(server, bob);
    a.send({ type: 'typing', conversation_id: direct, is_typing: true });
    expect(await b.nextOfType('typing')).toMatchObject({
      conversation_id: direct,
      user_id: server.seed?.users.alice,
      is_typing: true,
    });
    await a.roundTrip();
    expect(a.frames.filter((f) => f['type'] === 'typing')).toHaveLength(0);
    a.send({ type: 'read', conversation_id: direct, last_read_seq: 2 });
    expect(await b.nextOfType('read_receipt')).toMatchObject({ user_id: server.seed?.users.alice, last_read_seq: 2 });
    a.close();
    b.close();
  });

  it('unsubscribe mutes a conversation on a user socket; subscribe restores it', async () => {
    const b = await openUserSocket(server, bob);
    b.send({ type: 'unsubscribe', conversation_ids: [team] });
    const sub = await b.nextOfType('subscribed');
    expect(sub['conversation_ids']).not.toContain(team);
    server.control.sendAs('alice@nova.local', team, 'muted?');
    await b.roundTrip();
    expect(b.frames.filter((f) => f['type'] === 'message')).toHaveLength(0);
    b.send({ type: 'subscribe', conversation_ids: [team] });
    expect((await b.nextOfType('subscribed'))['conversation_ids']).toContain(team);
    server.control.sendAs('alice@nova.local', team, 'heard');
    expect((await b.nextOfType('message'))['message'].plaintext).toBe('heard');
    b.close();
  });

  it('conversation-scoped sockets hear only their conversation; non-members get 4003', async () => {
    const aliceId = server.seed?.users.alice ?? '';
    const s = await TestSocket.open(`${server.wsUrl}?conversation_id=${direct}&user_id=${aliceId}`, { token: alice });
    await s.nextOfType('protocol_handshake');
    server.control.sendAs('bob@nova.local', team, 'not for this socket');
    server.control.sendAs('bob@nova.local', direct, 'for this socket');
    expect((await s.nextOfType('message'))['message'].plaintext).toBe('for this socket');
    expect(s.frames.filter((f) => f['type'] === 'message')).toHaveLength(0);
    s.close();

    const created = await api(server, 'POST', '/conversations', {
      token: alice,
      body: { type: 'group', participant_ids: [carolId] },
    });
    const other = (created.body as { id: string }).id;
    const denied = await TestSocket.open(`${server.wsUrl}?conversation_id=${other}`, { token: bob });
    expect(await denied.nextOfType('error')).toMatchObject({ error_code: 'NOT_MEMBER' });
    expect((await denied.closed).code).toBe(4003);

    const spoof = await TestSocket.open(`${server.wsUrl}?conversation_id=${direct}&user_id=${carolId}`, { token: bob });
    expect((await spoof.closed).code).toBe(4003);

    const old = await TestSocket.open(`${server.wsUrl}?protocol_version=2.0`, { token: bob });
    expect((await old.closed).code).toBe(4426);
  });

  it('closes with 1009 on a frame above max_payload_size', async () => {
    const s = await openUserSocket(server, alice);
    s.send({ type: 'send', conversation_id: direct, idempotency_key: 'big', plaintext: 'x'.repeat(20 * 1024) });
    expect((await s.closed).code).toBe(1009);
    const again = await openUserSocket(server, alice);
    await again.roundTrip();
    again.close();
  });
});

describe('websocket idle timeout', () => {
  it('closes a silent socket with 4008, and activity keeps it open', async () => {
    const server = await startTestServer({ idleTimeoutMs: 300 });
    try {
      const token = (await login(server, 'bob@nova.local')).access_token;
      const silent = await openUserSocket(server, token);
      const chatty = await openUserSocket(server, token);
      const pinging = (async () => {
        for (let i = 0; i < 6; i += 1) {
          await new Promise((r) => setTimeout(r, 100));
          chatty.ws.ping();
        }
      })();
      const closed = await silent.closed;
      expect(closed).toEqual({ code: 4008, reason: 'idle_timeout' });
      await pinging;
      expect(chatty.ws.readyState).toBe(chatty.ws.OPEN);
      chatty.close();
    } finally {
      await server.close();
    }
  });
});
