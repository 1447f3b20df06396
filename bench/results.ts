/**
 * How a bench hands over its figures. A bench never writes bench/results/latest.json itself:
 * `npm run bench -- <name> --runs N` (scripts/bench.mjs) runs it N times, each run writing its
 * figures to the file named by NOVA_BENCH_FIGURES_FILE, and records the median, min and max of
 * each figure over those same N runs. Run directly (`npx tsx bench/x.bench.ts`), a bench only
 * prints its figures.
 */
import fs from 'node:fs';

export type BenchFigure = number | string | boolean | null;

export function recordBenchResults(figures: Readonly<Record<string, BenchFigure>>): void {
  const target = process.env['NOVA_BENCH_FIGURES_FILE'];
  if (!target) {
    process.stdout.write('figures not recorded: `npm run bench -- <name> --runs N` records them\n');
    return;
  }
  // Several calls in one run (a bench that records part by part) add up.
  let current: Record<string, BenchFigure> = {};
  try {
    current = JSON.parse(fs.readFileSync(target, 'utf8')) as Record<string, BenchFigure>;
  } catch {
    // first call of this run
  }
  fs.writeFileSync(target, JSON.stringify({ ...current, ...figures }));
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
