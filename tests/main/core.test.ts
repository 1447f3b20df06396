import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createCore } from '../../src/main/core';
import { makeTempDir, makeTestCore } from '../support/core';

function listFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    return entry.isDirectory() ? listFiles(full) : [full];
  });
}

describe('createCore', () => {
  it('runs in plain Node: nothing under core imports electron', () => {
    const offenders = listFiles(path.join(__dirname, '../../src/main/core')).filter((file) =>
      /from ['"]electron(\/main)?['"]|require\(['"]electron/.test(fs.readFileSync(file, 'utf8')),
    );
    expect(offenders).toEqual([]);
  });

  it('starts, answers handlers, and stops idempotently', async () => {
    const { core, cleanup } = makeTestCore();
    await core.start();
    await core.start();
    const connection = await core.handlers['connection:get']({});
    expect(connection.snapshot.state).toBe('CLOSED');
    await expect(core.handlers['messages:send']({ conversationId: 'c', text: 'x' })).rejects.toMatchObject({
      code: 'NOT_SIGNED_IN',
    });
    await Promise.all([core.stop(), core.stop()]);
    await cleanup();
  });

  it('gives the shell only what it uses: handlers, events, log, start, stop, system events, the pending count, incoming messages, the viewed conversation, preferences, metrics and diagnostics parts (the updater)', async () => {
    const dataDir = makeTempDir();
    const core = createCore({ dataDir, serverUrl: 'http://127.0.0.1:9', metricsPort: 'off' });
    expect(Object.keys(core).sort()).toEqual([
      'diagnostics',
      'events',
      'getPendingCount',
      'handlers',
      'incoming',
      'log',
      'metrics',
      'notifySystem',
      'preferences',
      'start',
      'stop',
      'view',
    ]);
    await core.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('writes renderer log lines to its log file under dataDir/logs', async () => {
    const dataDir = makeTempDir();
    const core = createCore({ dataDir, serverUrl: 'http://127.0.0.1:9', metricsPort: 'off' });
    await core.start();
    await core.handlers['log:write']({ level: 'warn', scope: 'composer', message: 'draft restore failed' });
    await core.stop();
    const text = fs.readFileSync(path.join(dataDir, 'logs', 'main.log'), 'utf8');
    expect(text).toMatch(/\[warn\]\s+\[main\]\s+\(renderer\.composer\) draft restore failed/);
    fs.rmSync(dataDir, { recursive: true, force: true });
  });
});
