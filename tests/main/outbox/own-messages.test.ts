import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ServerHandle } from '../../../server/index';
import { setState } from '../../../src/main/core/store/outbox';
import { makeDeliveryRig, type DeliveryRig } from '../../support/delivery';
import { startDemoServer } from '../../support/real-core';

let server: ServerHandle | null = null;
const rigs: DeliveryRig[] = [];

afterEach(async () => {
  for (const rig of rigs.splice(0)) await rig.cleanup();
  await server?.close();
  server = null;
});

async function setup(options: Parameters<typeof makeDeliveryRig>[1] = {}) {
  server = await startDemoServer();
  const rig = await makeDeliveryRig(server, options);
  rigs.push(rig);
  const seed = server.seed;
  if (!seed) throw new Error('no seed');
  return { server, rig, seed };
}

/** The sends of one key the link put on the wire. */
function sendsOf(rig: DeliveryRig, key: string): Record<string, unknown>[] {
  return (rig.link.sent as unknown as Record<string, unknown>[]).filter((f) => f['type'] === 'send' && f['idempotency_key'] === key);
}

/** What the server holds under this key: none, or the one message with its text and whether it is deleted. */
function onServer(server: ServerHandle, conversationId: string, key: string) {
  return server.control
    .listMessages(conversationId)
    .filter((m) => m.idempotency_key === key)
    .map((m) => ({ text: m.plaintext ?? '', deleted: m.deleted_at != null }));
}

