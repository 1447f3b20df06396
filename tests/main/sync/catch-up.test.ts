import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ServerHandle } from '../../../server/index';
import type { SyncStatus } from '../../../src/shared/own-messages';
import { makeDeliveryRig, type DeliveryRig } from '../../support/delivery';
import { BOB, startDemoServer } from '../../support/real-core';
import { sampleValue } from '../metrics/exposition';

let server: ServerHandle | null = null;
const rigs: DeliveryRig[] = [];

afterEach(async () => {
  for (const rig of rigs.splice(0)) await rig.cleanup();
  await server?.close();
  server = null;
});

describe('a resync that fails is tried again until it succeeds', () => {
  it('retries with backoff, says which conversation is catching up, and counts attempts, failures and lag', async () => {
    server = await startDemoServer();
    const seed = server.seed;
    if (!seed) throw new Error('no seed');
    const rig = await makeDeliveryRig(server, { timing: { syncTimeoutMs: 150, retryBaseMs: 50, retryCapMs: 200 } });
    rigs.push(rig);
    const statuses: SyncStatus[] = [];
    rig.core.events.on('sync:changed', (status) => statuses.push(status));
    server.control.sendAs(BOB, seed.conversations.team, 'missed while away');
    // The first three answers to a sync of the team conversation are lost: each times out.
    let lose = 3;
    rig.link.incomingFilter = (frame) => {
      if (frame.type === 'sync_complete' && frame.conversation_id === seed.conversations.team && lose > 0) {
        lose -= 1;
        return false;
      }
      return true;
    };
    await rig.link.connect();
    await vi.waitFor(() => expect(statuses.some((s) => s.catchingUp.includes(seed.conversations.team))).toBe(true));
    expect((await rig.core.handlers['sync:status']({})).catchingUp).toEqual([seed.conversations.team]);
    await vi.waitFor(() => expect(statuses.at(-1)?.catchingUp).toEqual([]), { timeout: 5_000 });
    expect(lose).toBe(0);
    const page = await rig.core.handlers['messages:list']({ conversationId: seed.conversations.team });
    expect(page.messages.map((m) => m.text)).toContain('missed while away');
    const final = await rig.core.handlers['sync:status']({});
    expect(final.failures).toBe(3);
    expect(final.attempts).toBeGreaterThanOrEqual(4);
    const metrics = await rig.core.metricsSnapshot();
    expect(sampleValue(metrics, 'resync_retries_total', {})).toBe(3);
    expect(sampleValue(metrics, 'resync_total', { result: 'failed' })).toBe(3);
    expect(sampleValue(metrics, 'resync_behind_conversations', {})).toBe(0);
    expect(sampleValue(metrics, 'resync_lag_seconds', {})).toBe(0);
    // The first sync and three retries: none after the one that succeeded.
    const syncs = rig.link.sent.filter((f) => f.type === 'sync' && f.conversation_id === seed.conversations.team);
    expect(syncs.length).toBe(4);
  });

  it('stops retrying when the link drops: the next connect resyncs anyway', async () => {
    server = await startDemoServer();
    const seed = server.seed;
    if (!seed) throw new Error('no seed');
    const rig = await makeDeliveryRig(server, { timing: { syncTimeoutMs: 100, retryBaseMs: 50, retryCapMs: 100 } });
    rigs.push(rig);
    rig.link.incomingFilter = (frame) => frame.type !== 'sync_complete';
    await rig.link.connect();
    await vi.waitFor(async () => expect((await rig.core.handlers['sync:status']({})).catchingUp.length).toBeGreaterThan(0));
    rig.link.disconnect();
    expect((await rig.core.handlers['sync:status']({})).catchingUp).toEqual([]);
    expect(sampleValue(await rig.core.metricsSnapshot(), 'resync_behind_conversations', {})).toBe(0);
  });
});
