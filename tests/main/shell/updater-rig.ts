/**
 * The rig of the updater suites: the real electron-updater (its AppImage updater, as a Linux
 * AppImage install runs it) and the fake Electron's `app` and `net`, against a feed electron-builder
 * wrote (tests/support/update-feed.ts) served on 127.0.0.1.
 */
import fs from 'node:fs';
import path from 'node:path';
import { AppImageUpdater } from 'electron-updater';
import { afterAll, afterEach, beforeAll, beforeEach, expect, vi } from 'vitest';
import { systemClock, type Clock } from '../../../src/main/core/clock';
import { createMemoryLogger, type LogRecord } from '../../../src/main/core/logging';
import { Metrics } from '../../../src/main/core/metrics';
import type { UpdateChannel } from '../../../src/shared/preferences';
import type { UpdateStatus } from '../../../src/shared/updates';
import { resolveUpdateSetup } from '../../../src/main/shell/update-policy';
import { UpdateController, type UpdateTiming } from '../../../src/main/shell/updater';
import { makeTempDir } from '../../support/core';
import { installFakeElectron, uninstallFakeElectron, type FakeElectron } from '../../support/fake-electron';
import { createUpdateFeed, startFeedServer, type FeedServer, type UpdateFeed } from '../../support/update-feed';
import { sampleValue } from '../metrics/exposition';

export const STABLE = '0.2.0';
export const BETA = '0.3.0-beta.1';

export let feed: UpdateFeed;
export let server: FeedServer;

export type Rig = {
  fake: FakeElectron;
  controller: UpdateController;
  statuses: UpdateStatus[];
  records: LogRecord[];
  metrics: Metrics;
  outbox: { pending: number; sent(remaining: number): void };
  restarts: number;
  channel: { value: UpdateChannel; set(next: UpdateChannel): void };
  appImage: string;
  cacheDir: string;
};

const envKeys = ['APPIMAGE', 'XDG_CACHE_HOME', 'NOVA_TEST_UPDATE_MARK'] as const;
let saved: Record<string, string | undefined> = {};
const work: string[] = [];
const controllers: UpdateController[] = [];

/** The feed (both releases, served on 127.0.0.1) for the file, and a clean slate after each test. */
export function useUpdaterRig(): void {
  beforeAll(async () => {
    feed = createUpdateFeed();
    await feed.release(STABLE);
    await feed.release(BETA);
    server = await startFeedServer(feed.dir);
  }, 60_000);

  afterAll(async () => {
    await server.close();
    feed.cleanup();
  });

  beforeEach(() => {
    saved = Object.fromEntries(envKeys.map((key) => [key, process.env[key]]));
  });

  afterEach(() => {
    for (const controller of controllers.splice(0)) controller.dispose();
    uninstallFakeElectron();
    for (const key of envKeys) {
      if (saved[key] === undefined) delete process.env[key];
      else process.env[key] = saved[key];
    }
    for (const dir of work.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
  });
}

export type RigOptions = Readonly<{
  version?: string;
  allowDowngrade?: boolean;
  url?: string;
  channel?: UpdateChannel;
  clock?: Clock;
  random?: () => number;
  timing?: Partial<UpdateTiming>;
}>;

/** An installed AppImage of `version` whose organisation points at the test feed. */
export function rig(options: RigOptions = {}): Rig {
  const dir = makeTempDir('nova-updater-');
  work.push(dir);
  const resources = path.join(dir, 'resources');
  fs.mkdirSync(resources);
  // What the packaging wrote into the app: electron-updater reads its cache folder's name there.
  fs.copyFileSync(feed.appUpdateConfig, path.join(resources, 'app-update.yml'));
  const appImage = path.join(dir, 'Applications', `Nova-${options.version ?? '0.1.0'}.AppImage`);
  fs.mkdirSync(path.dirname(appImage));
  fs.writeFileSync(appImage, '#!/bin/sh\n# the running version\n', { mode: 0o755 });
  process.env['APPIMAGE'] = appImage;
  process.env['XDG_CACHE_HOME'] = path.join(dir, 'cache');
  const fake = installFakeElectron({ platform: 'linux', isPackaged: true, userData: path.join(dir, 'data'), version: options.version ?? '0.1.0', resourcesPath: resources });
  fake.app.emitReady();

  const logger = createMemoryLogger();
  const metrics = new Metrics({ defaultMetrics: false });
  const statuses: UpdateStatus[] = [];
  const outboxListeners = new Set<() => void>();
  const channelListeners = new Set<() => void>();
  const state = {
    restarts: 0,
  };
  const outbox = {
    pending: 0,
    sent(remaining: number) {
      outbox.pending = remaining;
      for (const listener of [...outboxListeners]) listener();
    },
  };
  const channel = {
    value: options.channel ?? ('stable' as UpdateChannel),
    set(next: UpdateChannel) {
      channel.value = next;
      for (const listener of [...channelListeners]) listener();
    },
  };
  const setup = resolveUpdateSetup({
    config: { url: options.url ?? server.url, allowDowngrade: options.allowDowngrade ?? false, checkIntervalHours: 4 },
    isPackaged: true,
    platform: 'linux',
    packageType: null,
    env: process.env,
  });
  const controller = new UpdateController({
    setup,
    currentVersion: options.version ?? '0.1.0',
    createUpdater: () => new AppImageUpdater(),
    channel: () => channel.value,
    onChannelChange: (listener) => {
      channelListeners.add(listener);
      return () => channelListeners.delete(listener);
    },
    pendingCount: () => outbox.pending,
    onOutboxChange: (listener) => {
      outboxListeners.add(listener);
      return () => outboxListeners.delete(listener);
    },
    restart: () => {
      state.restarts += 1;
    },
    emit: (status) => statuses.push(status),
    metrics,
    clock: options.clock ?? systemClock,
    random: options.random ?? (() => 0.5),
    log: logger.scope('shell'),
    ...(options.timing ? { timing: options.timing } : {}),
  });
  controllers.push(controller);
  return {
    fake,
    controller,
    statuses,
    records: logger.records,
    metrics,
    outbox,
    get restarts() {
      return state.restarts;
    },
    channel,
    appImage,
    cacheDir: path.join(dir, 'cache', 'nova-desktop-updater'),
  };
}

export async function count(metrics: Metrics, family: string, result: string): Promise<number | undefined> {
  return sampleValue(await metrics.snapshot(), family, { result });
}

export async function untilSettled(r: Rig): Promise<UpdateStatus> {
  await vi.waitFor(() => expect(['ready', 'idle']).toContain(r.controller.status().state), { timeout: 15_000, interval: 10 });
  return r.controller.status();
}