describe('cancel', () => {
  it('a message queued offline is withdrawn at once and never sent', async () => {
    const { server, rig, seed } = await setup();
    const keep = await rig.core.handlers['messages:send']({ conversationId: seed.conversations.team, text: 'keep' });
    const drop = await rig.core.handlers['messages:send']({ conversationId: seed.conversations.team, text: 'drop' });
    expect(await rig.core.handlers['messages:cancel']({ key: drop.key })).toEqual({ outcome: 'withdrawn' });
    const page = await rig.core.handlers['messages:list']({ conversationId: seed.conversations.team });
    expect(page.messages.some((m) => m.key === drop.key)).toBe(false);
    await rig.link.connect();
    await vi.waitFor(() => expect(rig.core.getPendingCount()).toBe(0));
    expect(onServer(server, seed.conversations.team, keep.key)).toEqual([{ text: 'keep', deleted: false }]);
    expect(onServer(server, seed.conversations.team, drop.key)).toEqual([]);
    expect(sendsOf(rig, drop.key).length > 0).toBe(false);
    await expect(rig.core.handlers['messages:cancel']({ key: drop.key })).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('failed and held messages are withdrawn at once', async () => {
    const { server, rig, seed } = await setup();
    await rig.link.connect();
    await rig.core.delivery.whenSynced();
    server.control.failNextSends(1, { status: 403 });
    const failed = await rig.core.handlers['messages:send']({ conversationId: seed.conversations.team, text: 'refused' });
    await vi.waitFor(async () => expect((await rig.core.handlers['outbox:list']({}))[0]?.state).toBe('failed'));
    expect(await rig.core.handlers['messages:cancel']({ key: failed.key })).toEqual({ outcome: 'withdrawn' });
    expect(await rig.core.handlers['outbox:list']({})).toEqual([]);
  });

  it('a message that may be on the server (confirming) and is: shown as delivered, not deleted; delete then removes it for everyone', async () => {
    const { server, rig, seed } = await setup({ timing: { ackTimeoutMs: 60_000 } });
    await rig.link.connect();
    await rig.core.delivery.whenSynced();
    // the ack and the echo are lost: the message landed, but we cannot know
    rig.link.incomingFilter = (frame) => !(frame.type === 'ack' || (frame.type === 'message' && frame.message.plaintext === 'landed'));
    const view = await rig.core.handlers['messages:send']({ conversationId: seed.conversations.direct, text: 'landed' });
    await vi.waitFor(() => expect(onServer(server, seed.conversations.direct, view.key)).toHaveLength(1));
    expect((await rig.core.handlers['outbox:list']({}))[0]?.state).toBe('sending');
    expect(await rig.core.handlers['messages:cancel']({ key: view.key })).toEqual({ outcome: 'delivered' });
    expect(onServer(server, seed.conversations.direct, view.key)).toEqual([{ text: 'landed', deleted: false }]);
    expect(rig.core.getPendingCount()).toBe(0);
    const page = await rig.core.handlers['messages:list']({ conversationId: seed.conversations.direct });
    expect(page.messages.find((m) => m.key === view.key)?.state).toBe('sent');
    expect(await rig.core.handlers['messages:delete']({ key: view.key })).toEqual({ outcome: 'deleted' });
    expect(onServer(server, seed.conversations.direct, view.key)).toEqual([{ text: '', deleted: true }]);
    const after = await rig.core.handlers['messages:list']({ conversationId: seed.conversations.direct });
    expect(after.messages.find((m) => m.key === view.key)).toMatchObject({ deleted: true, text: '' });
    const listed = (await rig.core.handlers['conversations:list']({})).find((c) => c.id === seed.conversations.direct);
    expect(listed?.lastMessage).toMatchObject({ preview: '', isOwn: true, deleted: true });
  });

  it('a confirming message the server does not have is withdrawn by key, never delivered; offline the cancel is saved and can be undone', async () => {
    const { server, rig, seed } = await setup({ timing: { retryBaseMs: 60_000, retryCapMs: 60_000 }, random: () => 0.99 });
    const view = await rig.core.handlers['messages:send']({ conversationId: seed.conversations.team, text: 'maybe' });
    const after = await rig.core.handlers['messages:send']({ conversationId: seed.conversations.team, text: 'after' });
    // As after a socket that dropped under the send: stored as confirming.
    setState(rig.core.db, view.key, 'confirming');
    expect(await rig.core.handlers['messages:cancel']({ key: view.key })).toEqual({ outcome: 'requested' });
    expect((await rig.core.handlers['outbox:list']({})).map((i) => [i.key, i.state])).toEqual([[view.key, 'cancel_pending'], [after.key, 'saved']]);
    // Undone while still offline: as it was, and it goes out again at the next connect.
    expect(await rig.core.handlers['messages:undoIntent']({ key: view.key })).toMatchObject({ key: view.key, state: 'confirming', text: 'maybe' });
    await expect(rig.core.handlers['messages:undoIntent']({ key: view.key })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect((await rig.core.handlers['outbox:list']({})).map((i) => [i.key, i.state])).toEqual([[view.key, 'confirming'], [after.key, 'saved']]);
    // Connected, its resend is refused (503) and it waits a minute, still confirming.
    server.control.failNextSends(1, { status: 503 });
    await rig.link.connect();
    await vi.waitFor(async () => expect((await rig.core.handlers['outbox:list']({}))[0]?.attempts).toBe(1));
    expect(await rig.core.handlers['messages:cancel']({ key: view.key })).toEqual({ outcome: 'withdrawn' });
    expect((await rig.core.handlers['outbox:list']({})).map((i) => i.key)).toEqual([after.key]);
    await rig.core.handlers['outbox:retry']({ key: null });
    await vi.waitFor(() => expect(rig.core.getPendingCount()).toBe(0));
    expect(onServer(server, seed.conversations.team, view.key)).toEqual([]);
    expect(onServer(server, seed.conversations.team, after.key)).toEqual([{ text: 'after', deleted: false }]);
    expect(sendsOf(rig, view.key).length).toBe(1);
  });

  it('a send answered MESSAGE_DELETED (withdrawn by key before it landed) finishes the message; the next ones still go', async () => {
    const { server, rig, seed } = await setup();
    await rig.link.connect();
    await rig.core.delivery.whenSynced();
    await rig.core.handlers['messages:send']({ conversationId: seed.conversations.team, text: 'warm-up' });
    await vi.waitFor(() => expect(rig.core.getPendingCount()).toBe(0));
    rig.link.disconnect();
    const withdrawn = await rig.core.handlers['messages:send']({ conversationId: seed.conversations.team, text: 'withdrawn elsewhere' });
    const next = await rig.core.handlers['messages:send']({ conversationId: seed.conversations.team, text: 'next' });
    // As if our cancel reached the server and its answer was lost (a crash right after).
    const answer = await rig.link.request('DELETE', `/conversations/${seed.conversations.team}/messages/by-key/${withdrawn.key}`);
    expect(answer.status).toBe(200);
    await rig.link.connect();
    await vi.waitFor(() => expect(rig.core.getPendingCount()).toBe(0));
    expect(sendsOf(rig, withdrawn.key).length > 0).toBe(true);
    expect(onServer(server, seed.conversations.team, withdrawn.key)).toEqual([]);
    expect(onServer(server, seed.conversations.team, next.key)).toEqual([{ text: 'next', deleted: false }]);
    const page = await rig.core.handlers['messages:list']({ conversationId: seed.conversations.team });
    expect(page.messages.some((m) => m.key === withdrawn.key)).toBe(false);
  });
});

describe('edit', () => {
  it('a message queued offline is edited in place: only the new text is ever sent', async () => {
    const { server, rig, seed } = await setup();
    const view = await rig.core.handlers['messages:send']({ conversationId: seed.conversations.team, text: 'old text' });
    const edited = await rig.core.handlers['messages:edit']({ key: view.key, text: 'new text' });
    expect(edited).toMatchObject({ key: view.key, text: 'new text', state: 'saved' });
    await rig.link.connect();
    await vi.waitFor(() => expect(rig.core.getPendingCount()).toBe(0));
    expect(onServer(server, seed.conversations.team, view.key)).toEqual([{ text: 'new text', deleted: false }]);
    expect(sendsOf(rig, view.key).map((f) => f['plaintext'])).toEqual(['new text']);
  });

  it('a message that may have landed is edited by key: one message, with the last text', async () => {
    const { server, rig, seed } = await setup({ timing: { ackTimeoutMs: 60_000 } });
    await rig.link.connect();
    await rig.core.delivery.whenSynced();
    rig.link.incomingFilter = (frame) => !(frame.type === 'ack' || (frame.type === 'message' && frame.message.plaintext === 'first'));
    const view = await rig.core.handlers['messages:send']({ conversationId: seed.conversations.direct, text: 'first' });
    await vi.waitFor(() => expect(onServer(server, seed.conversations.direct, view.key)).toHaveLength(1));
    const edited = await rig.core.handlers['messages:edit']({ key: view.key, text: 'second' });
    expect(edited).toMatchObject({ text: 'second', state: 'sent' });
    expect(typeof edited.editedAt).toBe('number');
    expect(onServer(server, seed.conversations.direct, view.key)).toEqual([{ text: 'second', deleted: false }]);
    expect(rig.core.getPendingCount()).toBe(0);
  });

  it('a sent message is edited and deleted on the server; refused edits keep the text', async () => {
    const { server, rig, seed } = await setup();
    await rig.link.connect();
    await rig.core.delivery.whenSynced();
    const view = await rig.core.handlers['messages:send']({ conversationId: seed.conversations.team, text: 'typo' });
    await vi.waitFor(() => expect(rig.core.getPendingCount()).toBe(0));
    const edited = await rig.core.handlers['messages:edit']({ key: view.key, text: 'fixed' });
    expect(edited).toMatchObject({ text: 'fixed', state: 'sent' });
    expect(onServer(server, seed.conversations.team, view.key)).toEqual([{ text: 'fixed', deleted: false }]);
    expect(await rig.core.handlers['messages:delete']({ key: view.key })).toEqual({ outcome: 'deleted' });
    expect(onServer(server, seed.conversations.team, view.key)).toEqual([{ text: '', deleted: true }]);
    await expect(rig.core.handlers['messages:edit']({ key: view.key, text: 'again' })).rejects.toMatchObject({ code: 'CONFLICT' });
    const other = server.control.listMessages(seed.conversations.team).find((m) => m.sender_id !== seed.users.alice);
    if (other) await expect(rig.core.handlers['messages:edit']({ key: other.id, text: 'not mine' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});
