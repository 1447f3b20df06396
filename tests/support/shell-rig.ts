/**
 * Runs the real shell (src/main/index.ts) against the fake Electron, a real core (SQLite in a
 * temp folder) and the reference server on 127.0.0.1:0. The test plays the user (windows,
 * dialogs, tray, notifications), the page (IPC calls from the trusted app:// frame) and the OS
 * (power, network). A test file using it must also declare, at its top:
 *
 *   vi.mock('electron', () => import('../../support/fake-electron/module'));
 */
import fs from 'node:fs';
import path from 'node:path';
import { vi } from 'vitest';
import type { InvokeChannel, Req, Res } from '../../src/shared/contract';
import type { IpcResult } from '../../src/shared/result';
import type { ServerHandle } from '../../server/index';
import { makeTempDir } from './core';
import { DEMO_PASSWORD } from '../../server/index';
import { ALICE, startDemoServer } from './real-core';
import { installFakeElectron, uninstallFakeElectron, type FakeElectron, type FakeElectronOptions } from './fake-electron';

export const APP_PAGE = 'app://nova/index.html';

export type ShellRigOptions = Partial<Omit<FakeElectronOptions, 'userData'>> & {
  /** NOVA_SERVER_URL; the rig's own server when left out. */
  serverUrl?: string;
  server?: ServerHandle;
  /** Reuse a data folder (a second run of the app). */
  dataDir?: string;
  /** The test checks a refusal to start: the rig returns instead of throwing. */
  expectStartFailure?: boolean;
  /** Written to `organization.json` in the data folder before the app starts. */
  organization?: Record<string, unknown>;
};

export type ShellRig = {
  fake: FakeElectron;
  server: ServerHandle;
  dataDir: string;
  /** The page calls main, from the trusted app:// frame; a failure throws with its code. */
  invoke<C extends InvokeChannel>(channel: C, req: Req<C>): Promise<Res<C>>;
  signIn(email?: string): Promise<void>;
  waitConnected(): Promise<void>;
  /** The live main window; throws when there is none. */
  window(): NonNullable<ReturnType<FakeElectron['liveWindow']>>;
  /** Resolves when the app has quit or exited. */
  whenQuit(): ReturnType<FakeElectron['app']['whenQuit']>;
  /** Quits (answering "Quit anyway" if asked) unless already gone, closes the server, removes the data. */
  cleanup(options?: { keepData?: boolean; keepServer?: boolean }): Promise<void>;
};

const ENV_KEYS = ['NOVA_SERVER_URL', 'NOVA_METRICS_PORT', 'NOVA_DEMO_SERVER', 'ELECTRON_RENDERER_URL', 'NOVA_ORG_CONFIG'] as const;

export async function startShellRig(options: ShellRigOptions = {}): Promise<ShellRig> {
  const server = options.server ?? (await startDemoServer());
  const dataDir = options.dataDir ?? makeTempDir('nova-shell-');
  const savedEnv = Object.fromEntries(ENV_KEYS.map((key) => [key, process.env[key]]));
  process.env['NOVA_SERVER_URL'] = options.serverUrl ?? server.url;
  process.env['NOVA_METRICS_PORT'] = 'off';
  delete process.env['NOVA_DEMO_SERVER'];
  delete process.env['ELECTRON_RENDERER_URL'];
  delete process.env['NOVA_ORG_CONFIG'];
  const { serverUrl: _serverUrl, server: _server, dataDir: _dataDir, expectStartFailure: _expect, organization, ...fakeOptions } = options;
  if (organization) fs.writeFileSync(path.join(dataDir, 'organization.json'), JSON.stringify(organization));
  // Packaged by default: what users run (and the console stays quiet).
  const fake = installFakeElectron({ isPackaged: true, ...fakeOptions, userData: dataDir });

  vi.resetModules();
  await import('../../src/main/index');
  // Electron emits ready once the main script has run.
  fake.app.emitReady();
  await vi.waitFor(
    () => {
      if (fake.applicationMenu() === null && fake.dialog.errorBoxes.length === 0 && !fake.app.hasEnded) throw new Error('the shell has not started yet');
    },
    { timeout: 15_000, interval: 10 },
  );
  if (options.expectStartFailure !== true && fake.applicationMenu() === null) {
    const reason = fake.dialog.errorBoxes.map((box) => `${box.title}: ${box.content}`).join('; ');
    uninstallFakeElectron();
    throw new Error(`the shell did not start: ${reason || `app ${fake.app.state}`}`);
  }

  const invoke = async <C extends InvokeChannel>(channel: C, req: Req<C>): Promise<Res<C>> => {
    const result = (await fake.ipcMain.invoke(channel, req, { url: APP_PAGE, parent: null })) as IpcResult<Res<C>>;
    if (!result.ok) throw Object.assign(new Error(`${channel}: ${result.error.code} ${result.error.message}`), { code: result.error.code });
    return result.value;
  };
  const waitConnected = async (): Promise<void> => {
    await vi.waitFor(
      async () => {
        const { snapshot } = await invoke('connection:get', {});
        if (snapshot.state !== 'CONNECTED') throw new Error(`connection is ${snapshot.state}`);
      },
      { timeout: 15_000, interval: 20 },
    );
  };

  return {
    fake,
    server,
    dataDir,
    invoke,
    waitConnected,
    async signIn(email = ALICE) {
      const result = await invoke('auth:login', { email, password: DEMO_PASSWORD });
      if (result.status !== 'signed_in') throw new Error(`${email} needs a second factor`);
      await waitConnected();
    },
    window() {
      const window = fake.liveWindow();
      if (!window) throw new Error('there is no live window');
      return window;
    },
    whenQuit: () => fake.app.whenQuit(),
    async cleanup(cleanupOptions = {}) {
      try {
        if (!fake.app.hasEnded) {
          fake.dialog.answerNext('Quit anyway');
          fake.app.quit();
          const outcome = await Promise.race([fake.app.whenQuit(), new Promise<null>((resolve) => setTimeout(() => resolve(null), 10_000))]);
          if (outcome === null) fake.app.exit(0);
        }
      } finally {
        uninstallFakeElectron();
        for (const key of ENV_KEYS) {
          const value = savedEnv[key];
          if (value === undefined) delete process.env[key];
          else process.env[key] = value;
        }
        if (!cleanupOptions.keepServer && !options.server) await server.close();
        // An app that quits at once (OS session end) leaves file writes in flight whose next step
        // runs on the event loop and can land in the folder while it is being removed (ENOTEMPTY,
        // seen in CI): the asynchronous rm lets them finish between its retries; a synchronous one
        // would block them.
        if (!cleanupOptions.keepData) await fs.promises.rm(dataDir, { recursive: true, force: true, maxRetries: 10, retryDelay: 50 });
      }
    },
  };
}
