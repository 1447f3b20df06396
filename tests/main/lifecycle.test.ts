/**
 * One lifecycle idiom: the DisposableStore the core declares its stop order with, and a real
 * core (real SQLite, the reference server, signed in and connected, the metrics endpoint on)
 * started and stopped fifty times, leaving no timer, socket or listener behind.
 */
import fs from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ServerHandle } from '../../server/index';
import { DisposableStore, toDisposable } from '../../src/main/core/lifecycle';
import { MemorySecretStore } from '../../src/main/core/secret-store';
import { createCoreForTests } from '../../src/main/core/testing';
import { makeTempDir } from '../support/core';
import { DEMO_PASSWORD } from '../../server/index';
import { ALICE, startDemoServer } from '../support/real-core';
import { FAST_TIMING } from '../support/timing';

describe('DisposableStore', () => {
  it('disposes newest first, one at a time, and only once', async () => {
    const store = new DisposableStore();
    const order: string[] = [];
    store.add(toDisposable(() => void order.push('database')));
    store.add(
      toDisposable(async () => {
        await new Promise((resolve) => setTimeout(resolve, 5));
        order.push('metrics endpoint');
      }),
    );
    store.add(toDisposable(() => void order.push('outbox')));
    await Promise.all([store.dispose(), store.dispose()]);
    expect(order).toEqual(['outbox', 'metrics endpoint', 'database']);
    expect(store.isDisposed).toBe(true);
  });

  it('reports a part that fails to stop and still stops the others; a late addition is disposed at once', async () => {
    const errors: unknown[] = [];
    const store = new DisposableStore((error) => errors.push(error));
    const stopped: string[] = [];
    store.add(toDisposable(() => void stopped.push('first')));
    store.add(
      toDisposable(() => {
        throw new Error('socket refused to close');
      }),
    );
    await store.dispose();
    expect(stopped).toEqual(['first']);
    expect(errors).toMatchObject([{ message: 'socket refused to close' }]);
    store.add(toDisposable(() => void stopped.push('late')));
    await Promise.resolve();
    expect(stopped).toEqual(['first', 'late']);
  });

  it('clears the intervals it made', async () => {
    const store = new DisposableStore();
    let ticks = 0;
    store.setInterval(() => (ticks += 1), 1);
    await vi.waitFor(() => expect(ticks).toBeGreaterThan(0));
    await store.dispose();
    const seen = ticks;
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(ticks).toBe(seen);
  });
});

/** Open handles by kind (timers, sockets, servers, file requests), as Node reports them. */
function resources(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const kind of process.getActiveResourcesInfo()) counts[kind] = (counts[kind] ?? 0) + 1;
  return counts;
}

/** Kinds of which `now` holds more than `baseline`: what the runs left open. */
function leftOpen(now: Record<string, number>, baseline: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(now).filter(([kind, count]) => count > (baseline[kind] ?? 0)));
}

function processListeners(): number {
  return process.eventNames().reduce((sum, name) => sum + process.listenerCount(name), 0);
}

let server: ServerHandle | null = null;
afterEach(async () => {
  await server?.close();
  server = null;
});

describe('a core started and stopped fifty times', () => {
  it('leaves no timer, socket or listener behind', async () => {
    server = await startDemoServer();
    const live = server;
    const dataDir = makeTempDir('nova-lifecycle-');
    // One keychain across the runs, as on a desktop: every core after the first resumes the session.
    const secretStore = new MemorySecretStore();
    const before = resources();
    const listenersBefore = processListeners();
    const leftAtStop: Record<string, number>[] = [];
    try {
      for (let run = 0; run < 50; run += 1) {
        const core = createCoreForTests({ dataDir, serverUrl: live.url, secretStore, metricsPort: 0, timing: FAST_TIMING });
        await core.start();
        if (run === 0) await core.handlers['auth:login']({ email: ALICE, password: DEMO_PASSWORD });
        await vi.waitFor(() => expect(core.connection.state).toBe('CONNECTED'), { timeout: 5_000, interval: 5 });
        await core.delivery.whenSynced();
        // The outbox runs too: a message goes out and is acknowledged.
        const conversations = await core.handlers['conversations:list']({});
        await core.handlers['messages:send']({ conversationId: conversations[0]?.id ?? '', text: `run ${run}` });
        await vi.waitFor(() => expect(core.getPendingCount()).toBe(0), { timeout: 5_000, interval: 5 });
        expect(core.metricsPort()).not.toBeNull();
        expect(core.events.listenerCount()).toBeGreaterThan(0);
        await core.stop();
        expect(core.events.listenerCount()).toBe(0);
        leftAtStop.push(resources());
      }
      // Sockets end with their close handshakes, pooled keep-alive ones on their idle timeout:
      // wait for them, then nothing the core made may remain. Polled by hand, because vi.waitFor
      // keeps timers of its own running while it checks.
      let left = leftOpen(resources(), before);
      for (let poll = 0; poll < 300 && (live.control.socketCount() > 0 || Object.keys(left).length > 0); poll += 1) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        left = leftOpen(resources(), before);
      }
      expect(live.control.socketCount()).toBe(0);
      expect(left).toEqual({});
      expect(processListeners()).toBe(listenersBefore);
      // Nothing piles up from one run to the next either: what is still closing when stop()
      // resolves (close handshakes, pooled connections) is as much after fifty runs as after one.
      const closingAtStop = leftAtStop.map((counts) => Object.values(leftOpen(counts, before)).reduce((sum, n) => sum + n, 0));
      expect(Math.max(...closingAtStop.slice(-10))).toBeLessThanOrEqual(Math.max(...closingAtStop.slice(0, 10)));
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  }, 120_000);
});
