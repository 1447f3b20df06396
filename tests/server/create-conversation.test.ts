/** New conversations: direct and group, replayable exactly once by client key (protocol.md §3.6). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConversationCreatedFrameSchema, ConversationListSchema, CreateConversationResponseSchema } from '../../src/shared/protocol';
import type { CreateConversationResponse } from '../../src/shared/protocol';
import type { ServerHandle } from '../../server/index';
import { DEMO_EMAILS } from '../../server/seed';
import { TestSocket, api, expectErrorBody, login, openUserSocket, rawRequest, startTestServer } from './helpers';

describe('creating conversations', () => {
  let server: ServerHandle;
  let alice: string;
  let bob: string;
  let dave: string;
  let ids: Record<keyof typeof DEMO_EMAILS, string>;

  const create = async (token: string, body: unknown, headers?: Record<string, string>): Promise<CreateConversationResponse> => {
    const r = await api(server, 'POST', '/conversations', { token, body, ...(headers ? { headers } : {}) });
    expect(r.status, r.text).toBe(200);
    return CreateConversationResponseSchema.parse(r.body);
  };
  const countOf = async (token: string): Promise<number> =>
    ConversationListSchema.parse((await api(server, 'GET', '/conversations?limit=100', { token })).body).total;

  beforeAll(async () => {
    server = await startTestServer();
    if (!server.seed) throw new Error('no seed');
    ids = server.seed.users;
    alice = (await login(server, DEMO_EMAILS.alice)).access_token;
    bob = (await login(server, DEMO_EMAILS.bob)).access_token;
    dave = (await login(server, DEMO_EMAILS.dave)).access_token;
  });
  afterAll(() => server.close());

  it('a group with a client key is created once; its replay answers the same conversation', async () => {
    const key = randomUUID();
    const before = await countOf(alice);
    const body = { type: 'group', name: '  Launch  ', participant_ids: [ids.bob, ids.dave], client_key: key };
    const first = await create(alice, body);
    expect(first).toMatchObject({ type: 'group', name: 'Launch', member_count: 3, created: true, last_seq: 0 });
    const again = await create(alice, body);
    expect(again).toMatchObject({ id: first.id, created: false });
    expect(await countOf(alice)).toBe(before + 1);
  });

  it('takes the key from an Idempotency-Key header too', async () => {
    const key = randomUUID();
    const body = { type: 'group', name: 'Header', participant_ids: [ids.bob] };
    const first = await create(alice, body, { 'Idempotency-Key': key });
    const again = await create(alice, body, { 'Idempotency-Key': key });
    expect(again).toMatchObject({ id: first.id, created: false });
  });

  it('concurrent replays of one creation make one conversation', async () => {
    const key = randomUUID();
    const before = await countOf(dave);
    const body = { type: 'group', name: 'Race', participant_ids: [ids.alice], client_key: key };
    const answers = await Promise.all(Array.from({ length: 8 }, () => create(dave, body)));
    expect(new Set(answers.map((a) => a.id)).size).toBe(1);
    expect(answers.filter((a) => a.created)).toHaveLength(1);
    expect(await countOf(dave)).toBe(before + 1);
  });

  it('the same key asking for something else is a conflict, not a replay; keys are per user', async () => {
    const key = randomUUID();
    const first = await create(alice, { type: 'group', name: 'One', participant_ids: [ids.bob], client_key: key });
    const other = await api(server, 'POST', '/conversations', {
      token: alice,
      body: { type: 'group', name: 'Two', participant_ids: [ids.bob], client_key: key },
    });
    expect(other.status).toBe(409);
    expectErrorBody(other.body, 'CONFLICT');
    // Bob's use of the same key is his own creation
    const bobs = await create(bob, { type: 'group', name: 'One', participant_ids: [ids.alice], client_key: key });
    expect(bobs.id).not.toBe(first.id);
    expect(bobs.created).toBe(true);
    const tooLong = await api(server, 'POST', '/conversations', {
      token: alice,
      body: { type: 'group', participant_ids: [ids.bob] },
      headers: { 'Idempotency-Key': 'k'.repeat(129) },
    });
    expect(tooLong.status).toBe(400);
  });

  it('a direct conversation that exists is answered, with or without a key, in either form', async () => {
    const direct = server.seed?.conversations.direct ?? '';
    const key = randomUUID();
    expect(await create(alice, { type: 'direct', participant_ids: [ids.bob], client_key: key })).toMatchObject({ id: direct, created: false });
    expect(await create(alice, { type: 'direct', participant_ids: [ids.bob], client_key: key })).toMatchObject({ id: direct, created: false });
    expect(await create(bob, { user_a: ids.bob, user_b: ids.alice })).toMatchObject({ id: direct, created: false });
    const fresh = await create(bob, { type: 'direct', participant_ids: [ids.dave], client_key: randomUUID() });
    expect(fresh.created).toBe(true);
    expect(await create(dave, { user_a: ids.bob, user_b: ids.dave })).toMatchObject({ id: fresh.id, created: false });
    const self = await api(server, 'POST', '/conversations', { token: bob, body: { type: 'direct', participant_ids: [ids.bob] } });
    expect(self.status).toBe(400);
  });

  it('tells every member’s sockets, the creator’s other devices included, once', async () => {
    const aliceOther = await openUserSocket(server, alice);
    const bobSocket = await openUserSocket(server, bob);
    const outsider = await openUserSocket(server, dave);
    const key = randomUUID();
    const body = { type: 'group', name: 'Told', participant_ids: [ids.bob], client_key: key };
    const made = await create(alice, body);
    for (const s of [aliceOther, bobSocket]) {
      const frame = ConversationCreatedFrameSchema.parse(await s.nextOfType('conversation_created'));
      expect(frame.conversation_id).toBe(made.id);
      expect(frame.conversation).toMatchObject({ id: made.id, name: 'Told', member_count: 2, unread_count: 0, last_read_seq: 0 });
    }
    await create(alice, body);
    for (const s of [aliceOther, bobSocket, outsider]) {
      await s.roundTrip();
      expect(s.frames.filter((f) => f['type'] === 'conversation_created')).toHaveLength(0);
      s.close();
    }
  });

  it('the handshake advertises the messenger features and the new event', async () => {
    const s = await TestSocket.open(server.wsUrl, { token: alice });
    const hs = await s.nextOfType('protocol_handshake');
    expect(hs['server_capabilities'].features).toEqual(
      expect.arrayContaining(['people', 'create_key', 'change_feed', 'message_by_key']),
    );
    expect(hs['server_capabilities'].supported_events).toContain('conversation_created');
    s.close();
  });
});

describe('creation keys across a restart', () => {
  it('are kept in the data file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nova-server-'));
    const server = await startTestServer({ dataFile: join(dir, 'db.sqlite'), jwtSecret: 'test-secret' });
    try {
      const token = (await login(server, DEMO_EMAILS.alice)).access_token;
      const body = JSON.stringify({ type: 'group', name: 'Durable', participant_ids: [server.seed?.users.bob], client_key: 'durable-1' });
      // a connection of its own per request: the restart ends every TCP connection
      const post = (): ReturnType<typeof rawRequest> =>
        rawRequest(server, {
          method: 'POST',
          path: '/conversations',
          headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json', Connection: 'close' },
          body,
        });
      const first = await post();
      expect(first.body).toMatchObject({ created: true });
      await server.control.restart();
      const again = await post();
      expect(again.body).toMatchObject({ id: (first.body as { id: string }).id, created: false });
    } finally {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
