import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createCore, type Core } from '../../src/main/core';
import { createMemoryLogger } from '../../src/main/core/logging';
import { NOTIFICATION_HISTORY } from '../../src/main/core/diagnostics';
import { createNotificationReplay } from '../../src/main/core/notifications';
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
