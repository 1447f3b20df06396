/**
 * People through the whole core (real connection, real SQLite) against the reference server:
 * names and members, people search, new conversations (online, offline and queued in front of
 * their messages, a lost answer, a crash before the answer: one conversation on the server each
 * time), typing and read state with a second client.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ConversationSummary } from '../../../src/shared/contract';
import { isLocalConversationId } from '../../../src/shared/people';
import { createCoreForTests, type TestCore } from '../../../src/main/core/testing';
import { createMemoryLogger } from '../../../src/main/core/logging';
import { DEMO_PASSWORD } from '../../../src/shared/demo';
import { BOB, startRealCoreRig, type RealCoreRig } from '../../support/real-core';
import { FAST_TIMING } from '../../support/timing';
import { TestLink } from '../../support/link';

let rig: RealCoreRig | null = null;
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  await rig?.cleanup();
  rig = null;
});

async function signedIn(options: Parameters<typeof startRealCoreRig>[0] = {}): Promise<RealCoreRig> {
  const r = await startRealCoreRig(options);
  rig = r;
  await r.signIn();
  await r.waitForState('CONNECTED');
  await r.core.delivery.whenSynced();
  return r;
}

function seed(r: RealCoreRig) {
  const s = r.server.seed;
  if (!s) throw new Error('no seed');
  return s;
}

async function summary(core: TestCore, id: string): Promise<ConversationSummary | undefined> {
  return (await core.handlers['conversations:list']({})).find((c) => c.id === id);
}

function serverConversations(r: RealCoreRig, name: string): number {
  return r.server.control.db().prepare('SELECT COUNT(*) FROM conversations WHERE name = ?').pluck().get(name) as number;
}

/** The user leaves Alice's organisation and her conversations: the server answers her as unknown. */
function hideFromAlice(r: RealCoreRig, userId: string): void {
  const db = r.server.control.db();
  db.prepare("UPDATE users SET org_id = 'partner' WHERE id = ?").run(userId);
  db.prepare('DELETE FROM members WHERE user_id = ?').run(userId);
}

async function goOffline(r: RealCoreRig): Promise<void> {
  r.proxy.refuse(true);
  r.proxy.cutAll();
  await vi.waitFor(() => expect(r.core.connection.state).not.toBe('CONNECTED'), { timeout: 5_000 });
}

async function bobClient(r: RealCoreRig): Promise<TestLink> {
  const bob = new TestLink({ url: r.server.url, wsUrl: r.server.wsUrl, email: BOB, password: DEMO_PASSWORD });
  await bob.connect();
  cleanups.push(() => bob.disconnect());
  return bob;
}

describe('names and members', () => {
  it('names a direct conversation after the other person and counts a group', async () => {
    const r = await signedIn();
    const s = seed(r);
    const direct = await summary(r.core, s.conversations.direct);
    expect(direct?.name).toBe('Bob Chen');
    expect(direct?.members?.map((m) => m.userId).sort()).toEqual([s.users.alice, s.users.bob].sort());
    const team = await summary(r.core, s.conversations.team);
    expect(team).toMatchObject({ name: 'Team', memberCount: 3, type: 'group' });
  });
});

describe('people search', () => {
  it('finds colleagues by name prefix, not people of another organisation, and says when offline', async () => {
    const r = await signedIn();
    const found = await r.core.handlers['people:search']({ query: 'car' });
    expect(found.people.map((p) => p.displayName)).toEqual(['Carol Diaz']);
    expect(found.people[0]?.email).toBe('carol@nova.local');
    expect((await r.core.handlers['people:search']({ query: 'erin' })).people).toEqual([]);
    await goOffline(r);
    await expect(r.core.handlers['people:search']({ query: 'car' })).rejects.toMatchObject({ code: 'OFFLINE' });
  });
});

