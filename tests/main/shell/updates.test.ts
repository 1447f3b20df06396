/**
 * Updates in the real shell (src/main/index.ts) against the fake Electron, a real core and the
 * reference server, with the real electron-updater reading a feed electron-builder wrote: the
 * window hears each step; "Update after they are sent" waits for the real outbox, then the app
 * quits through the quit guard and the ordered core shutdown and only then hands over to the
 * installer; "Restart now" leaves unsent messages saved for the next start; a broken feed stays
 * out of the user's way; an older app refuses a newer database at start.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { MIGRATIONS } from '../../../src/main/core/store/migrations';
import { openDatabase } from '../../../src/main/core/store/database';
import type { UpdateStatus } from '../../../src/shared/updates';
import { makeTempDir } from '../../support/core';
import { startShellRig, type ShellRig, type ShellRigOptions } from '../../support/shell-rig';
import { createUpdateFeed, startFeedServer, type FeedServer, type UpdateFeed } from '../../support/update-feed';

vi.mock('electron', () => import('../../support/fake-electron/module'));

let feed: UpdateFeed;
let feedServer: FeedServer;
beforeAll(async () => {
  feed = createUpdateFeed();
  await feed.release('0.2.0');
  feedServer = await startFeedServer(feed.dir);
}, 60_000);
afterAll(async () => {
  await feedServer.close();
  feed.cleanup();
});

const ENV = ['APPIMAGE', 'XDG_CACHE_HOME', 'NOVA_TEST_UPDATE_MARK'] as const;
let savedEnv: Record<string, string | undefined> = {};
let rig: ShellRig | null = null;
const dirs: string[] = [];

afterEach(async () => {
  await rig?.cleanup();
  rig = null;
  for (const key of ENV) {
    if (savedEnv[key] === undefined) delete process.env[key];
    else process.env[key] = savedEnv[key];
  }
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

type Install = Readonly<{ appImage: string; resources: string; mark: string }>;

/** An installed AppImage of 0.1.0, as electron-builder packed it, that will run whatever replaces it. */
function installed(): Install {
  savedEnv = Object.fromEntries(ENV.map((key) => [key, process.env[key]]));
  const dir = makeTempDir('nova-install-');
  dirs.push(dir);
  const resources = path.join(dir, 'resources');
  fs.mkdirSync(resources);
  fs.copyFileSync(feed.appUpdateConfig, path.join(resources, 'app-update.yml'));
  const appImage = path.join(dir, 'Nova-0.1.0.AppImage');
  fs.writeFileSync(appImage, '#!/bin/sh\n# 0.1.0\n', { mode: 0o755 });
  process.env['APPIMAGE'] = appImage;
  process.env['XDG_CACHE_HOME'] = path.join(dir, 'cache');
  const mark = path.join(dir, 'started.txt');
  process.env['NOVA_TEST_UPDATE_MARK'] = mark;
  return { appImage, resources, mark };
}

async function started(options: ShellRigOptions = {}): Promise<ShellRig> {
  rig = await startShellRig({ platform: 'linux', ...options });
  await vi.waitFor(() => expect(rig?.window().isVisible()).toBe(true));
  return rig;
}

function withFeed(install: Install, url = feedServer.url): ShellRigOptions {
  return { version: '0.1.0', resourcesPath: install.resources, organization: { updates: { url } } };
}

/** What the window was told, in order. */
function statuses(r: ShellRig): UpdateStatus[] {
  return heard(r.fake.windows.map((window) => window.webContents.sent))();
}

/** What the windows open now were told, readable after they are destroyed on the way out. */
function heard(sentLists: readonly (readonly { channel: string; payload: unknown }[])[]): () => UpdateStatus[] {
  return () => sentLists.flat().filter((sent) => sent.channel === 'update:status').map((sent) => sent.payload as UpdateStatus);
}

function team(r: ShellRig): string {
  const id = r.server.seed?.conversations.team;
  if (!id) throw new Error('no seed');
  return id;
}

