import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import {
  ConversationListSchema,
  ConversationSchema,
  ErrorBodySchema,
  HealthResponseSchema,
  MessageListSchema,
  SearchResponseSchema,
  SendMessageResponseSchema,
} from '../../src/shared/protocol';
import type { ServerHandle } from '../../server/index';
import { api, expectErrorBody, login, openUserSocket, startTestServer } from './helpers';

describe('REST (nova-compat)', () => {
  let server: ServerHandle;
  let alice: string;
  let bob: string;
  let ids: { alice: string; bob: string; carol: string };
  let direct: string;
  let team: string;

  beforeAll(async () => {
    server = await startTestServer({ maxPayloadSize: 8 * 1024 });
    alice = (await login(server, 'alice@nova.local')).access_token;
    bob = (await login(server, 'bob@nova.local')).access_token;
    if (!server.seed) throw new Error('no seed');
    ids = server.seed.users;
    direct = server.seed.conversations.direct;
    team = server.seed.conversations.team;
  });
  afterAll(() => server.close());

  it('GET /health is public', async () => {
    const r = await api(server, 'GET', '/health');
    expect(r.status).toBe(200);
    expect(HealthResponseSchema.parse(r.body).mode).toBe('nova-compat');
  });

  it('requires a bearer token everywhere else, with a JSON error body', async () => {
    for (const [method, path] of [
      ['GET', '/conversations'],
      ['GET', `/conversations/${direct}`],
      ['POST', `/conversations/${direct}/messages`],
      ['GET', `/conversations/${direct}/messages`],
    ] as const) {
      const r = await api(server, method, path, { body: method === 'POST' ? { plaintext: 'x' } : undefined });
      expect(r.status).toBe(401);
      expect(ErrorBodySchema.parse(r.body).code).toBe('UNAUTHORIZED');
    }
  });

  it('lists conversations with the envelope, unread counts and last_seq', async () => {
    const r = await api(server, 'GET', '/conversations?limit=10', { token: bob });
    expect(r.status).toBe(200);
    const list = ConversationListSchema.parse(r.body);
    expect(list.total).toBe(2);
    expect(list.conversations.map((c) => c.id).sort()).toEqual([direct, team].sort());
    const d = list.conversations.find((c) => c.id === direct);
    expect(d).toMatchObject({ type: 'direct', member_count: 2, last_seq: 3, unread_count: 2 });
    expect(d?.last_message_id).toEqual(expect.any(String));
    const page = await api(server, 'GET', '/conversations?limit=1&offset=1', { token: bob });
    expect(ConversationListSchema.parse(page.body)).toMatchObject({ total: 2, limit: 1, offset: 1 });
    expect((await api(server, 'GET', '/conversations?limit=abc', { token: bob })).status).toBe(400);
  });

  it('gets one conversation; 404 unknown; 403 NOT_MEMBER for non-members', async () => {
    const r = await api(server, 'GET', `/conversations/${team}`, { token: alice });
    expect(ConversationSchema.parse(r.body)).toMatchObject({ id: team, type: 'group', name: 'Team', member_count: 3 });
    const missing = await api(server, 'GET', `/conversations/${randomUUID()}`, { token: alice });
    expect(missing.status).toBe(404);
    expectErrorBody(missing.body, 'NOT_FOUND');
    const created = await api(server, 'POST', '/conversations', {
      token: alice,
      body: { type: 'group', name: 'secret', participant_ids: [ids.carol] },
    });
    const secret = (created.body as { id: string }).id;
    const forbidden = await api(server, 'GET', `/conversations/${secret}`, { token: bob });
    expect(forbidden.status).toBe(403);
    expectErrorBody(forbidden.body, 'NOT_MEMBER');
  });

  it('creates conversations in both forms and reuses an existing direct one', async () => {
    const again = await api(server, 'POST', '/conversations', { token: alice, body: { user_a: ids.alice, user_b: ids.bob } });
    expect(again.status).toBe(200);
    expect((again.body as { id: string }).id).toBe(direct);
    const d2 = await api(server, 'POST', '/conversations', {
      token: alice,
      body: { type: 'direct', participant_ids: [ids.carol] },
    });
    const d3 = await api(server, 'POST', '/conversations', { token: alice, body: { user_a: ids.carol, user_b: ids.alice } });
    expect((d3.body as { id: string }).id).toBe((d2.body as { id: string }).id);
    const notMine = await api(server, 'POST', '/conversations', { token: alice, body: { user_a: ids.bob, user_b: ids.carol } });
    expect(notMine.status).toBe(403);
    const unknown = await api(server, 'POST', '/conversations', {
      token: alice,
      body: { type: 'group', participant_ids: [randomUUID()] },
    });
    expect(unknown.status).toBe(404);
    const bad = await api(server, 'POST', '/conversations', { token: alice, body: { type: 'room' } });
    expect(bad.status).toBe(400);
    expectErrorBody(bad.body, 'INVALID_INPUT');
  });

  it('POST messages: idempotent per sender, duplicate flagged and not re-broadcast', async () => {
    const b = await openUserSocket(server, bob);
    const key = randomUUID();
    const first = await api(server, 'POST', `/conversations/${direct}/messages`, {
      token: alice,
      body: { plaintext: 'via rest', idempotency_key: key },
    });
    expect(first.status).toBe(200);
    const sent = SendMessageResponseSchema.parse(first.body);
    expect(sent).toMatchObject({ conversation_id: direct, sender_id: ids.alice, idempotency_key: key, duplicate: false });
    expect((await b.nextOfType('message'))['message']).toMatchObject({ id: sent.id, plaintext: 'via rest' });

    const second = await api(server, 'POST', `/conversations/${direct}/messages`, {
      token: alice,
      body: { plaintext: 'via rest', idempotency_key: key },
    });
    expect(second.body).toMatchObject({ id: sent.id, sequence_number: sent.sequence_number, duplicate: true });
    await b.roundTrip();
    expect(b.frames.filter((f) => f['type'] === 'message')).toHaveLength(0);

    // the same key from another sender is a different message
    const other = await api(server, 'POST', `/conversations/${direct}/messages`, {
      token: bob,
      body: { plaintext: 'same key, other sender', idempotency_key: key },
    });
    expect(other.body).toMatchObject({ duplicate: false, sequence_number: sent.sequence_number + 1 });

    // the Idempotency-Key header works when the body has none
    const hk = randomUUID();
    const h1 = await api(server, 'POST', `/conversations/${direct}/messages`, {
      token: alice,
      body: { plaintext: 'header key' },
      headers: { 'Idempotency-Key': hk },
    });
    const h2 = await api(server, 'POST', `/conversations/${direct}/messages`, {
      token: alice,
      body: { plaintext: 'header key' },
      headers: { 'Idempotency-Key': hk },
    });
    expect(h2.body).toMatchObject({ id: (h1.body as { id: string }).id, duplicate: true });

    // reusing a key in another conversation is a conflict, not a silent dedupe
    const conflict = await api(server, 'POST', `/conversations/${team}/messages`, {
      token: alice,
      body: { plaintext: 'x', idempotency_key: key },
    });
    expect(conflict.status).toBe(409);
    expectErrorBody(conflict.body, 'CONFLICT');
    b.close();
  });

  it('POST messages rejects bad bodies, non-members and oversized payloads', async () => {
    const malformed = await api(server, 'POST', `/conversations/${direct}/messages`, { token: alice, rawBody: '{oops' });
    expect(malformed.status).toBe(400);
    expectErrorBody(malformed.body, 'INVALID_INPUT');
    const wrong = await api(server, 'POST', `/conversations/${direct}/messages`, { token: alice, body: { plaintext: 3 } });
    expect(wrong.status).toBe(400);
    expect(ErrorBodySchema.parse(wrong.body).details).toContain('plaintext');
    const big = await api(server, 'POST', `/conversations/${direct}/messages`, {
      token: alice,
      body: { plaintext: 'x'.repeat(10 * 1024) },
    });
    expect(big.status).toBe(413);
    expectErrorBody(big.body, 'PAYLOAD_TOO_LARGE');
    const created = await api(server, 'POST', '/conversations', {
      token: alice,
      body: { type: 'group', participant_ids: [ids.carol] },
    });
    const notBobs = (created.body as { id: string }).id;
    const nm = await api(server, 'POST', `/conversations/${notBobs}/messages`, { token: bob, body: { plaintext: 'x' } });
    expect(nm.status).toBe(403);
    expectErrorBody(nm.body, 'NOT_MEMBER');
    const nf = await api(server, 'POST', `/conversations/${randomUUID()}/messages`, { token: bob, body: { plaintext: 'x' } });
    expect(nf.status).toBe(404);
  });

  it('GET messages pages with after_seq, before_seq and limit (bare ascending array)', async () => {
    const c = await api(server, 'POST', '/conversations', {
      token: alice,
      body: { type: 'group', name: 'paging', participant_ids: [ids.bob] },
    });
    const conv = (c.body as { id: string }).id;
    for (let i = 1; i <= 12; i += 1) server.control.sendAs('alice@nova.local', conv, `m${i}`);
    const seqs = async (q: string): Promise<number[]> => {
      const r = await api(server, 'GET', `/conversations/${conv}/messages${q}`, { token: bob });
      expect(r.status).toBe(200);
      return MessageListSchema.parse(r.body).map((m) => m.sequence_number);
    };
    expect(await seqs('')).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    expect(await seqs('?after_seq=0&limit=5')).toEqual([1, 2, 3, 4, 5]);
    expect(await seqs('?after_seq=10')).toEqual([11, 12]);
    expect(await seqs('?before_seq=5')).toEqual([1, 2, 3, 4]);
    expect(await seqs('?before_seq=12&limit=3')).toEqual([9, 10, 11]);
    expect(await seqs('?after_seq=3&before_seq=7')).toEqual([4, 5, 6]);
    expect(await seqs('?after_seq=12')).toEqual([]);
    const full = await api(server, 'GET', `/conversations/${conv}/messages?limit=1`, { token: bob });
    expect((full.body as unknown[])[0]).toMatchObject({
      conversation_id: conv,
      plaintext: 'm1',
      sender_id: ids.alice,
      created_at: expect.any(String),
      edited_at: null,
      deleted_at: null,
    });
    for (const q of ['?after_seq=-1', '?limit=0', '?limit=201', '?before_seq=x']) {
      const r = await api(server, 'GET', `/conversations/${conv}/messages${q}`, { token: bob });
      expect(r.status).toBe(400);
    }
  });

  it('POST read moves the marker forward, broadcasts read_receipt and answers 204', async () => {
    const a = await openUserSocket(server, alice);
    const r = await api(server, 'POST', `/conversations/${team}/read`, { token: bob, body: { last_read_seq: 2 } });
    expect(r.status).toBe(204);
    expect(await a.nextOfType('read_receipt')).toMatchObject({ conversation_id: team, user_id: ids.bob, last_read_seq: 2 });
    const back = await api(server, 'POST', `/conversations/${team}/read`, { token: bob, body: { last_read_seq: 1 } });
    expect(back.status).toBe(204);
    expect((await a.nextOfType('read_receipt'))['last_read_seq']).toBe(2);
    const empty = await api(server, 'POST', `/conversations/${team}/read`, { token: bob });
    expect(empty.status).toBe(204);
    const conv = await api(server, 'GET', `/conversations/${team}`, { token: bob });
    expect((conv.body as { unread_count: number }).unread_count).toBe(0);
    a.close();
  });

  it('PUT and DELETE /messages/:id by the sender only, with events', async () => {
    const a = await openUserSocket(server, alice);
    const m = server.control.sendAs('bob@nova.local', direct, 'typo');
    await a.nextOfType('message');
    expect((await api(server, 'PUT', `/messages/${m.id}`, { token: alice, body: { plaintext: 'no' } })).status).toBe(403);
    expect((await api(server, 'PUT', `/messages/${m.id}`, { token: bob, body: { plaintext: 'fixed' } })).status).toBe(204);
    expect(await a.nextOfType('message_edited')).toMatchObject({ message_id: m.id, plaintext: 'fixed', sequence_number: m.sequence_number });
    expect((await api(server, 'DELETE', `/messages/${m.id}`, { token: bob })).status).toBe(204);
    expect(await a.nextOfType('message_deleted')).toMatchObject({ message_id: m.id });
    // a repeat is answered as done and tells nobody again; an edit of a deleted message is refused
    expect((await api(server, 'DELETE', `/messages/${m.id}`, { token: bob })).status).toBe(204);
    const edit = await api(server, 'PUT', `/messages/${m.id}`, { token: bob, body: { plaintext: 'back?' } });
    expect(edit.status).toBe(410);
    expectErrorBody(edit.body, 'MESSAGE_DELETED');
    expect((await api(server, 'DELETE', `/messages/${randomUUID()}`, { token: bob })).status).toBe(404);
    await a.roundTrip();
    expect(a.frames.filter((f) => f['type'] === 'message_deleted' || f['type'] === 'message_edited')).toHaveLength(0);
    a.close();
  });

  it('searches message text', async () => {
    server.control.sendAs('alice@nova.local', team, 'needle in a haystack');
    const r = await api(server, 'GET', `/conversations/${team}/messages/search?q=needle`, { token: bob });
    const body = SearchResponseSchema.parse(r.body);
    expect(body.total).toBe(1);
    expect(body.data[0]?.plaintext).toBe('needle in a haystack');
    expect((await api(server, 'GET', `/conversations/${team}/messages/search`, { token: bob })).status).toBe(400);
  });

  it('unknown routes are 404 with the error body', async () => {
    const r = await api(server, 'GET', '/nope', { token: alice });
    expect(r.status).toBe(404);
    expectErrorBody(r.body, 'NOT_FOUND');
  });
});