describe('new conversations', () => {
  it('a direct chat with someone already chatted with opens that conversation; a new one is created once', async () => {
    const r = await signedIn();
    const s = seed(r);
    const bob = { id: s.users.bob, displayName: 'Bob Chen', username: 'bob', email: null };
    expect(await r.core.handlers['conversations:create']({ type: 'direct', person: bob })).toEqual({ conversationId: s.conversations.direct });
    const dave = { id: s.users.dave, displayName: 'Dave Okafor', username: 'dave', email: null };
    const { conversationId } = await r.core.handlers['conversations:create']({ type: 'direct', person: dave });
    expect(isLocalConversationId(conversationId)).toBe(false);
    await vi.waitFor(async () => expect((await summary(r.core, conversationId))?.name).toBe('Dave Okafor'));
    // Asking again opens the same one.
    expect(await r.core.handlers['conversations:create']({ type: 'direct', person: dave })).toEqual({ conversationId });
  });

  it('offline: the group is queued in front of its messages, then created once and the messages follow in order', async () => {
    const r = await signedIn();
    const s = seed(r);
    await goOffline(r);
    const people = [
      { id: s.users.bob, displayName: 'Bob Chen', username: 'bob', email: null },
      { id: s.users.carol, displayName: 'Carol Diaz', username: 'carol', email: null },
    ];
    const { conversationId: localId } = await r.core.handlers['conversations:create']({ type: 'group', name: 'Lunch crew', people });
    expect(isLocalConversationId(localId)).toBe(true);
    expect(await summary(r.core, localId)).toMatchObject({ name: 'Lunch crew', memberCount: 3, creation: 'pending' });
    for (const text of ['first', 'second']) await r.core.handlers['messages:send']({ conversationId: localId, text });
    const resolved: string[] = [];
    r.core.events.on('conversations:resolved', (e) => {
      if (e.localId === localId) resolved.push(e.conversationId);
    });
    r.proxy.refuse(false);
    await r.waitForState('CONNECTED', 10_000);
    await vi.waitFor(() => expect(r.core.getPendingCount()).toBe(0), { timeout: 10_000 });
    expect(serverConversations(r, 'Lunch crew')).toBe(1);
    expect(resolved).toHaveLength(1);
    const serverId = resolved[0] ?? '';
    expect(r.server.control.listMessages(serverId).map((m) => m.plaintext)).toEqual(['first', 'second']);
    expect(await summary(r.core, localId)).toBeUndefined();
    expect(await summary(r.core, serverId)).toMatchObject({ name: 'Lunch crew', creation: null, pendingCount: 0 });
  });

  it('a refused creation is discarded with its queued messages, whose text comes back; only a refused one can be', async () => {
    const r = await signedIn();
    const s = seed(r);
    await goOffline(r);
    const carol = { id: s.users.carol, displayName: 'Carol Diaz', username: 'carol', email: null };
    const { conversationId: localId } = await r.core.handlers['conversations:create']({ type: 'group', name: 'Gone plans', people: [carol] });
    for (const text of ['first', 'second']) await r.core.handlers['messages:send']({ conversationId: localId, text });
    await expect(r.core.handlers['conversations:discardCreation']({ conversationId: localId })).rejects.toMatchObject({ code: 'CONFLICT' });
    // Carol left the organisation meanwhile: the server no longer knows her to Alice.
    hideFromAlice(r, s.users.carol);
    r.proxy.refuse(false);
    await r.waitForState('CONNECTED', 10_000);
    await vi.waitFor(async () => expect((await summary(r.core, localId))?.creation).toBe('failed'), { timeout: 10_000 });
    expect(r.core.getPendingCount()).toBe(2);

    const discarded = await r.core.handlers['conversations:discardCreation']({ conversationId: localId });
    expect(discarded.messages.map((m) => m.text)).toEqual(['first', 'second']);
    expect(await summary(r.core, localId)).toBeUndefined();
    expect(r.core.getPendingCount()).toBe(0);
    expect(await r.core.handlers['outbox:list']({})).toEqual([]);
    expect((await r.core.handlers['messages:list']({ conversationId: localId, limit: 50 })).messages).toEqual([]);
    await vi.waitFor(() =>
      expect(r.eventsOf('outbox:changed').flatMap((e) => e.items).filter((i) => discarded.messages.some((m) => m.key === i.key))).toHaveLength(2),
    );
    await expect(r.core.handlers['conversations:discardCreation']({ conversationId: localId })).rejects.toMatchObject({ code: 'CONFLICT' });
    expect(serverConversations(r, 'Gone plans')).toBe(0);
  });

  it('a lost answer: the creation is replayed with its key and the server still has one conversation', async () => {
    const r = await signedIn();
    const s = seed(r);
    r.proxy.dropReplies(true);
    const people = [{ id: s.users.dave, displayName: 'Dave Okafor', username: 'dave', email: null }];
    const created = r.core.handlers['conversations:create']({ type: 'group', name: 'Lost answer', people });
    await vi.waitFor(() => expect(serverConversations(r, 'Lost answer')).toBe(1), { timeout: 5_000 });
    r.proxy.cutAll();
    const { conversationId: localId } = await created;
    expect(isLocalConversationId(localId)).toBe(true);
    await r.core.handlers['messages:send']({ conversationId: localId, text: 'after the lost answer' });
    r.proxy.dropReplies(false);
    await r.waitForState('CONNECTED', 10_000);
    await vi.waitFor(() => expect(r.core.getPendingCount()).toBe(0), { timeout: 10_000 });
    expect(serverConversations(r, 'Lost answer')).toBe(1);
    const serverId = r.server.control.db().prepare("SELECT id FROM conversations WHERE name = 'Lost answer'").pluck().get() as string;
    expect(r.server.control.listMessages(serverId).map((m) => m.plaintext)).toEqual(['after the lost answer']);
  });

  it('a crash before the answer: the next start replays the creation, one conversation on the server', async () => {
    const r = await signedIn();
    const secrets = r.secrets;
    const s = seed(r);
    r.proxy.dropReplies(true);
    const people = [{ id: s.users.bob, displayName: 'Bob Chen', username: 'bob', email: null }];
    void r.core.handlers['conversations:create']({ type: 'group', name: 'Crashed', people }).catch(() => undefined);
    await vi.waitFor(() => expect(serverConversations(r, 'Crashed')).toBe(1), { timeout: 5_000 });
    await r.core.stop();
    r.proxy.dropReplies(false);
    const again = createCoreForTests({
      dataDir: r.core.dataDir,
      serverUrl: r.proxy.url,
      logger: createMemoryLogger(),
      secretStore: secrets,
      metricsPort: 'off',
      timing: FAST_TIMING,
    });
    cleanups.push(() => again.stop());
    await again.start();
    await vi.waitFor(() => expect(again.connection.state).toBe('CONNECTED'), { timeout: 10_000 });
    await again.delivery.whenSynced();
    const list = await again.handlers['conversations:list']({});
    expect(list.filter((c) => c.name === 'Crashed').map((c) => isLocalConversationId(c.id))).toEqual([false]);
    expect(serverConversations(r, 'Crashed')).toBe(1);
  });
});

