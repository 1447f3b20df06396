import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ServerHandle } from '../../../server/index';
import { createCore, type Core } from '../../../src/main/core';
import { createMemoryLogger } from '../../../src/main/core/logging';
import { createCoreForTests } from '../../../src/main/core/testing';
import { listOutbox } from '../../../src/main/core/store/outbox';
import type { AppNotification } from '../../../src/shared/contract';
import { makeTempDir } from '../../support/core';
import { DEMO_PASSWORD } from '../../../server/index';
import { ALICE, startDemoServer } from '../../support/real-core';
import { TestLink } from '../../support/link';

let server: ServerHandle | null = null;
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  await server?.close();
  server = null;
});

async function signedInLink(): Promise<TestLink> {
  server = await startDemoServer();
  const link = new TestLink({ url: server.url, wsUrl: server.wsUrl, email: ALICE, password: DEMO_PASSWORD });
  await link.signIn();
  return link;
}

describe('store faults', () => {
  it('disk full: messages:send answers STORAGE_FULL and every row already saved stays intact', async () => {
    const link = await signedInLink();
    const dir = makeTempDir();
    const service = createCoreForTests({ dataDir: dir, serverUrl: 'http://127.0.0.1:9', logger: createMemoryLogger(), link, metricsPort: 'off' });
    await service.start();
    const { db } = service;
    cleanups.push(async () => {
      await service.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    });
    const saved: string[] = [];
    for (let i = 0; i < 20; i += 1) {
      saved.push((await service.handlers['messages:send']({ conversationId: 'c1', text: `kept ${i}` })).key);
    }
    const pages = db.pragma('page_count', { simple: true }) as number;
    // The disk "fills up": the file may not grow past its current size plus a page or two.
    db.pragma(`max_page_count = ${pages + 1}`);
    const big = 'x'.repeat(3_000);
    let error: unknown = null;
    for (let i = 0; i < 50 && error === null; i += 1) {
      try {
        await service.handlers['messages:send']({ conversationId: 'c1', text: `${big}${i}` });
      } catch (caught) {
        error = caught;
      }
    }
    expect(error).toMatchObject({ code: 'STORAGE_FULL' });
    const rows = listOutbox(db, link.currentUserId() ?? '');
    expect(rows.slice(0, 20).map((r) => r.key)).toEqual(saved);
    expect(rows.slice(0, 20).every((r, i) => r.text === `kept ${i}`)).toBe(true);
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    // space freed: saving works again
    db.pragma('max_page_count = 1073741823');
    await expect(service.handlers['messages:send']({ conversationId: 'c1', text: 'after' })).resolves.toMatchObject({ state: 'saved' });
  });

  function startCore(dataDir: string, link: TestLink): { core: Core; notifications: AppNotification[] } {
    const core = createCore({ dataDir, serverUrl: 'http://127.0.0.1:9', logger: createMemoryLogger(), link });
    const notifications: AppNotification[] = [];
    core.events.on('notification', (n) => notifications.push(n));
    return { core, notifications };
  }

  it('a corrupt database at start-up is moved aside, a fresh one is created, the user is told, no crash loop', async () => {
    const link = await signedInLink();
    const dataDir = makeTempDir();
    cleanups.push(() => fs.rmSync(dataDir, { recursive: true, force: true }));
    fs.writeFileSync(path.join(dataDir, 'nova.db'), Buffer.alloc(8192, 0x5a));
    const first = startCore(dataDir, link);
    await first.core.start();
    expect(first.notifications.map((n) => n.code)).toEqual(['DB_CORRUPT']);
    await expect(first.core.handlers['messages:send']({ conversationId: 'c1', text: 'works' })).resolves.toMatchObject({ state: 'saved' });
    await first.core.stop();
    const aside = fs.readdirSync(dataDir).filter((name) => name.startsWith('nova.db.corrupt-'));
    expect(aside).toHaveLength(1);
    expect(fs.readFileSync(path.join(dataDir, aside[0] ?? '')).equals(Buffer.alloc(8192, 0x5a))).toBe(true);
    // the next start is an ordinary one
    const second = startCore(dataDir, link);
    await second.core.start();
    expect(second.notifications).toEqual([]);
    expect(second.core.getPendingCount()).toBe(1);
    await second.core.stop();
  });

  it('a damaged page inside an otherwise valid file is caught at start-up too', async () => {
    const link = await signedInLink();
    const dataDir = makeTempDir();
    cleanups.push(() => fs.rmSync(dataDir, { recursive: true, force: true }));
    const before = startCore(dataDir, link);
    await before.core.start();
    for (let i = 0; i < 200; i += 1) await before.core.handlers['messages:send']({ conversationId: 'c1', text: `row ${i} ${'y'.repeat(100)}` });
    await before.core.stop();
    const file = path.join(dataDir, 'nova.db');
    const size = fs.statSync(file).size;
    const fd = fs.openSync(file, 'r+');
    // scribble over the b-tree pages, leaving the header (page 1) alone
    fs.writeSync(fd, Buffer.alloc(4096 * 3, 0xff), 0, 4096 * 3, Math.min(4096 * 2, size - 4096 * 3));
    fs.closeSync(fd);
    const after = startCore(dataDir, link);
    await after.core.start();
    expect(after.notifications.map((n) => n.code)).toEqual(['DB_CORRUPT']);
    expect(after.core.getPendingCount()).toBe(0);
    await after.core.stop();
  });
});
