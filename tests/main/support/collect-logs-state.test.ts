/**
 * `--collect-logs` runs without a core; it bundles the parts the core saved in its state file,
 * so support gets the same files as from the in-app bundle.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { STATE_FILE, collectFromStateFile } from '../../../src/main/core/diagnostics';
import { makeTempDir, makeTestCore } from '../../support/core';
import * as s from '../../support/secrets';
import { readZip } from '../../support/zip';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

function names(entries: ReadonlyArray<{ name: string }>): string[] {
  return entries.map((entry) => entry.name).filter((name) => !name.startsWith('logs/')).sort();
}

describe('--collect-logs with the state the core saved', () => {
  it('bundles the same parts as the in-app bundle, each saying when it was captured', async () => {
    const dataDir = makeTempDir('nova-state-');
    dirs.push(dataDir);
    const { core } = makeTestCore({ dataDir });
    await core.start();
    core.notifySystem('offline');
    const shown = core.notifications.raise('TIMEOUT', 'request', { message: `The server took too long (for ${s.EMAIL}).` });
    await core.handlers['doctor:run']({});
    const inApp = await core.handlers['diagnostics:collect']({});
    await core.stop();
    expect(fs.existsSync(path.join(dataDir, STATE_FILE))).toBe(true);
    expect(fs.readFileSync(path.join(dataDir, STATE_FILE), 'utf8')).not.toContain(s.EMAIL);

    const outPath = path.join(dataDir, 'offline.zip');
    const bundle = await collectFromStateFile({ dataDir, outPath });
    const entries = await readZip(outPath);
    expect(names(entries)).toEqual(names(inApp.files));
    expect(bundle.files.map((file) => file.name)).toEqual(expect.arrayContaining(['metrics.txt', 'connection-history.json', 'outbox-summary.json', 'connection-doctor.json', 'notifications.json']));

    const text = (name: string): string => entries.find((entry) => entry.name === name)?.data.toString('utf8') ?? '';
    expect(text('metrics.txt')).toMatch(/^# captured \S+ \(when the app last stopped\)\n/);
    expect(text('metrics.txt')).toMatch(/^os_online 0$/m);
    const history = JSON.parse(text('connection-history.json')) as { captured: string; value: { snapshot: { isOsOffline: boolean } } };
    expect(history.value.snapshot.isOsOffline).toBe(true);
    const doctor = JSON.parse(text('connection-doctor.json')) as { value: { steps: Array<{ id: string; status: string }> } };
    expect(doctor.value.steps.find((step) => step.id === 'network')?.status).toBe('fail');
    const notifications = JSON.parse(text('notifications.json')) as { recent: Array<{ id: string; message: string }> };
    expect(notifications.recent.map((n) => n.id)).toEqual([shown.id]);
    expect(notifications.recent[0]?.message).toContain('[masked:email]');
  });

  it('still lists the expected parts, saying why they are empty, when the app never saved any', async () => {
    const dataDir = makeTempDir('nova-state-none-');
    dirs.push(dataDir);
    const outPath = path.join(dataDir, 'offline.zip');
    await collectFromStateFile({ dataDir, outPath });
    const entries = await readZip(outPath);
    const metrics = entries.find((entry) => entry.name === 'metrics.txt')?.data.toString('utf8');
    expect(metrics).toBe('Unavailable: the app has not saved its state in this data folder yet.\n');
    expect(entries.map((entry) => entry.name)).toEqual(expect.arrayContaining(['connection-history.txt', 'outbox-summary.txt', 'notifications.json']));
  });
});
