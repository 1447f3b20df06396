import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ServerHandle } from '../../../server/index';
import Database from 'better-sqlite3';
import { migrate } from '../../../src/main/core/store/database';
import { MIGRATIONS } from '../../../src/main/core/store/migrations';
import { completeDelivery, enqueueMessage, recordAttempt, summarizeOutbox } from '../../../src/main/core/store/outbox';
import { getTimeline, pruneTimelines } from '../../../src/main/core/store/timeline';
import { makeDeliveryRig, type DeliveryRig } from '../../support/delivery';
import { startDemoServer } from '../../support/real-core';

let server: ServerHandle | null = null;
const rigs: DeliveryRig[] = [];

afterEach(async () => {
  for (const rig of rigs.splice(0)) await rig.cleanup();
  await server?.close();
  server = null;
});

async function setup(options: Parameters<typeof makeDeliveryRig>[1] = {}, serverOptions: Parameters<typeof startDemoServer>[0] = {}) {
  server = await startDemoServer(serverOptions);
  const rig = await makeDeliveryRig(server, options);
  rigs.push(rig);
  const seed = server.seed;
  if (!seed) throw new Error('no seed');
  return { server, rig, seed };
}

function serverTexts(server: ServerHandle, conversationId: string): string[] {
  return server.control.listMessages(conversationId).map((m) => m.plaintext ?? '');
}

describe('Send now and Retry all', () => {
  it('Send now skips the backoff of a message waiting after a 503', async () => {
    // A minute of backoff: without "Send now" the message would still be waiting at the end.
    const { server, rig, seed } = await setup({ timing: { retryBaseMs: 60_000, retryCapMs: 60_000 }, random: () => 0.99 });
    await rig.link.connect();
    await rig.core.delivery.whenSynced();
    server.control.failNextSends(1, { status: 503 });
    const view = await rig.core.handlers['messages:send']({ conversationId: seed.conversations.team, text: 'backing off' });
    await vi.waitFor(async () => {
      const [item] = await rig.core.handlers['outbox:list']({});
      expect(item?.attempts).toBe(1);
      expect(item?.nextAttemptAt).not.toBeNull();
    });
    const [waiting] = await rig.core.handlers['outbox:list']({});
    expect((waiting?.nextAttemptAt ?? 0) - Date.now()).toBeGreaterThan(30_000);
    const result = await rig.core.handlers['outbox:retry']({ key: view.key });
    expect(result.count).toBe(1);
    expect(result.serverWaitUntil ?? null, JSON.stringify(result)).toBeNull();
    await vi.waitFor(() => expect(rig.core.getPendingCount()).toBe(0));
    expect(serverTexts(server, seed.conversations.team).filter((t) => t === 'backing off')).toHaveLength(1);
  });

  it('Send now respects the wait the server named (Retry-After) and says until when', async () => {
    const { server, rig, seed } = await setup(
      { timing: { retryBaseMs: 60_000, retryCapMs: 60_000 }, random: () => 0 },
      { rateLimit: { limit: 1, windowMs: 1_500 } },
    );
    await rig.link.connect();
    await rig.core.delivery.whenSynced();
    // The connect's own requests use the one request the window allows: the send is refused with a wait.
    const second = await rig.core.handlers['messages:send']({ conversationId: seed.conversations.team, text: 'second' });
    await vi.waitFor(async () => {
      const items = await rig.core.handlers['outbox:list']({});
      expect(items.find((i) => i.key === second.key)?.lastError?.code).toBe('RATE_LIMITED');
    });
    const asked = Date.now();
    const result = await rig.core.handlers['outbox:retry']({ key: second.key });
    expect(result.count).toBe(1);
    expect(result.serverWaitUntil).not.toBeNull();
    expect((result.serverWaitUntil ?? 0) - asked).toBeGreaterThan(0);
    expect(serverTexts(server, seed.conversations.team)).not.toContain('second');
    await vi.waitFor(() => expect(rig.core.getPendingCount()).toBe(0), { timeout: 5_000 });
    // not before the server's time (its clock and ours are the same machine's)
    const landed = server.control.listMessages(seed.conversations.team).find((m) => m.plaintext === 'second');
    expect(Date.parse(landed?.created_at ?? '')).toBeGreaterThanOrEqual((result.serverWaitUntil ?? 0) - 5);
  });

  it('Retry all hastens every waiting lane and resets failed rows', async () => {
    const { server, rig, seed } = await setup({ timing: { retryBaseMs: 60_000, retryCapMs: 60_000 }, random: () => 0.99 });
    await rig.link.connect();
    await rig.core.delivery.whenSynced();
    server.control.failNextSends(1, { status: 403 });
    await rig.core.handlers['messages:send']({ conversationId: seed.conversations.direct, text: 'refused' });
    await vi.waitFor(async () => expect((await rig.core.handlers['outbox:list']({}))[0]?.state).toBe('failed'));
    server.control.failNextSends(1, { status: 503 });
    await rig.core.handlers['messages:send']({ conversationId: seed.conversations.team, text: 'waiting' });
    await vi.waitFor(async () => {
      const items = await rig.core.handlers['outbox:list']({});
      expect(items.find((i) => i.conversationId === seed.conversations.team)?.attempts).toBe(1);
    });
    const result = await rig.core.handlers['outbox:retry']({ key: null });
    expect(result.count).toBe(2);
    await vi.waitFor(() => expect(rig.core.getPendingCount()).toBe(0));
    expect(serverTexts(server, seed.conversations.direct)).toContain('refused');
    expect(serverTexts(server, seed.conversations.team)).toContain('waiting');
  });
});

