import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createCoreForTests, type TestCore } from '../../../src/main/core/testing';
import type { DesktopPort } from '../../../src/main/core/diagnostics';
import { NOTIFICATION_HISTORY } from '../../../src/main/core/notifications';
import type { AppNotification, EventPayload } from '../../../src/shared/contract';
import { enqueueMessage } from '../../../src/main/core/store/outbox';
import { makeTempDir } from '../../support/core';
import { makeDeliveryRig } from '../../support/delivery';
import { startDemoServer } from '../../support/real-core';
import * as s from '../../support/secrets';
import { readZip } from '../../support/zip';

/** The shell's side, recorded: a save dialog that answers with a prepared path or a cancel. */
class RecordingDesktop implements DesktopPort {
  nextSavePath: string | null = null;
  readonly asked: string[] = [];
  readonly revealed: string[] = [];
  readonly opened: string[] = [];
  chooseSavePath(defaultName: string): Promise<string | null> {
    this.asked.push(defaultName);
    return Promise.resolve(this.nextSavePath);
  }
  revealFile(filePath: string): void {
    this.revealed.push(filePath);
  }
  openFolder(folderPath: string): void {
    this.opened.push(folderPath);
  }
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

function startCore(): { core: TestCore; dataDir: string; desktop: RecordingDesktop } {
  const dataDir = makeTempDir('nova-diag-core-');
  const desktop = new RecordingDesktop();
  // The real file logger; the server address has nothing listening: offline and signed out.
  const core = createCoreForTests({ dataDir, serverUrl: 'http://127.0.0.1:9', desktop, appInfo: { name: 'Nova', version: '9.9.9', electron: null, chrome: null } });
  cleanups.push(async () => {
    await core.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });
  return { core, dataDir, desktop };
}

describe('diagnostics service in the core', () => {
  it('shares one build between concurrent collects and reports progress', async () => {
    const { core } = startCore();
    await core.start();
    core.log.scope('auth').info(`signed in as ${s.EMAIL} with ${s.ACCESS_JWT}`);
    await core.handlers['log:write']({ level: 'warn', scope: 'composer', message: `draft password=${s.PASSWORD}` });
    const progress: Array<EventPayload<'diagnostics:progress'>> = [];
    core.events.on('diagnostics:progress', (p) => progress.push(p));

    const [first, second] = await Promise.all([core.handlers['diagnostics:collect']({}), core.handlers['diagnostics:collect']({})]);
    expect(second.bundleId).toBe(first.bundleId);
    expect(progress.filter((p) => p.stage === 'done')).toHaveLength(1);
    expect(first.files.map((f) => f.name)).toEqual(
      expect.arrayContaining(['logs/main.log', 'connection-history.json', 'outbox-summary.json', 'metrics.txt', 'versions.json', 'settings.json', 'notifications.json', 'manifest.json']),
    );
    expect(first.masked).toMatchObject({ email: 1, jwt: 1, password: 1 });
    expect(first.reviewText).toContain('(renderer.composer) draft password=[masked:password]');
    for (const secret of s.SECRETS) expect(first.reviewText).not.toContain(secret);

    const third = await core.handlers['diagnostics:collect']({});
    expect(third.bundleId).not.toBe(first.bundleId);
  });

  it('saves through the desktop port with a timestamped name and reveals the file', async () => {
    const { core, desktop, dataDir } = startCore();
    const preview = await core.handlers['diagnostics:collect']({});

    desktop.nextSavePath = null;
    expect(await core.handlers['diagnostics:save']({ bundleId: preview.bundleId })).toEqual({ savedPath: null });
    expect(desktop.asked[0]).toMatch(/^nova-diagnostics-\d{8}-\d{6}\.zip$/);
    expect(desktop.revealed).toEqual([]);

    const target = path.join(makeTempDir('nova-save-'), 'support.zip');
    cleanups.push(() => Promise.resolve(fs.rmSync(path.dirname(target), { recursive: true, force: true })));
    desktop.nextSavePath = target;
    expect(await core.handlers['diagnostics:save']({ bundleId: preview.bundleId })).toEqual({ savedPath: target });
    expect(desktop.revealed).toEqual([target]);
    expect(fs.statSync(target).size).toBe(preview.sizeBytes);
    expect((await readZip(target)).map((e) => e.name)).toEqual(preview.files.map((f) => f.name));

    await expect(core.handlers['diagnostics:save']({ bundleId: 'B-NOPE' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await core.handlers['diagnostics:showLogsFolder']({});
    expect(desktop.opened).toEqual([path.join(dataDir, 'logs')]);
  });

  it('keeps the last 100 notifications with their error ids', async () => {
    const { core } = startCore();
    const raised: string[] = [];
    for (let index = 1; index <= NOTIFICATION_HISTORY + 20; index += 1) raised.push(core.notifications.raise('TIMEOUT', 'request').id);
    const preview = await core.handlers['diagnostics:collect']({});
    const zipPath = path.join(core.dataDir, 'diagnostics', `${preview.bundleId}.zip`);
    const entry = (await readZip(zipPath)).find((e) => e.name === 'notifications.json');
    const ids = (JSON.parse(entry?.data.toString('utf8') ?? '') as { recent: AppNotification[] }).recent.map((n) => n.id);
    expect(ids).toHaveLength(NOTIFICATION_HISTORY);
    expect(ids).toEqual(raised.slice(20));
  });

  it('registers a source in one line; a failing source becomes a note, not a failed bundle', async () => {
    const { core } = startCore();
    core.diagnostics.registerSource('metrics', () => Promise.resolve('nova_up 1\n'));
    core.diagnostics.registerSource('broken', () => Promise.reject(new Error(`cannot read ${os.homedir()}/x for ${s.EMAIL}`)));
    const preview = await core.handlers['diagnostics:collect']({});
    const entries = await readZip(path.join(core.dataDir, 'diagnostics', `${preview.bundleId}.zip`));
    const text = (name: string): string => entries.find((e) => e.name === name)?.data.toString('utf8') ?? '';
    expect(text('metrics.txt')).toBe('nova_up 1\n');
    expect(JSON.parse(text('broken.json'))).toEqual({ unavailable: true, reason: 'cannot read ~/x for [masked:email]' });
  });

  it('summarizes every queued message of the outbox, signed out as well as signed in, with no text', async () => {
    const summaryOf = async (core: TestCore): Promise<Record<string, unknown>> => {
      const preview = await core.handlers['diagnostics:collect']({});
      const entries = await readZip(path.join(core.dataDir, 'diagnostics', `${preview.bundleId}.zip`));
      const text = entries.find((e) => e.name === 'outbox-summary.json')?.data.toString('utf8') ?? '';
      expect(text).not.toMatch(/secret/);
      return JSON.parse(text) as Record<string, unknown>;
    };

    // Signed out: rows an earlier session left, of two users.
    const { core: signedOut } = startCore();
    for (const owner of ['user-a', 'user-b']) {
      enqueueMessage(signedOut.db, { ownerId: owner, conversationId: 'c', key: `k-${owner}`, text: 'secret text', sizeBytes: 11, composedAt: Date.now() });
    }
    expect(await summaryOf(signedOut)).toMatchObject({ total: 2, byState: { saved: 2 }, ages: { under1m: 2 }, bytes: 22 });

    // Signed in, not connected: the message just written waits in the outbox.
    const server = await startDemoServer();
    const rig = await makeDeliveryRig(server);
    cleanups.push(async () => {
      await rig.cleanup();
      await server.close();
    });
    await rig.core.handlers['messages:send']({ conversationId: 'c1', text: 'secret words' });
    expect(await summaryOf(rig.core)).toMatchObject({ total: 1, byState: { saved: 1 } });
  });
});
