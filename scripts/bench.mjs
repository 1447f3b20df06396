// `npm run bench [-- <name>] [--runs N] [bench options…]`: runs every bench/*.bench.ts (or those
// whose name contains <name>) one at a time, as they measure the machine. Each bench runs N times
// (default 1); every run hands its figures over in a file of its own, and this script alone
// writes bench/results/latest.json: for each bench a section with, per figure, the median, min
// and max over those same N runs. Options it does not know go to every bench unchanged.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const RESULTS_FILE = path.join(root, 'bench', 'results', 'latest.json');

const args = process.argv.slice(2);
let runs = 1;
let filter;
const passThrough = [];
for (let index = 0; index < args.length; index += 1) {
  const arg = args[index];
  if (arg === '--runs') runs = Number(args[++index]);
  else if (arg.startsWith('--runs=')) runs = Number(arg.slice('--runs='.length));
  else if (filter === undefined && passThrough.length === 0 && !arg.startsWith('-')) filter = arg;
  else passThrough.push(arg);
}
if (!Number.isInteger(runs) || runs < 1) {
  process.stderr.write('--runs wants a whole number of at least 1\n');
  process.exit(2);
}

const benches = fs
  .readdirSync(path.join(root, 'bench'))
  .filter((name) => name.endsWith('.bench.ts') && (!filter || name.includes(filter)))
  .sort();
if (benches.length === 0) {
  process.stderr.write(`no bench matches "${filter}"\n`);
  process.exit(2);
}

/** Nearest-rank median (the lower middle for an even count): a figure some run really measured. */
function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.ceil(sorted.length / 2) - 1];
}

/** Per figure over the runs: numbers get median/min/max; anything else its value if every run agreed. */
function summarise(perRun) {
  const names = [...new Set(perRun.flatMap((figures) => Object.keys(figures)))].sort();
  const summary = {};
  for (const name of names) {
    const values = perRun.map((figures) => (name in figures ? figures[name] : null));
    const numbers = values.filter((value) => typeof value === 'number' && Number.isFinite(value));
    if (numbers.length > 0 && values.every((value) => value === null || typeof value === 'number')) {
      summary[name] = {
        median: median(numbers),
        min: Math.min(...numbers),
        max: Math.max(...numbers),
        // A run that produced no number (a timeout reported as null) is shown, never hidden.
        ...(numbers.length < values.length ? { missing: values.length - numbers.length } : {}),
      };
    } else {
      summary[name] = values.every((value) => JSON.stringify(value) === JSON.stringify(values[0])) ? values[0] : { runs: values };
    }
  }
  return summary;
}

/** The sections recorded so far; anything else (figures of the old flat format) is dropped. */
function readResults() {
  let results = {};
  try {
    results = JSON.parse(fs.readFileSync(RESULTS_FILE, 'utf8'));
  } catch {
    return {};
  }
  return Object.fromEntries(
    Object.entries(results).filter(([, value]) => typeof value === 'object' && value !== null && 'figures' in value),
  );
}

function writeResults(results) {
  fs.mkdirSync(path.dirname(RESULTS_FILE), { recursive: true });
  // Written aside and renamed: rename is atomic, so a reader never sees half a file.
  const temp = `${RESULTS_FILE}.${process.pid}.tmp`;
  fs.writeFileSync(temp, `${JSON.stringify(results, null, 2)}\n`);
  fs.renameSync(temp, RESULTS_FILE);
}

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'nova-bench-'));
let failed = 0;
for (const name of benches) {
  const section = name.replace(/\.bench\.ts$/, '');
  const perRun = [];
  const loads = [];
  const exitCodes = [];
  const started = Date.now();
  for (let run = 0; run < runs; run += 1) {
    const figuresFile = path.join(scratch, `${section}.${run}.json`);
    const load = os.loadavg()[0];
    loads.push(Math.round(load * 100) / 100);
    process.stdout.write(`\n=== bench/${name}, run ${run + 1} of ${runs} (load average ${load.toFixed(2)})\n`);
    const result = spawnSync(process.execPath, ['--import', 'tsx', path.join('bench', name), ...passThrough], {
      cwd: root,
      stdio: 'inherit',
      env: { ...process.env, NOVA_BENCH_FIGURES_FILE: figuresFile },
    });
    exitCodes.push(result.status);
    // A bench that missed a target exits 1 after handing its figures over: those still count.
    if (!fs.existsSync(figuresFile)) {
      process.stdout.write(`=== ${name} run ${run + 1}: no figures (exit ${result.status})\n`);
      break;
    }
    perRun.push(JSON.parse(fs.readFileSync(figuresFile, 'utf8')));
  }
  const allExited0 = exitCodes.every((code) => code === 0);
  process.stdout.write(`=== ${name}: ${allExited0 ? 'ok' : `exit codes ${exitCodes.join(', ')}`} in ${Date.now() - started} ms\n`);
  if (!allExited0) failed += 1;
  if (perRun.length < runs) {
    // Half a set records nothing: it would mix figures of different sets of runs.
    process.stdout.write(`=== ${name}: not recorded (${perRun.length} of ${runs} runs gave figures)\n`);
    continue;
  }
  const results = readResults();
  // The whole section is replaced: no figure survives from an earlier set of runs.
  results[section] = {
    runs,
    recorded_at: new Date().toISOString(),
    args: passThrough,
    load_average_at_start: loads,
    exit_codes: exitCodes,
    machine: { cpus: os.cpus().length, node: process.version, platform: `${os.platform()}-${os.arch()}` },
    figures: summarise(perRun),
  };
  writeResults(results);
}
fs.rmSync(scratch, { recursive: true, force: true });
process.stdout.write(`\n${benches.length - failed} benches ok, ${failed} failed; figures in bench/results/latest.json\n`);
process.exitCode = failed ? 1 : 0;
