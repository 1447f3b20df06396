/**
 * Edits and deletes made by someone else reach the cache: live (`message_edited`,
 * `message_deleted`) and, for those made while we were offline, through the change feed at
 * the next connect. Real core, real SQLite, real reference server; Bob edits over REST.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { MessageView } from '../../../src/shared/contract';
import type { ServerHandle } from '../../../server/index';
import { getChangeCursor } from '../../../src/main/core/store/message-changes';
import { makeDeliveryRig, type DeliveryRig } from '../../support/delivery';
import { BOB, startDemoServer } from '../../support/real-core';
import { api, login } from '../../server/helpers';

let server: ServerHandle;
let rig: DeliveryRig | null = null;
let bobToken: string;
let direct: string;

beforeEach(async () => {
  server = await startDemoServer();
  bobToken = (await login(server, BOB)).access_token;
  direct = server.seed?.conversations.direct ?? '';
});

afterEach(async () => {
  await rig?.cleanup();
  rig = null;
  await server.close();
});

async function bobSends(text: string): Promise<string> {
  const r = await api(server, 'POST', `/conversations/${direct}/messages`, { token: bobToken, body: { plaintext: text } });
  expect(r.status).toBe(200);
  return (r.body as { id: string }).id;
}

async function bobEdits(id: string, text: string): Promise<void> {
  expect((await api(server, 'PUT', `/messages/${id}`, { token: bobToken, body: { plaintext: text } })).status).toBe(204);
}

async function bobDeletes(id: string): Promise<void> {
  expect((await api(server, 'DELETE', `/messages/${id}`, { token: bobToken })).status).toBe(204);
}

async function cached(r: DeliveryRig, serverId: string): Promise<MessageView | undefined> {
  const page = await r.core.handlers['messages:list']({ conversationId: direct, limit: 500 });
  return page.messages.find((m) => m.serverId === serverId);
}

async function connectedRig(): Promise<DeliveryRig> {
  const r = await makeDeliveryRig(server);
  rig = r;
  await r.link.connect();
  await r.core.delivery.whenSynced();
  return r;
}

describe('edits and deletes from others', () => {
  it('a live edit replaces the text with an edited mark; a live delete leaves a placeholder; both are announced', async () => {
    const r = await connectedRig();
    const id = await bobSends('lunch at noon?');
    await vi.waitFor(async () => expect((await cached(r, id))?.text).toBe('lunch at noon?'));
    await bobEdits(id, 'lunch at one?');
    await vi.waitFor(async () => {
      const view = await cached(r, id);
      expect(view?.text).toBe('lunch at one?');
      expect(view?.editedAt).toEqual(expect.any(Number));
      expect(view?.deleted).toBeUndefined();
    });
    await vi.waitFor(() => {
      const announced = r.eventsOf('messages:changed').flatMap((e) => e.messages).filter((m) => m.serverId === id);
      expect(announced.at(-1)).toMatchObject({ text: 'lunch at one?', editedAt: expect.any(Number) });
    });
    await bobDeletes(id);
    await vi.waitFor(async () => {
      const view = await cached(r, id);
      expect(view?.deleted).toBe(true);
      expect(view?.text).toBe('');
    });
    // The live changes moved the cursor one by one: no feed read is needed to catch up.
    const cursor = getChangeCursor(r.core.db, r.link.currentUserId() ?? '', direct);
    expect(cursor.applied).toBe(cursor.head);
    expect(cursor.applied).toBeGreaterThanOrEqual(2);
  });

  it('edits and deletes made while offline arrive at the next connect, through the change feed', async () => {
    const r = await connectedRig();
    const kept = await bobSends('offline one');
    const removed = await bobSends('offline two');
    const later = await bobSends('offline three');
    await vi.waitFor(async () => expect((await cached(r, later))?.text).toBe('offline three'));
    const appliedBefore = getChangeCursor(r.core.db, r.link.currentUserId() ?? '', direct).applied;
    // The real link, with each change-feed read it makes noted on the way.
    const feedReads: { path: string; status: number }[] = [];
    const request = r.link.request.bind(r.link);
    r.link.request = async (method, path, body, headers) => {
      const response = await request(method, path, body, headers);
      if (path.includes('/changes?')) feedReads.push({ path, status: response.status });
      return response;
    };
    r.link.disconnect();
    await bobEdits(kept, 'offline one, edited');
    await bobEdits(kept, 'offline one, edited twice');
    await bobDeletes(removed);
    await bobEdits(later, 'offline three, edited');
    const fresh = await bobSends('sent while away');
    await bobEdits(fresh, 'sent while away, edited');
    // Still the old state: nothing was heard while offline.
    expect((await cached(r, kept))?.text).toBe('offline one');
    await r.link.connect();
    await r.core.delivery.whenSynced();
    const keptView = await cached(r, kept);
    expect(keptView).toMatchObject({ text: 'offline one, edited twice', editedAt: expect.any(Number) });
    expect(keptView?.deleted).toBeUndefined();
    expect(await cached(r, removed)).toMatchObject({ text: '', deleted: true });
    expect(await cached(r, later)).toMatchObject({ text: 'offline three, edited', editedAt: expect.any(Number) });
    expect(await cached(r, fresh)).toMatchObject({ text: 'sent while away, edited', editedAt: expect.any(Number) });
    const cursor = getChangeCursor(r.core.db, r.link.currentUserId() ?? '', direct);
    expect(cursor.applied).toBe(cursor.head);
    expect(cursor.applied).toBe(5);
    // The feed was read from the cursor, not from the start.
    expect(feedReads[0]?.path).toContain(`after_updated_seq=${appliedBefore}&`);
    expect(feedReads.length).toBeGreaterThan(0);
    expect(feedReads.every((read) => read.status === 200)).toBe(true);
  });

  it('a missed live change (a gap in updated_seq) is fetched from the feed', async () => {
    const r = await connectedRig();
    const first = await bobSends('gap one');
    const second = await bobSends('gap two');
    await vi.waitFor(async () => expect((await cached(r, second))?.text).toBe('gap two'));
    // The relay loses the first edit's frame.
    r.link.incomingFilter = (frame) => !(frame.type === 'message_edited' && frame.message_id === first);
    await bobEdits(first, 'gap one, edited');
    await bobEdits(second, 'gap two, edited');
    await vi.waitFor(async () => {
      expect((await cached(r, first))?.text).toBe('gap one, edited');
      expect((await cached(r, second))?.text).toBe('gap two, edited');
    });
    await vi.waitFor(() => {
      const cursor = getChangeCursor(r.core.db, r.link.currentUserId() ?? '', direct);
      expect(cursor.applied).toBe(2);
    });
  });

  it('a stale change (lower updated_seq) never overwrites a newer one, and a deleted message stays deleted', async () => {
    const r = await connectedRig();
    const id = await bobSends('stale one');
    await vi.waitFor(async () => expect((await cached(r, id))?.text).toBe('stale one'));
    await bobEdits(id, 'stale one, v2');
    await vi.waitFor(async () => expect((await cached(r, id))?.text).toBe('stale one, v2'));
    r.link.disconnect();
    await bobDeletes(id);
    await r.link.connect();
    await r.core.delivery.whenSynced();
    expect(await cached(r, id)).toMatchObject({ deleted: true, text: '' });
    // A late copy of the earlier edit (as a slow relay might deliver it) changes nothing.
    const ownerId = r.link.currentUserId() ?? '';
    const { applyMessageChange } = await import('../../../src/main/core/store/message-changes');
    const outcome = applyMessageChange(r.core.db, ownerId, { serverId: id, text: 'stale one, v2', editedAt: 1, updatedSeq: 1 });
    expect(outcome).toEqual({ key: null, known: true });
    expect(await cached(r, id)).toMatchObject({ deleted: true, text: '' });
  });
});
