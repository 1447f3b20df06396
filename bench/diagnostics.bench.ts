/**
 * Diagnostics bench: how long a bundle takes over 25 MB of logs (5 rotated files of 5 MB, so
 * the 20 MB cap applies), and how many log lines per second redaction handles.
 *
 *   npx tsx bench/diagnostics.bench.ts [--log-mb 25] [--repeats 3] [--lines 200000]
 *
 * `--repeats` bundles that many times inside one run (the median is the figure); `npm run bench --
 * diagnostics --runs N` repeats whole runs and records diagnostics_* and log_redaction_* figures.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { collectDiagnostics } from '../src/main/core/diagnostics';
import { createRedactor } from '../src/main/core/logging';
import { percentile, recordBenchResults, round } from './results';

const { values } = parseArgs({
  options: {
    'log-mb': { type: 'string', default: '25' },
    repeats: { type: 'string', default: '3' },
    lines: { type: 'string', default: '200000' },
  },
});
const LOG_MB = Number(values['log-mb']);
const REPEATS = Number(values.repeats);
const LINES = Number(values.lines);
const MB = 1024 * 1024;
const out = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

/** A mix like a real day's log: mostly routine lines, some with secrets that must be masked. */
function sampleLines(home: string): string[] {
  return [
    '[2026-11-28T10:00:00.000Z] [info]  [main] (outbox) sent message 3f2b8c4e-1234-4abc-9def-0123456789ab (42 chars) attempt 1 rtt 45 ms',
    '[2026-11-28T10:00:00.010Z] [debug] [main] (connection) heartbeat ok rtt 38 ms state CONNECTED',
    '[2026-11-28T10:00:00.020Z] [info]  [main] (reconcile) conversation c-17 caught up to seq 4211 (12 new)',
    `[2026-11-28T10:00:00.030Z] [warn]  [main] (http) GET /api/v1/conversations 401 Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1MSJ9.c2lnbmF0dXJl`,
    `[2026-11-28T10:00:00.040Z] [info]  [main] (store) opened ${home}/.config/Nova/nova.db in 4 ms`,
    '[2026-11-28T10:00:00.050Z] [info]  [main] (auth) login for ann@mail.example.org password=hunter2-horse',
    '[2026-11-28T10:00:00.060Z] [error] [main] (ipc) [E-1A2B3C4D] messages:send: INTERNAL Error: disk on fire\\n    at send (/opt/nova/out/main/index.js:10:5)',
    '[2026-11-28T10:00:00.070Z] [info]  [main] (renderer.composer) draft restored for c-3 (18 chars)',
  ];
}

function writeLogs(dir: string, totalMb: number, home: string): number {
  fs.mkdirSync(dir, { recursive: true });
  const block = Buffer.from(`${sampleLines(home).join('\n')}\n`.repeat(Math.ceil(MB / 900)));
  const files = Math.ceil(totalMb / 5);
  let written = 0;
  const now = Date.now();
  for (let index = 0; index < files; index += 1) {
    const file = path.join(dir, index === 0 ? 'main.log' : `main.${index}.log`);
    const fd = fs.openSync(file, 'w');
    const target = Math.min(5, totalMb - index * 5) * MB;
    for (let size = 0; size < target; size += block.length) written += fs.writeSync(fd, block);
    fs.closeSync(fd);
    const at = new Date(now - index * 60_000);
    fs.utimesSync(file, at, at);
  }
  return written;
}

async function benchBundle(): Promise<Record<string, number>> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'nova-bench-diag-'));
  try {
    const sourceBytes = writeLogs(path.join(dataDir, 'logs'), LOG_MB, os.homedir());
    const samples: number[] = [];
    let last: Awaited<ReturnType<typeof collectDiagnostics>> | null = null;
    let peakRss = process.memoryUsage().rss;
    const baseline = peakRss;
    const sampler = setInterval(() => {
      peakRss = Math.max(peakRss, process.memoryUsage().rss);
    }, 10);
    for (let run = 0; run < REPEATS; run += 1) {
      const started = performance.now();
      last = await collectDiagnostics({ dataDir, outPath: path.join(dataDir, `bundle-${run}.zip`) });
      samples.push(performance.now() - started);
    }
    clearInterval(sampler);
    const median = percentile(samples, 50);
    out(`bundle over ${round(sourceBytes / MB, 1)} MB of logs: median ${round(median, 0)} ms (runs: ${samples.map((s) => round(s, 0)).join(', ')})`);
    out(`  logs in bundle ${round((last?.manifest.logs.includedBytes ?? 0) / MB, 1)} MB, zip ${round((last?.sizeBytes ?? 0) / MB, 2)} MB, rss growth ${round((peakRss - baseline) / MB, 1)} MB`);
    out(`  masked: ${JSON.stringify(last?.manifest.masked ?? {})}`);
    return {
      diagnostics_bundle_ms: round(median, 0),
      diagnostics_bundle_log_mb: round(sourceBytes / MB, 1),
      diagnostics_bundle_zip_mb: round((last?.sizeBytes ?? 0) / MB, 2),
      diagnostics_bundle_rss_growth_mb: round((peakRss - baseline) / MB, 1),
    };
  } finally {
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

function benchRedaction(): Record<string, number> {
  const redactor = createRedactor({ homeDir: os.homedir() });
  const lines = sampleLines(os.homedir());
  // Warm up the regular expressions before timing them.
  for (let index = 0; index < 10_000; index += 1) redactor.text(lines[index % lines.length] ?? '');
  const started = performance.now();
  let characters = 0;
  for (let index = 0; index < LINES; index += 1) characters += redactor.text(lines[index % lines.length] ?? '').length;
  const seconds = (performance.now() - started) / 1000;
  const perSecond = LINES / seconds;
  out(`redaction: ${round(perSecond, 0)} lines/s (${LINES} lines, ${round(characters / LINES, 0)} chars each, ${round(seconds, 2)} s)`);
  return { log_redaction_lines_per_s: round(perSecond, 0) };
}

async function main(): Promise<void> {
  const figures = { ...benchRedaction(), ...(await benchBundle()) };
  recordBenchResults(figures);
  out(`figures: ${Object.keys(figures).join(', ')}`);
}

void main();
