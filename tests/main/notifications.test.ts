import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createCore, type Core } from '../../src/main/core';
import { CoreEventBus } from '../../src/main/core/events';
import { createMemoryLogger } from '../../src/main/core/logging';
import { Metrics } from '../../src/main/core/metrics';
import { NOTIFICATION_HISTORY, NotificationCenter, createNotificationReplay } from '../../src/main/core/notifications';
import type { AppNotification } from '../../src/shared/contract';
import { makeTempDir } from '../support/core';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function notification(id: string, sticky: boolean): AppNotification {
  return { id, code: sticky ? 'DB_CORRUPT' : 'RATE_LIMITED', message: id, severity: 'warning', sticky, at: 0, actions: [], messageKey: null };
}

describe('notifications emitted before the window listens', () => {
  it('DB_CORRUPT, emitted at start() before any listener, is returned by notifications:list until dismissed', async () => {
    const dataDir = makeTempDir();
    fs.writeFileSync(path.join(dataDir, 'nova.db'), Buffer.alloc(8192, 0x5a));
    const core: Core = createCore({ dataDir, serverUrl: 'http://127.0.0.1:9', logger: createMemoryLogger() });
    cleanups.push(() => fs.rmSync(dataDir, { recursive: true, force: true }), () => core.stop());
    // Nobody listens yet: the shell attaches its listeners after start().
    await core.start();
    const [missed, ...rest] = await core.handlers['notifications:list']({});
    expect(rest).toEqual([]);
    expect(missed).toMatchObject({ code: 'DB_CORRUPT', severity: 'critical', sticky: true });
    await core.handlers['notifications:dismiss']({ id: missed?.id ?? '' });
    expect(await core.handlers['notifications:list']({})).toEqual([]);
  });

  it('lists only sticky, undismissed notifications still in the ring, oldest first', () => {
    let ring = [notification('a', true), notification('b', false), notification('c', true)];
    const replay = createNotificationReplay(() => ring);
    expect(replay.list().map((n) => n.id)).toEqual(['a', 'c']);
    replay.dismiss('c');
    replay.dismiss('unknown');
    expect(replay.list().map((n) => n.id)).toEqual(['a']);
    // Pushed out of the ring (it keeps the last NOTIFICATION_HISTORY): gone from the replay too.
    ring = Array.from({ length: NOTIFICATION_HISTORY }, (_, i) => notification(`n${i}`, i % 2 === 0));
    expect(replay.list()).toHaveLength(NOTIFICATION_HISTORY / 2);
  });
});

describe('the notification center', () => {
  function center(): { center: NotificationCenter; shown: AppNotification[]; metrics: Metrics } {
    const events = new CoreEventBus();
    const metrics = new Metrics({ defaultMetrics: false });
    const shown: AppNotification[] = [];
    events.on('notification', (n) => shown.push(n));
    return { center: new NotificationCenter({ events, clock: { now: () => 42 }, log: createMemoryLogger(), metrics }), shown, metrics };
  }

  it('merges a burst within one batch: one notification per code, counted, about no single message', async () => {
    const { center: notifications, shown, metrics } = center();
    const batch = notifications.batch();
    batch.add('FORBIDDEN', 'message', { messageKey: 'k1' });
    batch.add('FORBIDDEN', 'message', { messageKey: 'k2' });
    batch.add('RATE_LIMITED', 'message', { messageKey: 'k3', retryAfterMs: 1_000 });
    batch.add('RATE_LIMITED', 'message', { messageKey: 'k4', retryAfterMs: 4_000 });
    batch.add('MESSAGE_EXPIRED', 'message', { messageKey: 'k5' });
    expect(shown).toEqual([]);
    batch.flush();
    expect(shown).toMatchObject([
      { code: 'FORBIDDEN', messageKey: null, severity: 'error', sticky: true, actions: ['retry', 'discard'], at: 42 },
      { code: 'RATE_LIMITED', messageKey: null, message: 'Too many requests. Retrying in 4 s. (2 messages)', sticky: false },
      { code: 'MESSAGE_EXPIRED', messageKey: 'k5', severity: 'error', sticky: true },
    ]);
    expect(shown[0]?.message).toMatch(/\(2 messages\)$/);
    expect(batch.size).toBe(0);
    // What was shown is what diagnostics and the replay see, and what the metrics count.
    expect(notifications.recent().map((n) => n.id)).toEqual(shown.map((n) => n.id));
    expect(notifications.list().map((n) => n.code)).toEqual(['FORBIDDEN', 'MESSAGE_EXPIRED']);
    expect(await metrics.snapshot()).toContain('notifications_shown_total{code="FORBIDDEN",severity="error"} 1');
  });

  it('keeps the last NOTIFICATION_HISTORY notifications', () => {
    const { center: notifications } = center();
    const ids = Array.from({ length: NOTIFICATION_HISTORY + 5 }, () => notifications.raise('TIMEOUT', 'request').id);
    expect(notifications.recent().map((n) => n.id)).toEqual(ids.slice(5));
  });
});
