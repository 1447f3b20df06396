/**
 * The delivery, sync and diagnostics families move when their event happens, driven through the
 * real paths: a real core on real SQLite, a real link to the real reference server, the handlers
 * the renderer calls. Every value is read back from the core's own exposition.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ServerHandle } from '../../../server/index';
import { makeTestCore, makeTempDir } from '../../support/core';
import { losingLiveMessages, makeDeliveryRig, type DeliveryRig } from '../../support/delivery';
import { BOB, startDemoServer } from '../../support/real-core';
import { sampleValue } from './exposition';

let server: ServerHandle | null = null;
const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
  await server?.close();
  server = null;
});

async function setup(options: Parameters<typeof makeDeliveryRig>[1] = {}, serverOptions = {}) {
  server = await startDemoServer(serverOptions);
  // The endpoint stays off: these tests read the same text through the snapshot.
  const rig = await makeDeliveryRig(server, { metricsPort: 'off', ...options });
  cleanups.push(() => rig.cleanup());
  const seed = server.seed;
  if (!seed) throw new Error('no seed');
  return { server, rig, seed };
}

/** One sample's value now, 0 when the series does not exist yet (a counter never moved). */
async function value(rig: DeliveryRig, name: string, labels: Readonly<Record<string, string>> = {}): Promise<number> {
  return sampleValue(await rig.core.metricsSnapshot(), name, labels) ?? 0;
}

