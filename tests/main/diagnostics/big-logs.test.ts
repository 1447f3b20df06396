import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectDiagnostics } from '../../../src/main/core/diagnostics';
import { makeTempDir } from '../../support/core';
import { listZip } from '../../support/zip';

const MB = 1024 * 1024;
const FILES = 20;
const FILE_BYTES = 5 * MB;
let dataDir = '';

/** 20 files × 5 MB of realistic lines, written from one 1 MB block so it takes well under a second. */
beforeAll(() => {
  dataDir = makeTempDir('nova-big-');
  const logsDir = path.join(dataDir, 'logs');
  fs.mkdirSync(logsDir);
  const line = '[2026-11-28T10:00:00.000Z] [info]  [main] (outbox) sent message 3f2b8c4e-1234-4abc-9def-0123456789ab (42 chars) attempt 1 rtt 45 ms\n';
  const block = Buffer.from(line.repeat(Math.floor(MB / line.length)));
  const now = Date.now();
  for (let index = 0; index < FILES; index += 1) {
    const file = path.join(logsDir, index === 0 ? 'main.log' : `main.${index}.log`);
    const fd = fs.openSync(file, 'w');
    for (let written = 0; written < FILE_BYTES; written += block.length) fs.writeSync(fd, block);
    fs.closeSync(fd);
    const at = new Date(now - index * 60_000);
    fs.utimesSync(file, at, at);
  }
});
afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

describe('a 100 MB log folder', () => {
  it('is capped at 20 MB, newest first, and streamed without loading it into memory', async () => {
    const outPath = path.join(dataDir, 'out.zip');
    const baseline = process.memoryUsage().rss;
    let peak = baseline;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 5);
    const result = await collectDiagnostics({ dataDir, outPath }).finally(() => clearInterval(sampler));
    peak = Math.max(peak, process.memoryUsage().rss);

    const { logs } = result.manifest;
    expect(logs.sourceBytes).toBeGreaterThanOrEqual(100 * MB);
    expect(logs.includedBytes).toBeLessThanOrEqual(20 * MB);
    expect(logs.includedBytes).toBeGreaterThan(19 * MB);
    expect(logs.truncated).toBe(true);
    expect(logs.omittedFiles).toContain('main.19.log');

    const entries = await listZip(outPath);
    const logEntries = entries.filter((e) => e.name.startsWith('logs/'));
    expect(logEntries.slice(0, 4).map((e) => e.name)).toEqual(['logs/main.log', 'logs/main.1.log', 'logs/main.2.log', 'logs/main.3.log']);
    expect(logEntries.reduce((sum, e) => sum + e.sizeBytes, 0)).toBe(logs.includedBytes);
    expect(entries.at(-1)?.name).toBe('manifest.json');
    // Whole-folder reading would need > 100 MB; streaming stays at chunks and one zip window.
    expect(peak - baseline).toBeLessThan(100 * MB);
  });
});
