/**
 * Benchmarks write their figures into one file, bench/results/latest.json. Each bench merges
 * its own keys (read, modify, write) so running one bench never erases another's figures.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export type BenchFigure = number | string | boolean | null;

const RESULTS_FILE = path.join(__dirname, 'results', 'latest.json');

export function recordBenchResults(figures: Readonly<Record<string, BenchFigure>>): void {
  let current: Record<string, unknown> = {};
  try {
    current = JSON.parse(fs.readFileSync(RESULTS_FILE, 'utf8')) as Record<string, unknown>;
  } catch {
    // first bench of the run
  }
  const merged = {
    ...current,
    ...figures,
    _machine: { cpus: os.cpus().length, node: process.version, platform: `${os.platform()}-${os.arch()}` },
    _updated_at: new Date().toISOString(),
  };
  fs.mkdirSync(path.dirname(RESULTS_FILE), { recursive: true });
  // Written aside and renamed: rename is atomic, so a reader never sees half a file.
  const temp = `${RESULTS_FILE}.${process.pid}.tmp`;
  fs.writeFileSync(temp, `${JSON.stringify(merged, null, 2)}\n`);
  fs.renameSync(temp, RESULTS_FILE);
}

/** Percentile by nearest rank on a copy; p in [0, 100]. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] as number;
}

export function round(value: number, digits = 2): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}