describe('delivery metrics move on the real paths', () => {
  it('send and ack: enqueued, size, depth and oldest age while queued; attempts, latency, delivered, depth 0 after', async () => {
    const { rig, seed } = await setup();
    const texts = ['one', 'two é', 'three'];
    for (const text of texts) await rig.core.handlers['messages:send']({ conversationId: seed.conversations.team, text });
    const bytes = texts.reduce((sum, text) => sum + Buffer.byteLength(text, 'utf8'), 0);

    // Offline: saved, waiting, and the oldest one ages while nothing happens.
    expect(await value(rig, 'messages_enqueued_total')).toBe(3);
    expect(await value(rig, 'message_size_bytes_count')).toBe(3);
    expect(await value(rig, 'message_size_bytes_sum')).toBe(bytes);
    await vi.waitFor(async () => expect(await value(rig, 'message_queue_depth', { queue_type: 'saved' })).toBe(3));
    await vi.waitFor(async () => expect(await value(rig, 'outbox_oldest_pending_age_seconds')).toBeGreaterThan(0));

    await rig.link.connect();
    await vi.waitFor(() => expect(rig.core.getPendingCount()).toBe(0), { timeout: 5_000 });
    await vi.waitFor(async () => expect(await value(rig, 'messages_sent_total', { status: 'success' })).toBe(3));
    // One ack per send; each ack seen in flight is timed (the echo may settle one first).
    expect(await value(rig, 'message_send_attempts_total', { transport: 'ws', outcome: 'acked' })).toBe(3);
    const timed = await value(rig, 'message_send_ack_seconds_count', { transport: 'ws' });
    expect(timed).toBeGreaterThanOrEqual(1);
    expect(timed).toBeLessThanOrEqual(3);
    await vi.waitFor(async () => {
      expect(await value(rig, 'message_queue_depth', { queue_type: 'saved' })).toBe(0);
      expect(await value(rig, 'message_queue_depth', { queue_type: 'sending' })).toBe(0);
      expect(await value(rig, 'outbox_oldest_pending_age_seconds')).toBe(0);
    });
    expect(await value(rig, 'message_delivery_failures_total', { error_type: 'MESSAGE_REJECTED' })).toBe(0);
  });

  it('a 400 from the server fails the message: a failed attempt, a final failure by class, depth failed 1', async () => {
    const { server, rig, seed } = await setup();
    await rig.link.connect();
    await rig.core.delivery.whenSynced();
    server.control.failNextSends(1, { status: 400 });
    await rig.core.handlers['messages:send']({ conversationId: seed.conversations.team, text: 'refused' });
    await vi.waitFor(async () => {
      const items = await rig.core.handlers['outbox:list']({});
      expect(items.map((item) => item.state)).toEqual(['failed']);
    });
    const [failed] = await rig.core.handlers['outbox:list']({});
    const code = failed?.lastError?.code ?? 'none';
    expect(await value(rig, 'message_delivery_failures_total', { error_type: code })).toBe(1);
    expect(await value(rig, 'messages_sent_total', { status: 'failed' })).toBe(1);
    expect(await value(rig, 'message_send_attempts_total', { transport: 'ws', outcome: 'failed' })).toBe(1);
    await vi.waitFor(async () => expect(await value(rig, 'message_queue_depth', { queue_type: 'failed' })).toBe(1));
    // The oldest-waiting age counts messages still on their way, not failed ones.
    expect(await value(rig, 'outbox_oldest_pending_age_seconds')).toBe(0);
  });

  it('legacy Nova: a REST send answered 503, then 429, counts an HTTP retry by reason each time', async () => {
    const { server, rig, seed } = await setup({ legacy: true }, { legacyNova: true });
    await rig.link.connect();
    for (const [status, reason] of [
      [503, 'server_error'],
      [429, 'rate_limited'],
    ] as const) {
      server.control.failNextSends(1, { status });
      await rig.core.handlers['messages:send']({ conversationId: seed.conversations.team, text: `rest ${status}` });
      await vi.waitFor(() => expect(rig.core.getPendingCount()).toBe(0), { timeout: 5_000 });
      expect(await value(rig, 'http_retries_total', { reason })).toBe(1);
    }
    expect(await value(rig, 'message_send_attempts_total', { transport: 'rest', outcome: 'retry' })).toBe(2);
    expect(await value(rig, 'http_retries_total', { reason: 'network' })).toBe(0);
  });

  it('a retryable 503 counts a retry attempt and a non-final failure, then the delivery', async () => {
    const { server, rig, seed } = await setup();
    await rig.link.connect();
    await rig.core.delivery.whenSynced();
    server.control.failNextSends(1, { status: 503 });
    await rig.core.handlers['messages:send']({ conversationId: seed.conversations.team, text: 'again' });
    await vi.waitFor(() => expect(rig.core.getPendingCount()).toBe(0), { timeout: 5_000 });
    expect(await value(rig, 'message_send_attempts_total', { transport: 'ws', outcome: 'retry' })).toBe(1);
    expect(await value(rig, 'message_delivery_failures_total', { error_type: 'SERVICE_UNAVAILABLE' })).toBe(1);
    expect(await value(rig, 'messages_sent_total', { status: 'failed' })).toBe(0);
    await vi.waitFor(async () => expect(await value(rig, 'messages_sent_total', { status: 'success' })).toBe(1));
  });

  it('legacy Nova: its doubled live frames and the replayed oldest page count as duplicates; REST sends and acks count as rest', async () => {
    const { rig, seed } = await setup({ legacy: true }, { legacyNova: true });
    await rig.core.handlers['messages:send']({ conversationId: seed.conversations.direct, text: 'over rest' });
    await rig.link.connect();
    await vi.waitFor(() => expect(rig.core.getPendingCount()).toBe(0), { timeout: 5_000 });
    expect(await value(rig, 'message_send_attempts_total', { transport: 'rest', outcome: 'acked' })).toBe(1);
    expect(await value(rig, 'message_send_ack_seconds_count', { transport: 'rest' })).toBe(1);
    await vi.waitFor(async () => expect(await value(rig, 'messages_sent_total', { status: 'success' })).toBe(1));
    // Legacy Nova broadcasts every event twice: the second copy of our echo is dropped.
    await vi.waitFor(async () => expect(await value(rig, 'messages_deduplicated_total', { source: 'live' })).toBeGreaterThanOrEqual(1));

    // It also ignores after_seq: a resync after reconnecting gets the same oldest rows again.
    const before = await value(rig, 'messages_deduplicated_total', { source: 'sync' });
    rig.link.disconnect();
    await rig.link.connect();
    await rig.core.delivery.whenSynced();
    expect(await value(rig, 'messages_deduplicated_total', { source: 'sync' })).toBeGreaterThan(before);
  });

  it('a live frame beyond a gap counts a gap, then a complete resync with its duration; messages from bob count as received', async () => {
    const { server, rig, seed } = await setup();
    await rig.link.connect();
    await rig.core.delivery.whenSynced();
    // One resync per known conversation on connect, each timed.
    const resyncs = await value(rig, 'resync_total', { result: 'complete' });
    expect(resyncs).toBeGreaterThanOrEqual(2);
    expect(await value(rig, 'resync_duration_seconds_count', { result: 'complete' })).toBe(resyncs);
    const received = await value(rig, 'messages_received_total', { status: 'success' });

    rig.link.incomingFilter = losingLiveMessages('missed');
    server.control.sendAs(BOB, seed.conversations.team, 'missed 1');
    server.control.sendAs(BOB, seed.conversations.team, 'live 2');
    await vi.waitFor(async () => {
      const page = await rig.core.handlers['messages:list']({ conversationId: seed.conversations.team });
      expect(page.messages.map((m) => m.text)).toEqual(expect.arrayContaining(['missed 1', 'live 2']));
    });
    await vi.waitFor(async () => expect(await value(rig, 'resync_total', { result: 'complete' })).toBe(resyncs + 1));
    expect(await value(rig, 'sequence_gaps_total')).toBe(1);
    expect(await value(rig, 'messages_received_total', { status: 'success' })).toBe(received + 2);
  });

  it('a resync whose answer never comes counts as failed', async () => {
    const { rig } = await setup({ timing: { syncTimeoutMs: 50 } });
    rig.link.incomingFilter = (frame) => frame['type'] !== 'sync_complete';
    await rig.link.connect();
    await rig.core.delivery.whenSynced();
    expect(await value(rig, 'resync_total', { result: 'failed' })).toBeGreaterThanOrEqual(1);
    expect(await value(rig, 'resync_total', { result: 'complete' })).toBe(0);
  });
});

describe('diagnostics metrics move on the real paths', () => {
  it('counts a collected bundle, a cancelled save, a saved one and a failed one', async () => {
    const outDir = makeTempDir('nova-diag-out-');
    let target: string | null = null;
    const test = makeTestCore({
      desktop: {
        chooseSavePath: () => Promise.resolve(target),
        revealFile: () => undefined,
        openFolder: () => undefined,
      },
    });
    cleanups.push(async () => {
      await test.cleanup();
      fs.rmSync(outDir, { recursive: true, force: true });
    });
    const { core } = test;
    const count = async (result: string): Promise<number> =>
      sampleValue(await core.metricsSnapshot(), 'diagnostics_bundles_total', { result }) ?? 0;

    const preview = await core.handlers['diagnostics:collect']({});
    expect(await count('collected')).toBe(1);
    await core.handlers['diagnostics:save']({ bundleId: preview.bundleId });
    expect(await count('cancelled')).toBe(1);
    target = path.join(outDir, 'bundle.zip');
    await core.handlers['diagnostics:save']({ bundleId: preview.bundleId });
    expect(await count('saved')).toBe(1);
    target = path.join(outDir, 'missing-folder', 'bundle.zip');
    await expect(core.handlers['diagnostics:save']({ bundleId: preview.bundleId })).rejects.toThrow();
    expect(await count('failed')).toBe(1);
  });
});
