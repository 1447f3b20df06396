/**
 * `nova --collect-logs=<path>` through the real shell entry, with `electron` mocked (it cannot
 * run here): it writes a bundle, exits 0, and never opens a window or takes the instance lock.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { readZip } from '../../support/zip';

const h = vi.hoisted(() => ({
  userData: '',
  exitCode: null as number | null,
  windows: 0,
  lockRequested: false,
}));

vi.mock('electron', () => ({
  app: {
    whenReady: () => Promise.resolve(),
    getPath: () => h.userData,
    getAppPath: () => h.userData,
    getName: () => 'Nova',
    getVersion: () => '0.0.0-cli',
    isPackaged: true,
    exit: (code: number) => {
      h.exitCode = code;
    },
    requestSingleInstanceLock: () => {
      h.lockRequested = true;
      return true;
    },
    on: () => undefined,
    enableSandbox: () => undefined,
  },
  BrowserWindow: class {
    constructor() {
      h.windows += 1;
    }
  },
  Menu: {},
  dialog: {},
  ipcMain: {},
  net: {},
  powerMonitor: {},
  safeStorage: {},
  session: {},
  shell: {},
}));

const argv = process.argv;
afterAll(() => {
  process.argv = argv;
  fs.rmSync(h.userData, { recursive: true, force: true });
});

describe('--collect-logs in the shell', () => {
  it('writes a bundle to the given path and exits before opening a window', async () => {
    h.userData = fs.mkdtempSync(path.join(os.tmpdir(), 'nova-cli-'));
    fs.mkdirSync(path.join(h.userData, 'logs'));
    fs.writeFileSync(path.join(h.userData, 'logs', 'main.log'), '[2026-11-28T10:00:00.000Z] [info]  [main] (auth) login ann@mail.example.org\n');
    const outPath = path.join(h.userData, 'support', 'bundle.zip');
    process.argv = [...argv, `--collect-logs=${outPath}`];
    const write = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);

    await import('../../../src/main/index');
    await vi.waitFor(() => expect(h.exitCode).not.toBeNull(), { timeout: 10_000 });
    expect(write).toHaveBeenCalledWith(`${outPath}\n`);
    write.mockRestore();

    expect(h.exitCode).toBe(0);
    expect(h.windows).toBe(0);
    expect(h.lockRequested).toBe(false);
    const entries = await readZip(outPath);
    expect(entries.map((e) => e.name)).toContain('manifest.json');
    // The live parts come from the state file a core saves; with none saved yet, each says so.
    expect(entries.map((e) => e.name)).toEqual(expect.arrayContaining(['metrics.txt', 'connection-history.txt', 'outbox-summary.txt', 'notifications.json']));
    const log = entries.find((e) => e.name === 'logs/main.log')?.data.toString('utf8') ?? '';
    expect(log).toBe('[2026-11-28T10:00:00.000Z] [info]  [main] (auth) login [masked:email]\n');
  });
});
