/**
 * Cancels and edits saved offline of a message that may already be on the server (sent, no
 * answer), against the real core, SQLite, the fault proxy and the reference server: saved and
 * shown at once, never sent while they wait, settled by key at the next connect (present or
 * absent, both ways), and kept across a crash.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { EventPayload } from '../../../src/shared/contract';
import type { ServerHandle } from '../../../server/index';
import { listIntents } from '../../../src/main/core/store/intents';
import { setState } from '../../../src/main/core/store/outbox';
import { makeDeliveryRig, type DeliveryRig } from '../../support/delivery';
import { makeTempDir, makeTestCore } from '../../support/core';
import { startDemoServer, startRealCoreRig, type RealCoreRig } from '../../support/real-core';
import { FAST_TIMING, LOADED_TIMEOUT_MS } from '../../support/timing';

const rigs: RealCoreRig[] = [];
const extraCleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of extraCleanups.splice(0)) await cleanup();
  for (const rig of rigs.splice(0)) await rig.cleanup();
});

type Settled = EventPayload<'messages:intentSettled'>;

async function connectedRig(dataDir?: string): Promise<{ rig: RealCoreRig; direct: string; settled: Settled[] }> {
  const rig = await startRealCoreRig(dataDir ? { core: { dataDir } } : {});
  rigs.push(rig);
  const settled: Settled[] = [];
  rig.core.events.on('messages:intentSettled', (payload) => settled.push(payload));
  await rig.signIn();
  await rig.waitForState('CONNECTED');
  await rig.core.delivery.whenSynced();
  const direct = rig.server.seed?.conversations.direct;
  if (!direct) throw new Error('no seed');
  return { rig, direct, settled };
}

/** What the server holds under this key. */
function onServer(rig: RealCoreRig, conversationId: string, key: string) {
  return rig.server.control
    .listMessages(conversationId)
    .filter((m) => m.idempotency_key === key)
    .map((m) => ({ text: m.plaintext ?? '', deleted: m.deleted_at != null, edited: m.edited_at != null }));
}

async function stateOf(rig: RealCoreRig, key: string): Promise<string | undefined> {
  return (await rig.core.handlers['outbox:list']({})).find((i) => i.key === key)?.state;
}

/** The link is cut and no new one gets through: the send in flight now may or may not have landed. */
async function goOffline(rig: RealCoreRig): Promise<void> {
  rig.proxy.refuse(true);
  rig.proxy.cutAll();
  await vi.waitFor(() => expect(rig.core.connection.capabilities()).toBeNull(), { timeout: LOADED_TIMEOUT_MS, interval: 5 });
}

/** Sent, landed on the server, its ack lost, then offline: confirming. */
async function landedUnacked(rig: RealCoreRig, conversationId: string, text: string): Promise<string> {
  rig.proxy.dropReplies(true);
  const view = await rig.core.handlers['messages:send']({ conversationId, text });
  await vi.waitFor(() => expect(onServer(rig, conversationId, view.key)).toHaveLength(1), { timeout: LOADED_TIMEOUT_MS, interval: 5 });
  await goOffline(rig);
  rig.proxy.dropReplies(false);
  await vi.waitFor(async () => expect(await stateOf(rig, view.key)).toBe('confirming'), { timeout: LOADED_TIMEOUT_MS, interval: 5 });
  return view.key;
}

/** Sent into a stalled uplink (never reached the server), then offline: confirming. */
async function lostUnacked(rig: RealCoreRig, conversationId: string, text: string): Promise<string> {
  expect(rig.proxy.stallSocketUplinks()).toBeGreaterThan(0);
  const view = await rig.core.handlers['messages:send']({ conversationId, text });
  await vi.waitFor(async () => expect(await stateOf(rig, view.key)).toBe('sending'), { timeout: LOADED_TIMEOUT_MS, interval: 2 });
  await goOffline(rig);
  await vi.waitFor(async () => expect(await stateOf(rig, view.key)).toBe('confirming'), { timeout: LOADED_TIMEOUT_MS, interval: 5 });
  expect(onServer(rig, conversationId, view.key)).toEqual([]);
  return view.key;
}

async function backOnline(rig: RealCoreRig, settled: Settled[], count = 1): Promise<void> {
  rig.proxy.refuse(false);
  await rig.waitForState('CONNECTED');
  await vi.waitFor(() => expect(settled).toHaveLength(count), { timeout: LOADED_TIMEOUT_MS, interval: 5 });
  await vi.waitFor(() => expect(rig.core.getPendingCount()).toBe(0), { timeout: LOADED_TIMEOUT_MS, interval: 5 });
}

