/**
 * `connection:changed` goes through the core's one change window, with the outbox's changes:
 * one snapshot per window however often the connection changes, in the order producers were
 * marked, and nothing left on the clock once the connection is disposed.
 */
import { describe, expect, it } from 'vitest';
import type { ConnectionSnapshot } from '../../../src/shared/contract';
import { AppError } from '../../../src/shared/errors';
import { ConnectionService } from '../../../src/main/core/connection';
import { ChangeWindow } from '../../../src/main/core/events';
import { createMemoryLogger } from '../../../src/main/core/logging';
import { Metrics } from '../../../src/main/core/metrics';
import { DEFAULT_TIMING } from '../../../src/main/core/options';
import { ManualClock } from '../../support/clock';

const BATCH_MS = 16;

function rig() {
  const clock = new ManualClock();
  const changes = new ChangeWindow(clock, BATCH_MS);
  let pending = 0;
  const link = new ConnectionService({
    serverUrl: 'http://127.0.0.1:9',
    auth: {
      userId: () => null,
      currentAccessToken: () => null,
      freshAccessToken: () => Promise.reject(new AppError('NOT_SIGNED_IN')),
      refresh: () => Promise.reject(new AppError('NOT_SIGNED_IN')),
      request: () => Promise.reject(new AppError('NOT_SIGNED_IN')),
    },
    clock,
    random: () => 0.5,
    timing: DEFAULT_TIMING,
    log: createMemoryLogger(),
    metrics: new Metrics({ defaultMetrics: false }),
    changes,
  });
  link.setPendingCountProvider(() => pending);
  const snapshots: ConnectionSnapshot[] = [];
  const order: string[] = [];
  link.onDidChange((snapshot) => {
    snapshots.push(snapshot);
    order.push('connection');
  });
  return {
    clock,
    changes,
    link,
    snapshots,
    order,
    setPending: (count: number) => {
      pending = count;
      link.pendingCountChanged();
    },
  };
}

describe('connection:changed in the core change window', () => {
  it('sends one snapshot per window, the latest, flushed with the other producers in mark order', () => {
    const r = rig();
    const outbox = (): void => void r.order.push('outbox');
    r.changes.mark(outbox);
    for (let count = 1; count <= 5; count += 1) r.setPending(count);
    r.changes.mark(outbox);
    r.clock.advance(BATCH_MS - 1);
    expect(r.snapshots).toHaveLength(0);
    r.clock.advance(1);
    expect(r.order).toEqual(['outbox', 'connection']);
    expect(r.snapshots.map((snapshot) => snapshot.pendingCount)).toEqual([5]);

    r.setPending(6);
    r.clock.advance(BATCH_MS);
    expect(r.snapshots.map((snapshot) => snapshot.pendingCount)).toEqual([5, 6]);
    expect(r.clock.pending()).toBe(0);
    r.link.dispose();
  });

  it('takes its mark back when disposed: no snapshot afterwards and no timer left', () => {
    const r = rig();
    r.setPending(1);
    expect(r.clock.pending()).toBe(1);
    r.link.dispose();
    expect(r.clock.pending()).toBe(0);
    r.clock.advance(BATCH_MS * 10);
    expect(r.snapshots).toHaveLength(0);
  });

  it('leaves another producer marked in the same window alone when it is disposed', () => {
    const r = rig();
    const outbox = (): void => void r.order.push('outbox');
    r.setPending(1);
    r.changes.mark(outbox);
    r.link.dispose();
    r.clock.advance(BATCH_MS);
    expect(r.order).toEqual(['outbox']);
    expect(r.clock.pending()).toBe(0);
  });
});
