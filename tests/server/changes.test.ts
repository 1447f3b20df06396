/** Edits and deletes reach a client that was away: updated_seq and the change feed (protocol.md §3.7). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import {
  ChangesResponseSchema,
  ConversationSchema,
  MessageListSchema,
  SyncCompleteFrameSchema,
} from '../../src/shared/protocol';
import type { ChangesResponse } from '../../src/shared/protocol';
import type { ServerHandle } from '../../server/index';
import { DEMO_EMAILS } from '../../server/seed';
import { api, expectErrorBody, login, openUserSocket, signInAny, startTestServer } from './helpers';

describe('change feed', () => {
  let server: ServerHandle;
  let alice: string;
  let bob: string;
  let ids: Record<keyof typeof DEMO_EMAILS, string>;

  /** A fresh conversation of Alice and Bob, so each test counts its own changes from 0. */
  const newConversation = async (): Promise<string> => {
    const r = await api(server, 'POST', '/conversations', {
      token: alice,
      body: { type: 'group', name: `c-${randomUUID()}`, participant_ids: [ids.bob] },
    });
    return (r.body as { id: string }).id;
  };
  const changes = async (conversation: string, query = ''): Promise<ChangesResponse> => {
    const r = await api(server, 'GET', `/conversations/${conversation}/changes${query}`, { token: bob });
    expect(r.status, r.text).toBe(200);
    return ChangesResponseSchema.parse(r.body);
  };
  const edit = (id: string, plaintext: string, token = alice): ReturnType<typeof api> =>
    api(server, 'PUT', `/messages/${id}`, { token, body: { plaintext } });
  const remove = (id: string, token = alice): ReturnType<typeof api> => api(server, 'DELETE', `/messages/${id}`, { token });

  beforeAll(async () => {
    server = await startTestServer({ maxMessageBytes: 1000 });
    if (!server.seed) throw new Error('no seed');
    ids = server.seed.users;
    alice = (await login(server, DEMO_EMAILS.alice)).access_token;
    bob = (await login(server, DEMO_EMAILS.bob)).access_token;
  });
  afterAll(() => server.close());

  it('numbers edits and deletes 1, 2, 3… per conversation and tells live sockets the number', async () => {
    const conv = await newConversation();
    const b = await openUserSocket(server, bob);
    const m1 = server.control.sendAs(DEMO_EMAILS.alice, conv, 'one');
    const m2 = server.control.sendAs(DEMO_EMAILS.alice, conv, 'two');
    expect(m1.updated_seq).toBe(0);
    expect((await edit(m1.id, 'one!')).status).toBe(204);
    expect(await b.nextOfType('message_edited')).toMatchObject({ message_id: m1.id, plaintext: 'one!', updated_seq: 1 });
    expect((await remove(m2.id)).status).toBe(204);
    expect(await b.nextOfType('message_deleted')).toMatchObject({ message_id: m2.id, updated_seq: 2 });
    expect((await edit(m1.id, 'one!!')).status).toBe(204);
    expect(await b.nextOfType('message_edited')).toMatchObject({ message_id: m1.id, updated_seq: 3 });
    const conversation = ConversationSchema.parse((await api(server, 'GET', `/conversations/${conv}`, { token: bob })).body);
    expect(conversation.last_updated_seq).toBe(3);
    // history pages carry each message's current state and its last change
    const page = MessageListSchema.parse((await api(server, 'GET', `/conversations/${conv}/messages`, { token: bob })).body);
    expect(page.map((m) => [m.plaintext, m.updated_seq, m.deleted_at !== null])).toEqual([
      ['one!!', 3, false],
      ['', 2, true],
    ]);
    b.close();
  });

  it('brings a client that was away every edit and delete since its cursor, once per message, in change order', async () => {
    const conv = await newConversation();
    const [m1, m2, m3] = ['a', 'b', 'c'].map((t) => server.control.sendAs(DEMO_EMAILS.alice, conv, t));
    if (!m1 || !m2 || !m3) throw new Error('sendAs');
    await edit(m1.id, 'a1');
    // Bob synced up to here, then went away; no socket of his is open
    const cursor = (await changes(conv)).last_updated_seq;
    expect(cursor).toBe(1);
    await edit(m2.id, 'b1');
    await edit(m1.id, 'a2');
    await remove(m3.id);
    await edit(m2.id, 'b2');
    const feed = await changes(conv, `?after_updated_seq=${cursor}`);
    expect(feed).toMatchObject({ conversation_id: conv, last_updated_seq: 5, has_more: false });
    expect(feed.changes.map((m) => [m.id, m.updated_seq, m.plaintext, m.deleted_at !== null])).toEqual([
      [m1.id, 3, 'a2', false],
      [m3.id, 4, '', true],
      [m2.id, 5, 'b2', false],
    ]);
    expect(feed.changes[0]?.edited_at).toEqual(expect.any(String));
    expect(await changes(conv, '?after_updated_seq=5')).toMatchObject({ changes: [], last_updated_seq: 5, has_more: false });
  });

  it('pages with limit and has_more', async () => {
    const conv = await newConversation();
    const sent = Array.from({ length: 5 }, (_, i) => server.control.sendAs(DEMO_EMAILS.alice, conv, `m${i}`));
    for (const m of sent) await edit(m.id, `${m.plaintext ?? ''}!`);
    const first = await changes(conv, '?limit=2');
    expect(first.changes.map((m) => m.updated_seq)).toEqual([1, 2]);
    expect(first.has_more).toBe(true);
    const second = await changes(conv, '?after_updated_seq=2&limit=2');
    expect(second.changes.map((m) => m.updated_seq)).toEqual([3, 4]);
    const last = await changes(conv, '?after_updated_seq=4&limit=2');
    expect(last.changes.map((m) => m.updated_seq)).toEqual([5]);
    expect(last.has_more).toBe(false);
    const exact = await changes(conv, '?after_updated_seq=3&limit=2');
    expect(exact.has_more).toBe(false);
  });

  it('sync_complete says where the change counter is', async () => {
    const conv = await newConversation();
    const m = server.control.sendAs(DEMO_EMAILS.alice, conv, 'x');
    await edit(m.id, 'y');
    const b = await openUserSocket(server, bob);
    b.send({ type: 'sync', conversation_id: conv, after_seq: 0 });
    const done = SyncCompleteFrameSchema.parse(await b.nextOfType('sync_complete'));
    expect(done).toMatchObject({ last_seq: 1, last_updated_seq: 1, has_more: false });
    b.close();
  });

  it('an edit to the same text, or a second delete, changes nothing and tells nobody', async () => {
    const conv = await newConversation();
    const b = await openUserSocket(server, bob);
    const m = server.control.sendAs(DEMO_EMAILS.alice, conv, 'same');
    await b.nextOfType('message');
    expect((await edit(m.id, 'same')).status).toBe(204);
    expect((await remove(m.id)).status).toBe(204);
    expect((await remove(m.id)).status).toBe(204);
    await b.roundTrip();
    expect(b.frames.map((f) => f['type'])).toEqual(['message_deleted']);
    expect((await changes(conv)).last_updated_seq).toBe(1);
    b.close();
  });

  it('keeps the sender-only rule, refuses to edit a deleted message, and bounds the text', async () => {
    const conv = await newConversation();
    const m = server.control.sendAs(DEMO_EMAILS.alice, conv, 'mine');
    expect((await edit(m.id, 'not yours', bob)).status).toBe(403);
    expect((await remove(m.id, bob)).status).toBe(403);
    const big = await edit(m.id, 'é'.repeat(501));
    expect(big.status).toBe(413);
    expectErrorBody(big.body, 'PAYLOAD_TOO_LARGE');
    await remove(m.id);
    const late = await edit(m.id, 'revive');
    expect(late.status).toBe(410);
    expectErrorBody(late.body, 'MESSAGE_DELETED');
    expect((await changes(conv)).last_updated_seq).toBe(1);
  });

  it('answers non-members 403 and bad cursors 400', async () => {
    const conv = await newConversation();
    const carol = await signInAny(server, DEMO_EMAILS.carol);
    const r = await api(server, 'GET', `/conversations/${conv}/changes`, { token: carol });
    expect(r.status).toBe(403);
    expectErrorBody(r.body, 'NOT_MEMBER');
    expect((await api(server, 'GET', `/conversations/${randomUUID()}/changes`, { token: bob })).status).toBe(404);
    for (const q of ['?after_updated_seq=-1', '?after_updated_seq=x', '?limit=0', '?limit=201']) {
      const bad = await api(server, 'GET', `/conversations/${conv}/changes${q}`, { token: bob });
      expect(bad.status, q).toBe(400);
    }
  });
});