async function shown(rig: RealCoreRig, conversationId: string, key: string) {
  return (await rig.core.handlers['messages:list']({ conversationId })).messages.find((m) => m.key === key);
}

describe('cancel saved offline', () => {
  it('of a message the server has: shown as delivered at the next connect, with delete offered; nothing withdrawn', async () => {
    const { rig, direct, settled } = await connectedRig();
    const key = await landedUnacked(rig, direct, 'landed');
    expect(await rig.core.handlers['messages:cancel']({ key })).toEqual({ outcome: 'requested' });
    expect(await shown(rig, direct, key)).toMatchObject({ state: 'cancel_pending', text: 'landed' });
    // The window hears of it in the next change batch.
    await vi.waitFor(() => expect(rig.eventsOf('messages:changed').flatMap((e) => e.messages).filter((m) => m.key === key).at(-1)?.state).toBe('cancel_pending'));
    await backOnline(rig, settled);
    expect(settled).toEqual([{ key, conversationId: direct, kind: 'cancel', outcome: 'delivered', code: null }]);
    expect(await shown(rig, direct, key)).toMatchObject({ state: 'sent', text: 'landed' });
    expect(onServer(rig, direct, key)).toEqual([{ text: 'landed', deleted: false, edited: false }]);
    expect(listIntents(rig.core.db, rig.server.seed?.users.alice ?? '')).toEqual([]);
    expect(await rig.core.handlers['messages:delete']({ key })).toEqual({ outcome: 'deleted' });
    expect(onServer(rig, direct, key)).toEqual([{ text: '', deleted: true, edited: false }]);
  });

  it('of a message the server does not have: withdrawn at the next connect, before it is ever sent again', async () => {
    const { rig, direct, settled } = await connectedRig();
    const key = await lostUnacked(rig, direct, 'never landed');
    expect(await rig.core.handlers['messages:cancel']({ key })).toEqual({ outcome: 'requested' });
    // A second click while it waits changes nothing.
    expect(await rig.core.handlers['messages:cancel']({ key })).toEqual({ outcome: 'requested' });
    await backOnline(rig, settled);
    expect(settled).toEqual([{ key, conversationId: direct, kind: 'cancel', outcome: 'withdrawn', code: null }]);
    expect(await shown(rig, direct, key)).toBeUndefined();
    // The lane runs on: the next message goes, the withdrawn one never does.
    const after = await rig.core.handlers['messages:send']({ conversationId: direct, text: 'after' });
    await vi.waitFor(() => expect(onServer(rig, direct, after.key)).toHaveLength(1), { timeout: LOADED_TIMEOUT_MS, interval: 5 });
    expect(onServer(rig, direct, key)).toEqual([]);
    expect(rig.server.control.listMessages(direct).some((m) => m.plaintext === 'never landed')).toBe(false);
  });
});

describe('edit saved offline', () => {
  it('of a message the server has: applied through the edit path at the next connect (edited, one message)', async () => {
    const { rig, direct, settled } = await connectedRig();
    const key = await landedUnacked(rig, direct, 'old text');
    expect(await rig.core.handlers['messages:edit']({ key, text: 'new text' })).toMatchObject({ key, state: 'edit_pending', text: 'new text' });
    await backOnline(rig, settled);
    expect(settled).toEqual([{ key, conversationId: direct, kind: 'edit', outcome: 'edited', code: null }]);
    expect(onServer(rig, direct, key)).toEqual([{ text: 'new text', deleted: false, edited: true }]);
    const view = await shown(rig, direct, key);
    expect(view).toMatchObject({ state: 'sent', text: 'new text' });
    expect(typeof view?.editedAt).toBe('number');
  });

  it('of a message the server does not have: it lands once, with the new text only', async () => {
    const { rig, direct, settled } = await connectedRig();
    const key = await lostUnacked(rig, direct, 'first words');
    expect(await rig.core.handlers['messages:edit']({ key, text: 'second' })).toMatchObject({ state: 'edit_pending', text: 'second' });
    // Edited again before the connection returns: the last text wins.
    expect(await rig.core.handlers['messages:edit']({ key, text: 'final words' })).toMatchObject({ state: 'edit_pending', text: 'final words' });
    const later = await rig.core.handlers['messages:send']({ conversationId: direct, text: 'written after it' });
    await backOnline(rig, settled);
    // Settled before any lane sent: it keeps its place before the message written after it.
    const seqOf = (k: string) => rig.server.control.listMessages(direct).find((m) => m.idempotency_key === k)?.sequence_number ?? 0;
    expect(seqOf(key)).toBeGreaterThan(0);
    expect(seqOf(key)).toBeLessThan(seqOf(later.key));
    expect(settled).toEqual([{ key, conversationId: direct, kind: 'edit', outcome: 'replaced', code: null }]);
    expect(onServer(rig, direct, key)).toEqual([{ text: 'final words', deleted: false, edited: false }]);
    const texts = rig.server.control.listMessages(direct).map((m) => m.plaintext);
    expect(texts).not.toContain('first words');
    expect(texts).not.toContain('second');
    expect(await shown(rig, direct, key)).toMatchObject({ state: 'sent', text: 'final words' });
  });

  it('undone while offline: the message is as it was and goes out as before', async () => {
    const { rig, direct, settled } = await connectedRig();
    const key = await lostUnacked(rig, direct, 'as written');
    await rig.core.handlers['messages:edit']({ key, text: 'second thoughts' });
    expect(await rig.core.handlers['messages:undoIntent']({ key })).toMatchObject({ state: 'confirming', text: 'as written' });
    rig.proxy.refuse(false);
    await rig.waitForState('CONNECTED');
    await vi.waitFor(() => expect(rig.core.getPendingCount()).toBe(0), { timeout: LOADED_TIMEOUT_MS, interval: 5 });
    expect(settled).toEqual([]);
    expect(onServer(rig, direct, key)).toEqual([{ text: 'as written', deleted: false, edited: false }]);
  });
});

