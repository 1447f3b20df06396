import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { collectDiagnostics, parseCollectLogsArgument, bundleFileName, type Manifest } from '../../../src/main/core/diagnostics';
import { createFileLogger } from '../../../src/main/core/logging';
import { openDatabase, setSetting } from '../../../src/main/core/store/database';
import type { AppNotification } from '../../../src/shared/contract';
import { makeTempDir } from '../../support/core';
import * as s from '../../support/secrets';
import { readZip } from '../../support/zip';

const dirs: string[] = [];
function tempDir(): string {
  const dir = makeTempDir('nova-diag-');
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

function notification(id: string, message: string): AppNotification {
  return { id, code: 'NETWORK_ERROR', message, severity: 'warning', sticky: false, at: 1_700_000_000_000, actions: ['retry'], messageKey: 'k-1' };
}

/** A data folder as a user's machine would have it: logs written by our logger and by an older, unredacted one. */
function seedDataFolder(dataDir: string): void {
  const logsDir = path.join(dataDir, 'logs');
  const logger = createFileLogger({ dir: logsDir, homeDir: s.HOME, logId: `seed-${Date.now()}-${Math.random()}` });
  for (const [message, ...details] of s.secretLogCalls()) logger.scope('seed').info(message, ...details);
  logger.scope('ipc').error('messages:send: INTERNAL [E-1A2B3C4D]', new Error('disk on fire'));
  // An older file from before redaction existed (or edited by hand): raw secrets in it.
  const raw = s.secretLogCalls().map(([message]) => `[2026-11-27T10:00:00.000Z] [info]  [main] (old) ${message.replace(/\n/g, ' ')}`);
  raw.push(`[2026-11-27T10:00:01.000Z] [info]  [main] (old) ws frame {"type":"message","text":"${s.MESSAGE_TEXT}"} password ${'='} ${s.PASSWORD}`);
  fs.writeFileSync(path.join(logsDir, 'main.1.log'), `${raw.join('\n')}\n`);
  const older = new Date(Date.now() - 3_600_000);
  fs.utimesSync(path.join(logsDir, 'main.1.log'), older, older);

  const db = openDatabase(path.join(dataDir, 'nova.db'));
  setSetting(db, 'device.id', 'device-7f3a');
  setSetting(db, 'auth.email', s.EMAIL);
  setSetting(db, 'auth.refreshToken', s.REFRESH_JWT);
  db.close();
}

describe('diagnostics bundle', () => {
  it('holds every part and the manifest, and none of the seeded secrets', async () => {
    const dataDir = tempDir();
    seedDataFolder(dataDir);
    const outPath = path.join(tempDir(), 'bundle.zip');
    const progress: Array<{ stage: string; done: number; total: number }> = [];

    const result = await collectDiagnostics({
      dataDir,
      outPath,
      homeDir: s.HOME,
      appInfo: { name: 'Nova', version: '1.2.3', electron: '41.7.1', chrome: '146.0.0.0' },
      metricsSnapshot: () => Promise.resolve(`# HELP ws_connections_total\nws_connections_total{status="ok"} 3\n# note ${s.EMAIL}\n`),
      connectionHistory: () => Promise.resolve({ history: [{ at: 1, from: 'CONNECTING', to: 'CONNECTED', reason: `token=${s.ACCESS_JWT}` }] }),
      outboxSummary: () => Promise.resolve({ total: 2, byState: { saved: 2 }, errorCodes: { NETWORK_ERROR: 1 } }),
      notifications: [notification('E-0000AAAA', `Could not reach ${s.EMAIL}`), notification('E-1A2B3C4D', 'Network connection error.')],
      onProgress: (p) => progress.push(p),
    });

    const entries = await readZip(outPath);
    const names = entries.map((e) => e.name);
    expect(names).toEqual([
      'logs/main.log',
      'logs/main.1.log',
      'connection-history.json',
      'metrics.txt',
      'outbox-summary.json',
      'versions.json',
      'settings.json',
      'notifications.json',
      'manifest.json',
    ]);
    const byName = new Map(entries.map((e) => [e.name, e.data.toString('utf8')]));

    const manifest = JSON.parse(byName.get('manifest.json') ?? '') as Manifest;
    expect(manifest.bundleId).toBe(result.bundleId);
    expect(manifest.app).toEqual({ name: 'Nova', version: '1.2.3' });
    expect(manifest.files).toEqual(entries.filter((e) => e.name !== 'manifest.json').map((e) => ({ name: e.name, sizeBytes: e.data.length })));
    expect(result.files.map((f) => f.name)).toEqual(names);
    for (const kind of ['jwt', 'password', 'email', 'phone', 'code', 'token', 'message_text', 'authorization', 'home_path'] as const) {
      expect(manifest.masked[kind], kind).toBeGreaterThan(0);
    }
    expect(manifest.logs).toMatchObject({ capBytes: 20 * 1024 * 1024, truncated: false, omittedFiles: [] });

    // Nothing the test seeded survives, in any file.
    for (const [name, text] of byName) {
      for (const secret of s.SECRETS) expect(text, `${secret} in ${name}`).not.toContain(secret);
    }
    expect(fs.readFileSync(outPath).includes(Buffer.from(s.EMAIL))).toBe(false);

    expect(byName.get('logs/main.log')).toContain('[E-1A2B3C4D]');
    expect(byName.get('metrics.txt')).toContain('ws_connections_total{status="ok"} 3');
    expect(JSON.parse(byName.get('outbox-summary.json') ?? '')).toMatchObject({ total: 2, errorCodes: { NETWORK_ERROR: 1 } });
    expect(JSON.parse(byName.get('notifications.json') ?? '').recent.map((n: AppNotification) => n.id)).toEqual(['E-0000AAAA', 'E-1A2B3C4D']);
    expect(JSON.parse(byName.get('settings.json') ?? '')).toMatchObject({ stored: { 'device.id': 'device-7f3a', 'auth.refreshToken': '[masked:token]', 'auth.email': '[masked:email]' } });
    expect(JSON.parse(byName.get('versions.json') ?? '')).toMatchObject({ app: { version: '1.2.3' }, node: process.versions.node, electron: '41.7.1', os: { platform: process.platform } });

    expect(result.reviewText).toContain(`Nova diagnostics bundle ${result.bundleId}`);
    expect(result.reviewText).toMatch(/email: \d+/);
    expect(result.reviewText).toContain('[E-1A2B3C4D]');
    for (const secret of s.SECRETS) expect(result.reviewText).not.toContain(secret);

    expect(progress.at(-1)).toEqual({ stage: 'done', done: 9, total: 9 });
    expect(progress.map((p) => p.done)).toEqual([...progress.map((p) => p.done)].sort((a, b) => a - b));
  });

  it('builds a valid bundle from an empty folder (fresh install, signed out, offline)', async () => {
    const dataDir = tempDir();
    const outPath = path.join(dataDir, 'out', 'b.zip');
    const result = await collectDiagnostics({ dataDir, outPath, partTimeoutMs: 200, sources: [['slow', () => new Promise(() => undefined)]] });
    const byName = new Map((await readZip(outPath)).map((e) => [e.name, e.data.toString('utf8')]));
    expect([...byName.keys()].sort()).toEqual(
      ['connection-history.txt', 'manifest.json', 'metrics.txt', 'notifications.json', 'outbox-summary.txt', 'settings.json', 'slow.json', 'versions.json'].sort(),
    );
    expect(byName.get('metrics.txt')).toMatch(/unavailable/);
    expect(JSON.parse(byName.get('slow.json') ?? '')).toEqual({ unavailable: true, reason: 'slow did not answer within 200 ms' });
    expect(JSON.parse(byName.get('settings.json') ?? '')).toEqual({ stored: { unavailable: 'no database yet' } });
    expect(result.reviewText).toContain('--- no log files ---');
  });
});

describe('--collect-logs', () => {
  it('parses the flag with and without a path', () => {
    expect(parseCollectLogsArgument(['/opt/nova/nova', '--collect-logs'])).toEqual({ outPath: null });
    expect(parseCollectLogsArgument(['nova', '--collect-logs=/tmp/x.zip'])).toEqual({ outPath: '/tmp/x.zip' });
    expect(parseCollectLogsArgument(['nova', '--collect-logs='])).toEqual({ outPath: null });
    expect(parseCollectLogsArgument(['nova', '--inspect'])).toBeNull();
  });

  it('names bundles with a local timestamp', () => {
    expect(bundleFileName(new Date(2026, 10, 28, 9, 5, 7))).toBe('nova-diagnostics-20261128-090507.zip');
  });
});