describe('updates in the running app', () => {
  it('without a feed, Help says the organisation manages updates, and nothing is asked of the network', async () => {
    const r = await started();
    const status = await r.invoke('update:get', {});
    expect(status).toMatchObject({ availability: 'unmanaged', currentVersion: '0.0.0-fake', channel: 'stable', state: 'idle', feedHost: null });
    expect(await r.invoke('update:check', {})).toMatchObject({ availability: 'unmanaged', lastCheck: null });
    expect(r.fake.net.requests).toHaveLength(0);
  });

  it('found, downloaded, verified, offered; "Update after they are sent" waits for the outbox, stops the core in order, then installs', async () => {
    const install = installed();
    const r = await started(withFeed(install));
    await r.signIn();
    expect(await r.invoke('update:check', {})).toMatchObject({ availability: 'active', lastCheck: { result: 'available', latestVersion: '0.2.0' } });
    await vi.waitFor(() => expect(statuses(r).at(-1)?.state).toBe('ready'), { timeout: 15_000 });
    expect(statuses(r).map((status) => status.state)).toEqual(expect.arrayContaining(['checking', 'downloading', 'ready']));

    // Two messages the server does not take yet: its sockets are mute.
    r.server.control.halfOpen('freeze');
    await r.invoke('messages:send', { conversationId: team(r), text: 'before the update 1' });
    await r.invoke('messages:send', { conversationId: team(r), text: 'before the update 2' });
    await vi.waitFor(() => expect(statuses(r).at(-1)?.pendingMessages).toBe(2));

    const told = heard(r.fake.windows.map((window) => window.webContents.sent));
    const waiting = await r.invoke('update:restartWhenSent', {});
    expect(waiting.restartWhenSent?.deadline).toBeGreaterThan(Date.now() + 100_000);
    expect(r.fake.app.state).toBe('running');
    // The window heard the wait, for the two messages.
    await vi.waitFor(() => expect(statuses(r).at(-1)).toMatchObject({ state: 'ready', pendingMessages: 2, restartWhenSent: waiting.restartWhenSent }));

    // Whether the database was still open when electron-updater handed over to the installer:
    // SQLite removes the WAL file when the last connection closes.
    const wal = path.join(r.dataDir, 'nova.db-wal');
    expect(fs.existsSync(wal)).toBe(true);
    let walAtInstall: boolean | null = null;
    r.fake.autoUpdater.once('before-quit-for-update', () => (walAtInstall = fs.existsSync(wal)));

    // The server takes them: the outbox empties, and Nova restarts by itself.
    r.server.control.halfOpen('off');

    expect(await r.whenQuit()).toEqual({ how: 'quit', code: 0 });
    // No question on the way out: the prompt already said what waits, and nothing did by then.
    expect(r.fake.dialog.boxes).toHaveLength(0);
    expect(r.server.control.listMessages(team(r)).map((message) => message.plaintext)).toEqual(
      expect.arrayContaining(['before the update 1', 'before the update 2']),
    );
    // The core stopped (database closed last) before the installer was handed the app.
    expect(walAtInstall).toBe(false);
    // It restarted because the outbox emptied, not because the wait ran out.
    expect(told().at(-1)).toMatchObject({ state: 'restarting', pendingMessages: 0, restartWhenSent: null });
    // electron-updater's AppImage installer put 0.2.0 where 0.1.0 was and started it.
    const replaced = path.join(path.dirname(install.appImage), feed.releases[0]?.file ?? '');
    expect(fs.readFileSync(replaced)).toEqual(feed.releases[0]?.payload);
    expect(fs.existsSync(install.appImage)).toBe(false);
    expect(r.fake.autoUpdater.emitted).toContain('before-quit-for-update');
    await vi.waitFor(() => expect(fs.readFileSync(install.mark, 'utf8')).toBe('0.2.0 started\n'), { timeout: 10_000 });
  });

  it('"Restart now" with a message waiting: no quit question, and the message goes out at the next start', async () => {
    const install = installed();
    const r = await started(withFeed(install));
    await r.signIn();
    await r.invoke('update:check', {});
    await vi.waitFor(() => expect(statuses(r).at(-1)?.state).toBe('ready'), { timeout: 15_000 });
    r.server.control.halfOpen('freeze');
    await r.invoke('messages:send', { conversationId: team(r), text: 'kept across the update' });
    await vi.waitFor(() => expect(statuses(r).at(-1)?.pendingMessages).toBe(1));
    const told = heard(r.fake.windows.map((window) => window.webContents.sent));
    await r.invoke('update:restart', {});
    expect(await r.whenQuit()).toEqual({ how: 'quit', code: 0 });
    expect(r.fake.dialog.boxes).toHaveLength(0);
    expect(told().at(-1)).toMatchObject({ state: 'restarting', update: { version: '0.2.0' }, pendingMessages: 1 });
    await r.cleanup({ keepData: true, keepServer: true });

    r.server.control.halfOpen('off');
    rig = await startShellRig({ platform: 'linux', server: r.server, dataDir: r.dataDir, version: '0.2.0' });
    await vi.waitFor(() => expect(r.server.control.listMessages(team(r)).map((message) => message.plaintext)).toContain('kept across the update'), {
      timeout: 15_000,
    });
    await r.server.close();
  });

  it('a broken feed stays quiet: no dialog, the app runs, the window is told what happened', async () => {
    const install = installed();
    feedServer.fail('latest-linux.yml', 500);
    try {
      const r = await started(withFeed(install));
      expect(await r.invoke('update:check', {})).toMatchObject({ state: 'idle', lastCheck: { result: 'http_error', message: 'The update server answered 500.' } });
      await vi.waitFor(() => expect(statuses(r).at(-1)?.lastCheck?.result).toBe('http_error'));
      expect([r.fake.dialog.boxes.length, r.fake.dialog.errorBoxes.length, r.fake.app.state]).toEqual([0, 0, 'running']);
      expect(statuses(r).at(-1)).toMatchObject({ state: 'idle', update: null, lastCheck: { result: 'http_error', message: 'The update server answered 500.' } });
      await expect(r.invoke('update:restart', {})).rejects.toThrow('update:restart: CONFLICT No update has been downloaded yet.');
      // Support sees the same in the diagnostics bundle.
      const bundle = await r.invoke('diagnostics:collect', {});
      expect(bundle.files.map((file) => file.name)).toContainEqual(expect.stringContaining('updates'));
    } finally {
      feedServer.restore('latest-linux.yml');
    }
  });
});