describe('a crash with an intent saved', () => {
  it('keeps it: after a restart it is still shown, never sent, and settled at the connect', async () => {
    const dataDir = makeTempDir('nova-intent-crash-');
    const { rig, direct } = await connectedRig(dataDir);
    // One acked send first, so the lane pipelines and both below are in flight together.
    await rig.core.handlers['messages:send']({ conversationId: direct, text: 'warm-up' });
    await vi.waitFor(() => expect(rig.core.getPendingCount()).toBe(0), { timeout: LOADED_TIMEOUT_MS, interval: 5 });
    rig.proxy.dropReplies(true);
    const edited = (await rig.core.handlers['messages:send']({ conversationId: direct, text: 'typo' })).key;
    await vi.waitFor(() => expect(onServer(rig, direct, edited)).toHaveLength(1), { timeout: LOADED_TIMEOUT_MS, interval: 5 });
    rig.proxy.stallSocketUplinks();
    const key = (await rig.core.handlers['messages:send']({ conversationId: direct, text: 'crash me' })).key;
    await vi.waitFor(async () => expect(await stateOf(rig, key)).toBe('sending'), { timeout: LOADED_TIMEOUT_MS, interval: 2 });
    await goOffline(rig);
    rig.proxy.dropReplies(false);
    await vi.waitFor(async () => expect([await stateOf(rig, edited), await stateOf(rig, key)]).toEqual(['confirming', 'confirming']), { timeout: LOADED_TIMEOUT_MS, interval: 5 });
    expect(onServer(rig, direct, key)).toEqual([]);
    expect(await rig.core.handlers['messages:cancel']({ key })).toEqual({ outcome: 'requested' });
    await rig.core.handlers['messages:edit']({ key: edited, text: 'fixed' });
    // What is on disk at this instant is what a crash would leave (the intent was committed before the answer).
    const image = makeTempDir('nova-intent-image-');
    fs.cpSync(dataDir, image, { recursive: true });
    await rig.core.stop();
    const restarted = makeTestCore({ dataDir: path.join(image), serverUrl: rig.proxy.url, secretStore: rig.secrets, timing: FAST_TIMING });
    extraCleanups.push(restarted.cleanup);
    const settled: Settled[] = [];
    restarted.core.events.on('messages:intentSettled', (payload) => settled.push(payload));
    await restarted.core.start();
    const page = await restarted.core.handlers['messages:list']({ conversationId: direct });
    expect(page.messages.filter((m) => m.key === key || m.key === edited).map((m) => [m.key, m.state, m.text])).toEqual([
      [edited, 'edit_pending', 'fixed'],
      [key, 'cancel_pending', 'crash me'],
    ]);
    rig.proxy.refuse(false);
    await vi.waitFor(() => expect(settled).toHaveLength(2), { timeout: LOADED_TIMEOUT_MS, interval: 5 });
    await vi.waitFor(() => expect(restarted.core.getPendingCount()).toBe(0), { timeout: LOADED_TIMEOUT_MS, interval: 5 });
    expect(new Map(settled.map((s) => [s.key, s.outcome]))).toEqual(new Map([[key, 'withdrawn'], [edited, 'edited']]));
    expect(onServer(rig, direct, key)).toEqual([]);
    expect(onServer(rig, direct, edited)).toEqual([{ text: 'fixed', deleted: false, edited: true }]);
  });
});

