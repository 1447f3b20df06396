/** Typing and read state across several devices of one user (protocol.md §4.6). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { ConversationListSchema, ReadReceiptFrameSchema } from '../../src/shared/protocol';
import type { Conversation } from '../../src/shared/protocol';
import type { ServerHandle } from '../../server/index';
import { DEMO_EMAILS } from '../../server/seed';
import { api, login, openUserSocket, startTestServer } from './helpers';
import type { TestSocket } from './helpers';

describe('typing and read state across devices', () => {
  let server: ServerHandle;
  let alice: string;
  let bob: string;
  let ids: Record<keyof typeof DEMO_EMAILS, string>;
  let conv: string;
  let aliceLaptop: TestSocket;
  let alicePhone: TestSocket;
  let bobLaptop: TestSocket;

  const view = async (token: string): Promise<Conversation> => {
    const list = ConversationListSchema.parse((await api(server, 'GET', '/conversations?limit=100', { token })).body);
    const c = list.conversations.find((x) => x.id === conv);
    if (!c) throw new Error('conversation missing');
    return c;
  };

  beforeAll(async () => {
    server = await startTestServer();
    if (!server.seed) throw new Error('no seed');
    ids = server.seed.users;
    // one sign-in per device, as two installations would have
    alice = (await login(server, DEMO_EMAILS.alice)).access_token;
    const alice2 = (await login(server, DEMO_EMAILS.alice)).access_token;
    bob = (await login(server, DEMO_EMAILS.bob)).access_token;
    const r = await api(server, 'POST', '/conversations', {
      token: bob,
      body: { type: 'group', name: `read-${randomUUID()}`, participant_ids: [ids.alice] },
    });
    conv = (r.body as { id: string }).id;
    aliceLaptop = await openUserSocket(server, alice);
    alicePhone = await openUserSocket(server, alice2);
    bobLaptop = await openUserSocket(server, bob);
    for (const s of [aliceLaptop, alicePhone, bobLaptop]) s.frames.length = 0;
  });
  afterAll(async () => {
    for (const s of [aliceLaptop, alicePhone, bobLaptop]) s.close();
    await server.close();
  });

  it('typing reaches the other members, and none of the typist’s own devices', async () => {
    aliceLaptop.send({ type: 'typing', conversation_id: conv, is_typing: true });
    expect(await bobLaptop.nextOfType('typing')).toEqual({ type: 'typing', conversation_id: conv, user_id: ids.alice, is_typing: true });
    aliceLaptop.send({ type: 'typing', conversation_id: conv, is_typing: false });
    expect(await bobLaptop.nextOfType('typing')).toMatchObject({ user_id: ids.alice, is_typing: false });
    await Promise.all([aliceLaptop.roundTrip(), alicePhone.roundTrip()]);
    expect([...aliceLaptop.frames, ...alicePhone.frames].filter((f) => f['type'] === 'typing')).toEqual([]);
  });

  it('a read on one device moves the unread count every device sees, and the reader’s marker for the others', async () => {
    for (const text of ['one', 'two', 'three']) server.control.sendAs(DEMO_EMAILS.bob, conv, text);
    expect(await view(alice)).toMatchObject({ unread_count: 3, last_read_seq: 0, last_seq: 3 });
    // the laptop reads up to 2 over its socket
    aliceLaptop.send({ type: 'read', conversation_id: conv, last_read_seq: 2 });
    for (const s of [alicePhone, aliceLaptop, bobLaptop]) {
      const receipt = ReadReceiptFrameSchema.parse(await s.nextOfType('read_receipt'));
      expect(receipt).toMatchObject({ conversation_id: conv, user_id: ids.alice, last_read_seq: 2 });
    }
    expect(await view(alice)).toMatchObject({ unread_count: 1, last_read_seq: 2 });
    const asBob = await view(bob);
    expect(asBob.members?.find((m) => m.user_id === ids.alice)?.last_read_seq).toBe(2);
    expect(asBob.members?.find((m) => m.user_id === ids.bob)?.last_read_seq).toBe(0);

    // the phone reads the rest over REST: the laptop hears it too
    expect((await api(server, 'POST', `/conversations/${conv}/read`, { token: alice, body: {} })).status).toBe(204);
    expect(await aliceLaptop.nextOfType('read_receipt')).toMatchObject({ user_id: ids.alice, last_read_seq: 3 });
    expect(await view(alice)).toMatchObject({ unread_count: 0, last_read_seq: 3 });
  });

  it('an older read from a device that lagged never moves the marker back', async () => {
    alicePhone.send({ type: 'read', conversation_id: conv, last_read_seq: 1 });
    expect(await aliceLaptop.nextOfType('read_receipt')).toMatchObject({ user_id: ids.alice, last_read_seq: 3 });
    expect(await view(alice)).toMatchObject({ unread_count: 0, last_read_seq: 3 });
  });

  it('the reader’s own messages and deleted messages are never unread', async () => {
    server.control.sendAs(DEMO_EMAILS.alice, conv, 'mine');
    const gone = server.control.sendAs(DEMO_EMAILS.bob, conv, 'gone');
    server.control.sendAs(DEMO_EMAILS.bob, conv, 'kept');
    expect((await api(server, 'DELETE', `/messages/${gone.id}`, { token: bob })).status).toBe(204);
    expect(await view(alice)).toMatchObject({ unread_count: 1 });
  });
});