describe('an older app on a newer database', () => {
  it('refuses at start with a clear message and leaves every byte as it was', async () => {
    const dataDir = makeTempDir('nova-newer-data-');
    dirs.push(dataDir);
    const known = MIGRATIONS.at(-1)?.version ?? 0;
    const db = openDatabase(path.join(dataDir, 'nova.db'), {
      migrations: [...MIGRATIONS, { version: known + 1, name: 'newer', up: (d) => d.exec('CREATE TABLE newer (x INTEGER)') }],
    });
    db.close();
    const hash = (): string => crypto.createHash('sha256').update(fs.readFileSync(path.join(dataDir, 'nova.db'))).digest('hex');
    const before = hash();

    rig = await startShellRig({ platform: 'linux', dataDir, expectStartFailure: true });
    expect(rig.fake.dialog.errorBoxes).toEqual([
      {
        title: 'Nova cannot start',
        content: `Your Nova data was saved by a newer version of Nova (database version ${known + 1}; this version knows up to ${known}). Nova did not open it, so nothing in it was changed: install the newer version again to use it.`,
      },
    ]);
    expect(await rig.whenQuit()).toEqual({ how: 'exit', code: 1 });
    expect(hash()).toBe(before);
    expect(fs.readdirSync(dataDir).filter((name) => name.includes('corrupt'))).toEqual([]);
  });
});
