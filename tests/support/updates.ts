/**
 * The shell's updater for suites that run the core without the Electron shell (the IPC tests and
 * the e2e harness): the same UpdateController the shell builds, wired to the core the same way,
 * with its status events relayed to whoever shows them. Without a setup it is what a user without
 * an organisation feed gets: "updates are managed by your organisation".
 */
import type { AppUpdater } from 'electron-updater';
import type { Core } from '../../src/main/core';
import { systemClock, type Clock } from '../../src/main/core/clock';
import type { AppHandlers } from '../../src/main/ipc';
import type { UpdateSetup } from '../../src/main/shell/update-policy';
import { UpdateController, corePorts, type UpdateTiming } from '../../src/main/shell/updater';
import type { UpdateStatus } from '../../src/shared/updates';

export type StatusRelay = {
  emit(status: UpdateStatus): void;
  on(listener: (status: UpdateStatus) => void): () => void;
};

export function statusRelay(): StatusRelay {
  const listeners = new Set<(status: UpdateStatus) => void>();
  return {
    emit: (status) => {
      for (const listener of [...listeners]) listener(status);
    },
    on: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

export type TestUpdates = Readonly<{ controller: UpdateController; relay: StatusRelay; restarts: () => number }>;

export type TestUpdatesOptions = Readonly<{
  setup?: UpdateSetup;
  createUpdater?: () => AppUpdater;
  currentVersion?: string;
  clock?: Clock;
  timing?: Partial<UpdateTiming>;
}>;

const UNMANAGED: UpdateSetup = { availability: 'unmanaged', reason: null, feed: null, kind: null };

export function testUpdates(core: Core, options: TestUpdatesOptions = {}): TestUpdates {
  const relay = statusRelay();
  let restarts = 0;
  const controller = new UpdateController({
    setup: options.setup ?? UNMANAGED,
    currentVersion: options.currentVersion ?? '0.1.0',
    createUpdater: options.createUpdater ?? (() => {
      throw new Error('no updater without a feed');
    }),
    ...corePorts(core),
    restart: () => {
      restarts += 1;
    },
    emit: (status) => relay.emit(status),
    clock: options.clock ?? systemClock,
    random: Math.random,
    log: core.log.scope('shell'),
    ...(options.timing ? { timing: options.timing } : {}),
  });
  return { controller, relay, restarts: () => restarts };
}

/** Every contract channel: the core's handlers and the updater's, as the shell registers them. */
export function appHandlers(core: Core, updates: TestUpdates = testUpdates(core)): AppHandlers {
  return { ...core.handlers, ...updates.controller.handlers };
}
