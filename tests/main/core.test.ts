import { systemClock } from '../../src/main/core/clock';
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

  it('writes renderer log lines to their own file under dataDir/logs, not into main.log', async () => {
    const dataDir = makeTempDir();
    const core = createCore({ dataDir, serverUrl: 'http://127.0.0.1:9', metricsPort: 'off' });
    await core.start();
    await core.handlers['log:write']({ level: 'warn', scope: 'composer', message: 'draft restore failed' });
    await core.stop();
    const text = fs.readFileSync(path.join(dataDir, 'logs', 'renderer.log'), 'utf8');
    expect(text).toMatch(/\[warn\]\s+\[main\]\s+\(renderer\.composer\) draft restore failed/);
    expect(fs.readFileSync(path.join(dataDir, 'logs', 'main.log'), 'utf8')).not.toContain('draft restore failed');
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('a renderer flood rotates only renderer.log: main.log keeps its first line and never rotates', async () => {
    const dataDir = makeTempDir();
    // A clock the test moves: each line comes a second after the last, so the byte limit lets it through.
    let now = Date.now();
    const clock = { ...systemClock, now: () => now };
    const core = createCore({ dataDir, serverUrl: 'http://127.0.0.1:9', metricsPort: 'off', clock });
    await core.start();
    const logs = path.join(dataDir, 'logs');
    const firstMainLine = fs.readFileSync(path.join(logs, 'main.log'), 'utf8').split('\n')[0];
    expect(firstMainLine).toMatch(/\[main\]/);
    const line = 'x'.repeat(4_000);
    for (let index = 0; index < 800; index += 1) {
      now += 1_000;
      await core.handlers['log:write']({ level: 'info', scope: 'flood', message: `${index} ${line}` });
    }
    await core.stop();
    const files = fs.readdirSync(logs).sort();
    expect(files).toEqual(['main.log', 'renderer.1.log', 'renderer.2.log', 'renderer.log']);
    expect(fs.readFileSync(path.join(logs, 'main.log'), 'utf8').split('\n')[0]).toBe(firstMainLine);
    for (const name of ['renderer.log', 'renderer.1.log', 'renderer.2.log']) {
      expect(fs.statSync(path.join(logs, name)).size).toBeLessThanOrEqual(1024 * 1024 + 8 * 1024);
    }
    fs.rmSync(dataDir, { recursive: true, force: true });
  });
});