describe('a settlement the server cannot answer yet', () => {
  let server: ServerHandle | null = null;
  let rig: DeliveryRig | null = null;
  afterEach(async () => {
    await rig?.cleanup();
    await server?.close();
    rig = null;
    server = null;
  });

  it('is tried again with backoff while connected (no hot loop), and settles once the server answers', async () => {
    server = await startDemoServer();
    const team = server.seed?.conversations.team ?? '';
    const r = await makeDeliveryRig(server, { timing: { retryBaseMs: 40, retryCapMs: 80 } });
    rig = r;
    const settled: Settled[] = [];
    rig.core.events.on('messages:intentSettled', (payload) => settled.push(payload));
    const view = await rig.core.handlers['messages:send']({ conversationId: team, text: 'maybe' });
    // As after a socket that dropped under the send.
    setState(rig.core.db, view.key, 'confirming');
    expect(await rig.core.handlers['messages:cancel']({ key: view.key })).toEqual({ outcome: 'requested' });
    // The real link, with each settlement by key it makes noted with the status it got.
    const byKey: number[] = [];
    const request = r.link.request.bind(r.link);
    r.link.request = async (method, path, body, headers) => {
      const response = await request(method, path, body, headers);
      if (path.includes(`/by-key/${encodeURIComponent(view.key)}`)) byKey.push(response.status);
      return response;
    };
    await rig.link.connect();
    // Every REST answer is 503 for a while: the settlement fails and waits, the row stays parked.
    server.control.unavailable(600);
    const ownerId = rig.link.currentUserId() ?? '';
    await vi.waitFor(() => expect(listIntents(r.core.db, ownerId)[0]?.errorCode).toBe('SERVICE_UNAVAILABLE'), { timeout: LOADED_TIMEOUT_MS, interval: 5 });
    expect(await stateOfRig(r, view.key)).toBe('cancel_pending');
    await vi.waitFor(() => expect(settled).toHaveLength(1), { timeout: LOADED_TIMEOUT_MS, interval: 10 });
    expect(settled[0]).toMatchObject({ key: view.key, kind: 'cancel', outcome: 'withdrawn' });
    const failures = byKey.filter((status) => status === 503).length;
    // 600 ms of 503s at a wait of at least 40 ms each: at most 16 tries, however fast the answers come.
    expect(failures).toBeGreaterThan(0);
    expect(failures).toBeLessThanOrEqual(16);
    expect(server.control.listMessages(team).filter((m) => m.idempotency_key === view.key)).toEqual([]);
    expect(listIntents(r.core.db, ownerId)).toEqual([]);
  });
});

describe('a server that cannot settle by key (legacy Nova)', () => {
  let server: ServerHandle | null = null;
  let rig: DeliveryRig | null = null;
  afterEach(async () => {
    await rig?.cleanup();
    await server?.close();
    rig = null;
    server = null;
  });

  it('refuses the saved cancel: the message is back as it was, the user is told why, and it is delivered once', async () => {
    server = await startDemoServer({ legacyNova: true });
    const team = server.seed?.conversations.team ?? '';
    const r = await makeDeliveryRig(server, { legacy: true });
    rig = r;
    const settled: Settled[] = [];
    r.core.events.on('messages:intentSettled', (payload) => settled.push(payload));
    const view = await r.core.handlers['messages:send']({ conversationId: team, text: 'cannot take it back' });
    setState(r.core.db, view.key, 'confirming');
    expect(await r.core.handlers['messages:cancel']({ key: view.key })).toEqual({ outcome: 'requested' });
    await r.link.connect();
    await vi.waitFor(() => expect(settled).toHaveLength(1), { timeout: LOADED_TIMEOUT_MS, interval: 5 });
    expect(settled[0]).toMatchObject({ key: view.key, kind: 'cancel', outcome: 'refused', code: 'CONFLICT' });
    await vi.waitFor(() => expect(r.eventsOf('notification').some((n) => n.code === 'CONFLICT' && n.messageKey === view.key)).toBe(true));
    await vi.waitFor(() => expect(r.core.getPendingCount()).toBe(0), { timeout: LOADED_TIMEOUT_MS, interval: 5 });
    expect(server.control.listMessages(team).filter((m) => m.idempotency_key === view.key)).toHaveLength(1);
    expect(listIntents(r.core.db, r.link.currentUserId() ?? '')).toEqual([]);
  });
});

async function stateOfRig(rig: DeliveryRig, key: string): Promise<string | undefined> {
  return (await rig.core.handlers['outbox:list']({})).find((i) => i.key === key)?.state;
}