describe('conversations made elsewhere', () => {
  it('a group Bob creates with Alice shows at once, named and counted, before its first message', async () => {
    const r = await signedIn();
    const s = seed(r);
    const bob = await bobClient(r);
    const answer = await bob.request('POST', '/conversations', { type: 'group', name: 'Made by Bob', participant_ids: [s.users.alice, s.users.dave] });
    expect(answer.status).toBe(200);
    const id = (answer.body as { id: string }).id;
    await vi.waitFor(async () => expect(await summary(r.core, id)).toMatchObject({ name: 'Made by Bob', memberCount: 3, type: 'group', lastMessage: null }));
    expect((await summary(r.core, id))?.members?.map((m) => m.displayName).sort()).toEqual(['Alice Martin', 'Bob Chen', 'Dave Okafor']);
  });
});

describe('read state and typing with a second client', () => {
  it('another member reading moves "Seen"; the user reading on another device clears the unread count', async () => {
    const r = await signedIn();
    const s = seed(r);
    const direct = s.conversations.direct;
    await r.core.handlers['messages:send']({ conversationId: direct, text: 'did you see this?' });
    await vi.waitFor(() => expect(r.core.getPendingCount()).toBe(0));
    const head = r.server.control.listMessages(direct).at(-1)?.sequence_number ?? 0;
    const bob = await bobClient(r);
    await bob.request('POST', `/conversations/${direct}/read`, { last_read_seq: head });
    await vi.waitFor(async () => {
      const members = (await summary(r.core, direct))?.members ?? [];
      expect(members.find((m) => m.userId === s.users.bob)?.lastReadSeq).toBe(head);
    });
    // Bob writes; Alice reads it on her phone (the API as her other device): unread goes to 0 here.
    r.server.control.sendAs(BOB, direct, 'read me elsewhere');
    await vi.waitFor(async () => expect((await summary(r.core, direct))?.unreadCount).toBeGreaterThan(0));
    const phone = new TestLink({ url: r.server.url, wsUrl: r.server.wsUrl, email: 'alice@nova.local', password: DEMO_PASSWORD });
    await phone.signIn();
    await phone.request('POST', `/conversations/${direct}/read`, {});
    await vi.waitFor(async () => expect((await summary(r.core, direct))?.unreadCount).toBe(0));
  });

  it('typing comes in as "typing:changed" and ends with the stop; ours goes out paced', async () => {
    const r = await signedIn();
    const s = seed(r);
    const direct = s.conversations.direct;
    const bob = await bobClient(r);
    const seen: string[][] = [];
    r.core.events.on('typing:changed', (e) => {
      if (e.conversationId === direct) seen.push(e.userIds);
    });
    bob.sendFrame({ type: 'typing', conversation_id: direct, is_typing: true });
    await vi.waitFor(() => expect(seen.at(-1)).toEqual([s.users.bob]));
    bob.sendFrame({ type: 'typing', conversation_id: direct, is_typing: false });
    await vi.waitFor(() => expect(seen.at(-1)).toEqual([]));

    const atBob: Array<boolean | undefined> = [];
    bob.onFrame((frame) => {
      if (frame.type === 'typing' && frame.conversation_id === direct) atBob.push(frame.is_typing);
    });
    for (let i = 0; i < 5; i += 1) await r.core.handlers['conversations:typing']({ conversationId: direct, isTyping: true });
    await r.core.handlers['conversations:typing']({ conversationId: direct, isTyping: false });
    await r.core.handlers['conversations:typing']({ conversationId: direct, isTyping: false });
    await vi.waitFor(() => expect(atBob).toEqual([true, false]));
  });
});

