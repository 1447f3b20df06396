import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ServerHandle } from '../../../server/index';
import { losingLiveMessages, makeDeliveryRig, type DeliveryRig } from '../../support/delivery';
import { BOB, startDemoServer } from '../../support/real-core';

let server: ServerHandle | null = null;
const rigs: DeliveryRig[] = [];
/** Messages the demo seed wrote, so assertions see only what a test sent. */
let seeded = new Set<string>();

afterEach(async () => {
  for (const rig of rigs.splice(0)) await rig.cleanup();
  await server?.close();
  server = null;
});

async function setup(options: Parameters<typeof makeDeliveryRig>[1] = {}, serverOptions = {}) {
  server = await startDemoServer(serverOptions);
  const rig = await makeDeliveryRig(server, options);
  rigs.push(rig);
  const seed = server.seed;
  if (!seed) throw new Error('no seed');
  seeded = new Set(
    [seed.conversations.direct, seed.conversations.team].flatMap((id) => server?.control.listMessages(id).map((m) => m.id) ?? []),
  );
  return { server, rig, seed };
}

function ownTexts(server: ServerHandle, conversationId: string, senderId: string): string[] {
  return server.control
    .listMessages(conversationId)
    .filter((m) => m.sender_id === senderId && !seeded.has(m.id))
    .map((m) => m.plaintext ?? '');
}

