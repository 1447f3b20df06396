/**
 * Who decides whether fleet metrics leave the computer: nobody without an organisation file,
 * the organisation, or the user when the organisation lets them. The choice and the install id
 * live in the settings table and survive a restart; what is buffered never outlives a "no".
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Core } from '../../../src/main/core';
import { createFleet } from '../../../src/main/core/fleet';
import { createMemoryLogger } from '../../../src/main/core/logging';
import { Metrics } from '../../../src/main/core/metrics';
import { openStore } from '../../../src/main/core/store/open';
import { AppError } from '../../../src/shared/errors';
import { makeTempDir, makeTestCore } from '../../support/core';
import { startRemoteWriteReceiver } from '../../support/remote-write-receiver';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function coreWith(dataDir: string, fleetMetrics: Record<string, unknown> | null): Core {
  if (fleetMetrics) fs.writeFileSync(path.join(dataDir, 'organization.json'), JSON.stringify({ fleetMetrics }));
  const { core } = makeTestCore({ dataDir });
  return core;
}

async function refusal(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof AppError) return error.code;
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('fleet metrics', () => {
  it('are off, with no install id, when the organisation configures none', async () => {
    const dataDir = makeTempDir('nova-fleet-');
    const core = coreWith(dataDir, null);
    cleanups.push(async () => {
      await core.stop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    });
    const status = await core.handlers['fleet:status']({});
    expect(status).toMatchObject({ configured: false, enabled: false, decidedBy: null, installId: null, destination: null });
    expect(status.families).toContain('ws_reconnections_total');
    expect(await refusal(core.handlers['fleet:setEnabled']({ enabled: true }))).toBe('NOT_IMPLEMENTED');
  });

  it('follow the organisation when it does not let the user choose', async () => {
    const dataDir = makeTempDir('nova-fleet-');
    const core = coreWith(dataDir, { url: 'https://metrics.example.org/api/v1/push', enabled: true });
    cleanups.push(async () => {
      await core.stop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    });
    const status = await core.handlers['fleet:status']({});
    expect(status).toMatchObject({ configured: true, enabled: true, decidedBy: 'organization', userMayChoose: false, destination: 'metrics.example.org', intervalMs: 60_000 });
    expect(status.installId).toMatch(/^[0-9a-f-]{36}$/);
    expect(await refusal(core.handlers['fleet:setEnabled']({ enabled: false }))).toBe('FORBIDDEN');
  });

  it('let the user opt in and out when allowed, remember it, and reset the install id', async () => {
    const store = await startRemoteWriteReceiver();
    cleanups.push(store.close);
    const dataDir = makeTempDir('nova-fleet-');
    cleanups.push(async () => fs.rmSync(dataDir, { recursive: true, force: true }));
    const fleetMetrics = { url: store.url, enabled: false, userMayChoose: true, intervalMs: 3_600_000 };
    const first = coreWith(dataDir, fleetMetrics);
    await first.start();

    const off = await first.handlers['fleet:status']({});
    expect(off).toMatchObject({ enabled: false, decidedBy: 'organization', userMayChoose: true });
    const on = await first.handlers['fleet:setEnabled']({ enabled: true });
    expect(on).toMatchObject({ enabled: true, decidedBy: 'user' });
    const reset = await first.handlers['fleet:resetInstallId']({});
    expect(reset.installId).not.toBe(off.installId);
    await first.stop();

    // Restarted: the choice and the new id are still there.
    const restarted = coreWith(dataDir, null);
    cleanups.push(() => restarted.stop());
    const remembered = await restarted.handlers['fleet:status']({});
    expect(remembered).toMatchObject({ enabled: true, decidedBy: 'user', installId: reset.installId });
  });

  it('send nothing once the user said no, not even what was collected before', async () => {
    const store = await startRemoteWriteReceiver();
    cleanups.push(store.close);
    store.answer.status = 503;
    const dataDir = makeTempDir('nova-fleet-');
    const opened = openStore(path.join(dataDir, 'nova.db'));
    cleanups.push(async () => {
      opened.db.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    });
    const fleet = createFleet({
      organization: {
        config: { fleetMetrics: { url: store.url, enabled: true, userMayChoose: true, intervalMs: 3_600_000 } },
        status: { path: 'organization.json', source: 'option', status: 'loaded', problems: [] },
      },
      db: opened.db,
      metrics: new Metrics({ defaultMetrics: false }),
      now: () => Date.now(),
      random: () => 0.5,
      log: createMemoryLogger(),
    });

    // The store is down: the push stays buffered.
    await fleet.tick();
    expect(fleet.status()).toMatchObject({ enabled: true, bufferedPushes: 1, lastError: 'the metrics store answered 503: out of order sample' });

    // The user says no; the store comes back; nothing is sent, now or at the next tick.
    await fleet.handlers['fleet:setEnabled']({ enabled: false });
    store.answer.status = 204;
    await fleet.tick();
    expect(fleet.status()).toMatchObject({ enabled: false, bufferedPushes: 0 });
    expect(store.received).toEqual([]);

    // Back on: the next tick sends this moment's numbers only.
    await fleet.handlers['fleet:setEnabled']({ enabled: true });
    await fleet.tick();
    expect(store.received).toHaveLength(1);
    expect(fleet.status()).toMatchObject({ bufferedPushes: 0, lastError: null });
    fleet.stop();
  });
});