describe('against legacy Nova (no people extensions)', () => {
  it('search says it is not there; a direct chat by user id is created once, named after the person picked', async () => {
    const r = await startRealCoreRig({ server: { legacyNova: true } });
    rig = r;
    const s = seed(r);
    await r.signIn();
    await r.waitForState('CONNECTED', 10_000);
    expect(r.core.connection.capabilities()?.mode).toBe('legacy');
    await expect(r.core.handlers['people:search']({ query: 'dave' })).rejects.toMatchObject({ code: 'NOT_IMPLEMENTED' });
    const dave = { id: s.users.dave, displayName: 'Dave Okafor', username: '', email: null };
    const { conversationId } = await r.core.handlers['conversations:create']({ type: 'direct', person: dave });
    expect(isLocalConversationId(conversationId)).toBe(false);
    expect(await summary(r.core, conversationId)).toMatchObject({ name: 'Dave Okafor', type: 'direct', creation: null });
    await r.core.handlers['messages:send']({ conversationId, text: 'hello over legacy' });
    await vi.waitFor(() => expect(r.core.getPendingCount()).toBe(0), { timeout: 10_000 });
    expect(r.server.control.listMessages(conversationId).length).toBe(1);
  });

  it('a creation whose answer was lost is not sent again: the user is told instead of a second conversation', async () => {
    const r = await startRealCoreRig({ server: { legacyNova: true } });
    rig = r;
    const s = seed(r);
    await r.signIn();
    await r.waitForState('CONNECTED', 10_000);
    const before = r.server.control.db().prepare('SELECT COUNT(*) FROM conversations').pluck().get() as number;
    r.proxy.dropReplies(true);
    const people = [{ id: s.users.carol, displayName: 'Carol Diaz', username: '', email: null }];
    const created = r.core.handlers['conversations:create']({ type: 'group', name: 'Legacy lost', people });
    await vi.waitFor(() => expect(r.server.control.db().prepare('SELECT COUNT(*) FROM conversations').pluck().get()).toBe(before + 1), { timeout: 5_000 });
    r.proxy.cutAll();
    const { conversationId } = await created;
    r.proxy.dropReplies(false);
    await r.waitForState('CONNECTED', 10_000);
    await vi.waitFor(async () => expect((await summary(r.core, conversationId))?.creation).toBe('failed'), { timeout: 10_000 });
    expect(r.server.control.db().prepare('SELECT COUNT(*) FROM conversations').pluck().get()).toBe(before + 1);
    expect(r.eventsOf('notification').map((n) => n.code)).toContain('UNKNOWN_ERROR');
    // The user looked and wants it anyway: asked again, it is created (a second one, by their choice).
    const again = await r.core.handlers['conversations:retryCreation']({ conversationId });
    expect(isLocalConversationId(again.conversationId)).toBe(false);
    expect(r.server.control.db().prepare('SELECT COUNT(*) FROM conversations').pluck().get()).toBe(before + 2);
    await expect(r.core.handlers['conversations:retryCreation']({ conversationId })).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});