describe('delivery against the reference server', () => {
  it('queues offline, then delivers everything once, in compose order, pipelined with client_seq', async () => {
    const { server, rig, seed } = await setup();
    const { core, link } = rig;
    const texts = Array.from({ length: 40 }, (_, i) => `offline ${i}`);
    for (const text of texts) {
      const view = await core.handlers['messages:send']({ conversationId: seed.conversations.team, text });
      expect(view.state).toBe('saved');
    }
    expect(link.sent).toEqual([]);
    expect(core.getPendingCount()).toBe(40);

    await link.connect();
    await vi.waitFor(() => expect(core.getPendingCount()).toBe(0), { timeout: 5_000 });
    expect(ownTexts(server, seed.conversations.team, seed.users.alice).filter((t) => t.startsWith('offline'))).toEqual(texts);
    const sends = link.sent.filter((f) => f['type'] === 'send');
    expect(sends.length).toBeGreaterThanOrEqual(40);
    expect(sends.every((f) => typeof f['client_seq'] === 'number' && typeof f['device_id'] === 'string')).toBe(true);

    const page = await core.handlers['messages:list']({ conversationId: seed.conversations.team });
    const own = page.messages.filter((m) => m.isOwn && m.text.startsWith('offline'));
    expect(own.map((m) => m.text)).toEqual(texts);
    expect(own.every((m) => m.state === 'sent' && m.seq !== null && m.serverId !== null)).toBe(true);
    // the server's echo and its ack ended in one row per message
    expect(new Set(page.messages.map((m) => m.serverId)).size).toBe(page.messages.length);
  });

  it('a drained burst reaches the window in batches: each message once per event, every one ending sent', async () => {
    const { rig, seed } = await setup({ timing: { eventBatchMs: 40 } });
    const { core, link } = rig;
    const keys: string[] = [];
    for (let i = 0; i < 100; i += 1) keys.push((await core.handlers['messages:send']({ conversationId: seed.conversations.team, text: `burst ${i}` })).key);
    await link.connect();
    await vi.waitFor(() => expect(core.getPendingCount()).toBe(0), { timeout: 5_000 });
    const sentKeys = (): Set<string> => new Set(rig.eventsOf('outbox:changed').flatMap((e) => e.items).filter((i) => i.state === 'sent').map((i) => i.key));
    await vi.waitFor(() => expect(keys.filter((key) => sentKeys().has(key))).toHaveLength(100));
    const batches = rig.eventsOf('messages:changed');
    for (const batch of batches) expect(new Set(batch.messages.map((m) => m.key)).size).toBe(batch.messages.length);
    // One event per window, not one per change: 100 messages each go saved → sending → sent.
    expect(batches.length).toBeLessThan(50);
    const last = new Map(batches.flatMap((batch) => batch.messages).map((m) => [m.key, m.state]));
    expect(keys.map((key) => last.get(key))).toEqual(keys.map(() => 'sent'));
  });

  it('a message sent while connected goes out at once and the renderer sees saved → sent', async () => {
    const { rig, seed } = await setup();
    await rig.link.connect();
    await rig.core.delivery.whenSynced();
    const view = await rig.core.handlers['messages:send']({ conversationId: seed.conversations.direct, text: 'hi bob' });
    await vi.waitFor(async () => {
      const page = await rig.core.handlers['messages:list']({ conversationId: seed.conversations.direct });
      expect(page.messages.find((m) => m.key === view.key)?.state).toBe('sent');
    });
    const states = rig
      .eventsOf('messages:changed')
      .flatMap((e) => e.messages)
      .filter((m) => m.key === view.key)
      .map((m) => m.state);
    expect(states.at(-1)).toBe('sent');
    const removal = rig.eventsOf('outbox:changed').flatMap((e) => e.items).filter((i) => i.key === view.key);
    expect(removal.at(-1)?.state).toBe('sent');
  });

  it('history is readable offline, and conversations:list gives last message, unread and pending counts', async () => {
    const { server, rig, seed } = await setup();
    await rig.link.connect();
    await rig.core.delivery.whenSynced();
    server.control.sendAs(BOB, seed.conversations.direct, 'from bob');
    await vi.waitFor(async () => {
      const list = await rig.core.handlers['conversations:list']({});
      expect(list.find((c) => c.id === seed.conversations.direct)?.lastMessage?.preview).toBe('from bob');
    });
    rig.link.disconnect();
    await rig.core.handlers['messages:send']({ conversationId: seed.conversations.direct, text: 'queued' });
    const list = await rig.core.handlers['conversations:list']({});
    const direct = list.find((c) => c.id === seed.conversations.direct);
    expect(direct?.pendingCount).toBe(1);
    expect(direct?.unreadCount).toBeGreaterThanOrEqual(1);
    expect(direct?.lastMessage?.preview).toBe('queued');
    const page = await rig.core.handlers['messages:list']({ conversationId: seed.conversations.direct });
    expect(page.messages.map((m) => m.text)).toContain('from bob');
    await rig.core.handlers['messages:markRead']({ conversationId: seed.conversations.direct });
    const after = await rig.core.handlers['conversations:list']({});
    expect(after.find((c) => c.id === seed.conversations.direct)?.unreadCount).toBe(0);
  });

  it('pages history by keyset with an opaque cursor, oldest first within a page', async () => {
    const { rig, seed } = await setup();
    for (let i = 0; i < 25; i += 1) {
      await rig.core.handlers['messages:send']({ conversationId: seed.conversations.team, text: `m${i}` });
    }
    const first = await rig.core.handlers['messages:list']({ conversationId: seed.conversations.team, limit: 10 });
    expect(first.messages.map((m) => m.text)).toEqual(Array.from({ length: 10 }, (_, i) => `m${15 + i}`));
    const second = await rig.core.handlers['messages:list']({
      conversationId: seed.conversations.team,
      limit: 10,
      olderCursor: first.olderCursor,
    });
    expect(second.messages.map((m) => m.text)).toEqual(Array.from({ length: 10 }, (_, i) => `m${5 + i}`));
    await expect(
      rig.core.handlers['messages:list']({ conversationId: seed.conversations.team, olderCursor: 'garbage' }),
    ).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
  });

  it('a non-retryable rejection fails the message with its reason; later messages still go, in order; retry sends it', async () => {
    const { server, rig, seed } = await setup();
    await rig.link.connect();
    await rig.core.delivery.whenSynced();
    server.control.failNextSends(1, { status: 403 });
    const first = await rig.core.handlers['messages:send']({ conversationId: seed.conversations.team, text: 'refused' });
    const second = await rig.core.handlers['messages:send']({ conversationId: seed.conversations.team, text: 'after' });
    await vi.waitFor(async () => {
      const items = await rig.core.handlers['outbox:list']({});
      expect(items.map((i) => [i.key, i.state])).toEqual([[first.key, 'failed']]);
    });
    const [failed] = await rig.core.handlers['outbox:list']({});
    expect(failed?.lastError?.code).toBe('FORBIDDEN');
    expect(failed?.lastError?.message).toMatch(/Injected failure/);
    expect(rig.eventsOf('notification').some((n) => n.code === 'FORBIDDEN' && n.messageKey === first.key)).toBe(true);
    expect(ownTexts(server, seed.conversations.team, seed.users.alice)).toContain('after');
    expect((await rig.core.handlers['outbox:retry']({ key: null })).count).toBe(1);
    await vi.waitFor(() => expect(rig.core.getPendingCount()).toBe(0));
    const texts = ownTexts(server, seed.conversations.team, seed.users.alice);
    expect(texts.filter((t) => t === 'refused')).toHaveLength(1);
    expect(texts.indexOf('after')).toBeLessThan(texts.indexOf('refused'));
    void second;
  });

  it('retryable failures (503, rate limit) back off and deliver once, in order', async () => {
    const { server, rig, seed } = await setup();
    await rig.link.connect();
    await rig.core.delivery.whenSynced();
    server.control.failNextSends(3, { status: 503 });
    const texts = ['r1', 'r2', 'r3', 'r4'];
    for (const text of texts) await rig.core.handlers['messages:send']({ conversationId: seed.conversations.team, text });
    await vi.waitFor(() => expect(rig.core.getPendingCount()).toBe(0), { timeout: 5_000 });
    expect(ownTexts(server, seed.conversations.team, seed.users.alice)).toEqual(texts);
  });

  it('an ack that never comes leaves the message "confirming"; the resend with the same key is not a duplicate', async () => {
    const { server, rig, seed } = await setup({ timing: { ackTimeoutMs: 100 } });
    await rig.link.connect();
    await rig.core.delivery.whenSynced();
    let lose = true;
    // the ack and the echo of the first attempt are lost on the way back
    rig.link.incomingFilter = (frame) =>
      !(lose && (frame['type'] === 'ack' || (frame['type'] === 'message' && (frame['message'] as { plaintext?: string }).plaintext === 'lost ack')));
    const view = await rig.core.handlers['messages:send']({ conversationId: seed.conversations.direct, text: 'lost ack' });
    await vi.waitFor(async () => {
      const items = await rig.core.handlers['outbox:list']({});
      expect(items.find((i) => i.key === view.key)?.state).toBe('confirming');
    });
    lose = false;
    await vi.waitFor(() => expect(rig.core.getPendingCount()).toBe(0), { timeout: 5_000 });
    expect(ownTexts(server, seed.conversations.direct, seed.users.alice)).toEqual(['lost ack']);
    const sends = rig.link.sent.filter((f) => f['type'] === 'send' && f['idempotency_key'] === view.key);
    expect(sends.length).toBeGreaterThanOrEqual(2);
    const page = await rig.core.handlers['messages:list']({ conversationId: seed.conversations.direct });
    expect(page.messages.filter((m) => m.text === 'lost ack')).toHaveLength(1);
  });

  it('messages in flight when the socket drops are confirmed after reconnect, never duplicated', async () => {
    const { server, rig, seed } = await setup();
    await rig.link.connect();
    await rig.core.delivery.whenSynced();
    // one accepted send confirms the client_seq counter, so the next ones are pipelined
    await rig.core.handlers['messages:send']({ conversationId: seed.conversations.team, text: 'warm-up' });
    await vi.waitFor(() => expect(rig.core.getPendingCount()).toBe(0));
    let lose = true;
    rig.link.incomingFilter = (frame) => !(lose && (frame['type'] === 'ack' || frame['type'] === 'message'));
    const texts = Array.from({ length: 20 }, (_, i) => `drop ${i}`);
    for (const text of texts) await rig.core.handlers['messages:send']({ conversationId: seed.conversations.team, text });
    await vi.waitFor(() => expect(rig.link.sent.filter((f) => f['type'] === 'send').length).toBe(21));
    rig.link.disconnect();
    lose = false;
    const items = await rig.core.handlers['outbox:list']({});
    expect(items.map((i) => i.state)).toEqual(texts.map(() => 'confirming'));
    await rig.link.connect();
    await vi.waitFor(() => expect(rig.core.getPendingCount()).toBe(0), { timeout: 5_000 });
    expect(ownTexts(server, seed.conversations.team, seed.users.alice).filter((t) => t.startsWith('drop'))).toEqual(texts);
    void server;
  });

  it('sign-out keeps the outbox for that user; another user never sends it; it goes when they are back', async () => {
    const { server, rig, seed } = await setup();
    await rig.core.handlers['messages:send']({ conversationId: seed.conversations.direct, text: 'alice only' });
    rig.link.signOut();
    await expect(rig.core.handlers['outbox:list']({})).resolves.toEqual([]);
    expect(rig.core.getPendingCount()).toBe(1);
    const asBob = await makeDeliveryRig(server, { email: BOB, dataDir: rig.dataDir, keepData: true });
    // the data folder is shared on purpose: same machine, another account
    await rig.core.stop();
    await asBob.link.connect();
    await asBob.core.delivery.whenSynced();
    expect(await asBob.core.handlers['outbox:list']({})).toEqual([]);
    expect(server.control.listMessages(seed.conversations.direct).some((m) => m.plaintext === 'alice only')).toBe(false);
    await asBob.cleanup();
    const again = await makeDeliveryRig(server, { dataDir: rig.dataDir });
    rigs.push(again);
    await again.link.connect();
    await vi.waitFor(() => expect(again.core.getPendingCount()).toBe(0));
    expect(ownTexts(server, seed.conversations.direct, seed.users.alice)).toContain('alice only');
  });

  it('messages written more than an hour before the connection came back are held until confirmed', async () => {
    let now = Date.parse('2030-01-01T10:00:00Z');
    const clock = {
      now: () => now,
      setTimeout: (callback: () => void, ms: number) => ({ id: setTimeout(callback, ms) }),
      clearTimeout: (handle: { id: unknown }) => clearTimeout(handle.id as NodeJS.Timeout),
    };
    const { server, rig, seed } = await setup({ clock });
    const stale = await rig.core.handlers['messages:send']({ conversationId: seed.conversations.direct, text: 'stale one' });
    const other = await rig.core.handlers['messages:send']({ conversationId: seed.conversations.direct, text: 'stale two' });
    now += 2 * 60 * 60 * 1000;
    const fresh = await rig.core.handlers['messages:send']({ conversationId: seed.conversations.direct, text: 'fresh' });
    await rig.link.connect();
    await vi.waitFor(async () => {
      const items = await rig.core.handlers['outbox:list']({});
      expect(items.map((i) => i.state)).toEqual(['held', 'held']);
    });
    expect(rig.eventsOf('notification').some((n) => n.code === 'MESSAGES_HELD')).toBe(true);
    expect(ownTexts(server, seed.conversations.direct, seed.users.alice)).toEqual(['fresh']);
    await rig.core.handlers['outbox:confirm']({ key: stale.key, send: true });
    await rig.core.handlers['outbox:confirm']({ key: other.key, send: false });
    await vi.waitFor(() => expect(rig.core.getPendingCount()).toBe(0));
    expect(ownTexts(server, seed.conversations.direct, seed.users.alice)).toEqual(['fresh', 'stale one']);
    const page = await rig.core.handlers['messages:list']({ conversationId: seed.conversations.direct });
    expect(page.messages.some((m) => m.key === other.key)).toBe(false);
    void fresh;
  });

  it('refuses over the caps with clear errors and drops nothing already queued', async () => {
    const { rig, seed } = await setup({ outboxLimits: { maxMessages: 3, defaultMaxMessageBytes: 100 } });
    for (let i = 0; i < 3; i += 1) await rig.core.handlers['messages:send']({ conversationId: seed.conversations.team, text: `q${i}` });
    await expect(rig.core.handlers['messages:send']({ conversationId: seed.conversations.team, text: 'one more' })).rejects.toMatchObject({
      code: 'OUTBOX_FULL',
    });
    await expect(rig.core.handlers['messages:send']({ conversationId: seed.conversations.team, text: 'x'.repeat(101) })).rejects.toMatchObject({
      code: 'MESSAGE_TOO_LARGE',
    });
    expect((await rig.core.handlers['outbox:list']({})).map((i) => i.state)).toEqual(['saved', 'saved', 'saved']);
  });

  it('legacy Nova: queued messages in two conversations are delivered once each, in order, one REST POST at a time', async () => {
    const { server, rig, seed } = await setup({ legacy: true }, { legacyNova: true });
    const plan = [
      [seed.conversations.direct, ['d1', 'd2', 'd3']],
      [seed.conversations.team, ['t1', 't2', 't3']],
    ] as const;
    for (const [conversationId, texts] of plan) {
      for (const text of texts) await rig.core.handlers['messages:send']({ conversationId, text });
    }
    await rig.link.connect();
    await vi.waitFor(() => expect(rig.core.getPendingCount()).toBe(0), { timeout: 5_000 });
    for (const [conversationId, texts] of plan) {
      expect(ownTexts(server, conversationId, seed.users.alice)).toEqual([...texts]);
    }
    expect(rig.link.sent.filter((f) => f['type'] === 'send')).toEqual([]);
    // legacy echoes every event twice and without text: still one row per message
    await vi.waitFor(async () => {
      const page = await rig.core.handlers['messages:list']({ conversationId: seed.conversations.direct });
      const mine = page.messages.filter((m) => m.isOwn && ['d1', 'd2', 'd3'].includes(m.text));
      expect(mine.map((m) => m.state)).toEqual(['sent', 'sent', 'sent']);
      expect(new Set(page.messages.map((m) => m.serverId)).size).toBe(page.messages.length);
    });
  });

  it('a live frame beyond a gap triggers a sync from the last contiguous number', async () => {
    const { server, rig, seed } = await setup();
    await rig.link.connect();
    await rig.core.delivery.whenSynced();
    rig.link.incomingFilter = losingLiveMessages('missed');
    server.control.sendAs(BOB, seed.conversations.team, 'missed 1');
    server.control.sendAs(BOB, seed.conversations.team, 'missed 2');
    server.control.sendAs(BOB, seed.conversations.team, 'live 3');
    await vi.waitFor(async () => {
      const page = await rig.core.handlers['messages:list']({ conversationId: seed.conversations.team });
      expect(page.messages.map((m) => m.text)).toEqual(
        expect.arrayContaining(['missed 1', 'missed 2', 'live 3']),
      );
    });
    expect(rig.link.sent.filter((f) => f['type'] === 'sync').length).toBeGreaterThanOrEqual(3);
    const page = await rig.core.handlers['messages:list']({ conversationId: seed.conversations.team, limit: 500 });
    const seqs = page.messages.map((m) => m.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => (a ?? 0) - (b ?? 0)));
    expect(new Set(seqs).size).toBe(seqs.length);
  });
});