describe('the delivery timeline', () => {
  it('keeps every attempt after delivery: the failure with its code, error id and the ack; the diagnostics summary has it without text', async () => {
    const { server, rig, seed } = await setup();
    await rig.link.connect();
    await rig.core.delivery.whenSynced();
    server.control.failNextSends(1, { status: 503 });
    const view = await rig.core.handlers['messages:send']({ conversationId: seed.conversations.team, text: 'secret words' });
    await vi.waitFor(() => expect(rig.core.getPendingCount()).toBe(0));
    const timeline = await rig.core.handlers['messages:timeline']({ key: view.key });
    expect(timeline.map((a) => a.outcome)).toEqual(['retry', 'acked']);
    expect(timeline[0]?.error?.code).toBe('SERVICE_UNAVAILABLE');
    expect(timeline[0]?.error?.id).toMatch(/^[0-9A-Za-z-]{6,}$/);
    expect(timeline[1]?.error).toBeNull();
    expect(timeline[0]?.transport).toBe('ws');
    const logged = rig.records.some((r) => String(r.message).includes(timeline[0]?.error?.id ?? 'none'));
    expect(logged).toBe(true);
    const summary = summarizeOutbox(rig.core.db, Date.now());
    expect(summary.timelines[0]?.delivered).toBe(true);
    expect(summary.timelines[0]?.attempts.map((a) => a.outcome)).toEqual(['retry', 'acked']);
    expect(summary.timelines[0]?.attempts[0]?.errorId).toBe(timeline[0]?.error?.id);
    expect(JSON.stringify(summary)).not.toContain('secret words');
    expect(JSON.stringify(summary)).not.toContain(view.key);
  });

  it('records a duplicate answer and a server-named wait', async () => {
    const { rig, seed } = await setup({ timing: { ackTimeoutMs: 100 } }, { rateLimit: { limit: 1, windowMs: 400 } });
    await rig.link.connect();
    await rig.core.delivery.whenSynced();
    const view = await rig.core.handlers['messages:send']({ conversationId: seed.conversations.team, text: 'waits' });
    await vi.waitFor(() => expect(rig.core.getPendingCount()).toBe(0), { timeout: 5_000 });
    const timeline = await rig.core.handlers['messages:timeline']({ key: view.key });
    const limited = timeline.find((a) => a.error?.code === 'RATE_LIMITED');
    expect(limited?.waitMs).toBeGreaterThan(0);
    expect(timeline.at(-1)?.outcome).toMatch(/^(acked|duplicate)$/);
  });

  it('keeps at most 20 attempts per message and drops timelines older than 30 days at start', () => {
    const db = new Database(':memory:');
    migrate(db, MIGRATIONS);
    enqueueMessage(db, { ownerId: 'u', conversationId: 'c', key: 'k', text: 't', sizeBytes: 1, composedAt: 1_000 });
    for (let i = 0; i < 30; i += 1) {
      recordAttempt(db, { key: 'k', state: 'saved', at: i, nextAttemptAt: null, attempt: { at: i, transport: 'ws', outcome: 'retry', code: 'SERVER_ERROR', errorId: `e${i}` }, error: null, countsAsAttempt: true });
    }
    expect(completeDelivery(db, 'u', 'k', 's1', 1, { at: 99, transport: 'ws', outcome: 'acked', code: null })).toBe(true);
    const kept = getTimeline(db, 'u', 'k');
    expect(kept).toHaveLength(20);
    expect(kept.at(-1)?.outcome).toBe('acked');
    expect(kept[0]?.errorId).toBe('e11');
    expect(pruneTimelines(db, 500)).toBe(0);
    expect(pruneTimelines(db, 2_000)).toBe(1);
    expect(getTimeline(db, 'u', 'k')).toEqual([]);
    db.close();
  });
});
