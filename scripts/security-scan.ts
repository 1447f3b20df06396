// `npm run security:scan`: runs Electronegativity over the sources and the built app and fails on
// any HIGH finding or any finding docs/security.md does not justify. The tool lives in
// .tools/electronegativity (git-ignored, its own npm prefix) so it never joins the app's
// dependencies. Its CLI always exits 0, and its CSV writer races its own header write (two
// concurrent fs.writeFile calls: reports came out garbled or header-only here), so each scan runs
// the CLI's own runner in a child process that hands the findings over as JSON. A known-insecure
// sample is scanned alongside: if the tool stops flagging it, the gate fails rather than trusting
// an empty report.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const ELECTRONEGATIVITY_VERSION = '1.10.3';

/** The parts of an Electronegativity issue object the gate reads. */
export type ToolIssue = Readonly<{
  id: string;
  file: string;
  description?: string;
  location?: Readonly<{ line?: number; column?: number }>;
  severity?: Readonly<{ name?: string }>;
  confidence?: Readonly<{ name?: string }>;
}>;

type ToolReport = Readonly<{
  issues: readonly ToolIssue[];
  errors: readonly Readonly<{ file: string; message: string; tolerable: boolean }>[];
}>;

export type Finding = Readonly<{
  id: string;
  severity: string;
  confidence: string;
  file: string;
  location: string;
  description: string;
}>;

export type Verdict = Readonly<{ high: readonly Finding[]; unjustified: readonly Finding[]; passed: boolean }>;

/** The tool's issues as plain findings; `prefix` names the scanned folder. */
export function toFindings(issues: readonly ToolIssue[], prefix: string): Finding[] {
  return issues.map((issue) => ({
    id: issue.id,
    severity: (issue.severity?.name ?? 'UNKNOWN').toUpperCase(),
    confidence: (issue.confidence?.name ?? 'UNKNOWN').toUpperCase(),
    file: path.posix.join(prefix, issue.file.split(path.sep).join('/')),
    location: `${issue.location?.line ?? 0}:${issue.location?.column ?? 0}`,
    description: issue.description ?? '',
  }));
}

/**
 * Check ids that docs/security.md justifies: each `CHECK_ID` in backticks under its
 * "## Accepted findings" heading (ids named elsewhere, e.g. among the fixes, do not count).
 */
export function justifiedChecks(securityDoc: string): Set<string> {
  const section = securityDoc.split(/^## /m).find((part) => part.startsWith('Accepted findings')) ?? '';
  return new Set([...section.matchAll(/`([A-Z][A-Z0-9_]+_CHECK)`/g)].map((match) => match[1] ?? ''));
}

/** HIGH findings always fail; any other finding fails unless docs/security.md justifies its check. */
export function evaluateFindings(findings: readonly Finding[], justified: ReadonlySet<string>): Verdict {
  const high = findings.filter((finding) => finding.severity === 'HIGH');
  const unjustified = findings.filter((finding) => finding.severity !== 'HIGH' && !justified.has(finding.id));
  return { high, unjustified, passed: high.length === 0 && unjustified.length === 0 };
}

// A window with context isolation off: the tool must report CONTEXT_ISOLATION_JS_CHECK as HIGH.
const CANARY_SOURCE = `import { BrowserWindow } from 'electron';
export const window = new BrowserWindow({ webPreferences: { contextIsolation: false, preload: 'preload.js' } });
`;

/** Scans `input` in a child process (the tool keeps global state and leaves handles open). */
function scan(runner: string, input: string, electronVersion: string, scratch: string, name: string): Promise<ToolReport> {
  const report = path.join(scratch, `${name}.json`);
  return new Promise((resolve, reject) => {
    // execArgv carries tsx's loader, so the child can run this TypeScript file too.
    const child = spawn(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), '--worker', runner, input, report, electronVersion], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code !== 0 || !fs.existsSync(report)) {
        reject(new Error(`electronegativity failed on ${input} (exit ${code}):\n${output}`));
        return;
      }
      resolve(JSON.parse(fs.readFileSync(report, 'utf8')) as ToolReport);
    });
  });
}

type RunOptions = Record<string, unknown>;
type Runner = (options: RunOptions, forCli: boolean) => Promise<ToolReport>;

/** Child process: the options the CLI itself passes for `-i <input> -r -v false -e <version>`. */
async function worker([runner, input, report, electronVersion]: readonly string[]): Promise<void> {
  if (!runner || !input || !report || !electronVersion) throw new Error('usage: --worker <runner> <input> <report> <electron version>');
  const run = createRequire(import.meta.url)(runner) as Runner;
  const result = await run(
    {
      input,
      output: undefined,
      isSarif: false,
      customScan: [],
      excludeFromScan: [],
      severitySet: undefined,
      confidenceSet: undefined,
      isRelative: true,
      isVerbose: false,
      electronUpgrade: undefined,
      electronVersionOverride: electronVersion,
      parserPlugins: [],
    },
    false,
  );
  const data = { issues: result.issues, errors: result.errors };
  // Severity objects carry chalk formatters; only their names matter here.
  fs.writeFileSync(report, JSON.stringify(data, (key, value: unknown) => (key === 'format' ? undefined : value)));
}

/** The tool's runner module, installed on first use into .tools/electronegativity. */
function ensureTool(root: string): string {
  const prefix = path.join(root, '.tools', 'electronegativity');
  const packageDir = path.join(prefix, 'node_modules', '@doyensec', 'electronegativity');
  const runner = path.join(packageDir, 'dist', 'runner.js');
  const isInstalled =
    fs.existsSync(runner) &&
    (JSON.parse(fs.readFileSync(path.join(packageDir, 'package.json'), 'utf8')) as { version?: string }).version === ELECTRONEGATIVITY_VERSION;
  if (isInstalled) return runner;
  process.stdout.write(`Installing Electronegativity ${ELECTRONEGATIVITY_VERSION} into .tools/electronegativity…\n`);
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const result = spawnSync(npm, ['install', '--prefix', prefix, '--no-audit', '--no-fund', '--save-exact', `@doyensec/electronegativity@${ELECTRONEGATIVITY_VERSION}`], {
    stdio: 'inherit',
    shell: process.platform === 'win32', // npm.cmd runs only through a shell
  });
  if (result.status !== 0 || !fs.existsSync(runner)) throw new Error('could not install Electronegativity');
  return runner;
}

async function main(): Promise<void> {
  const started = Date.now();
  const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
  const runner = ensureTool(root);
  const electronVersion = (createRequire(path.join(root, 'package.json'))('electron/package.json') as { version: string }).version;
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'nova-security-scan-'));
  try {
    const canaryDir = path.join(scratch, 'canary');
    fs.mkdirSync(canaryDir);
    fs.writeFileSync(path.join(canaryDir, 'insecure.ts'), CANARY_SOURCE);

    const targets = [{ name: 'src', input: path.join(root, 'src') }];
    if (fs.existsSync(path.join(root, 'out'))) targets.push({ name: 'out', input: path.join(root, 'out') });
    else process.stdout.write('note: out/ is missing (run npm run build first); scanning the sources only\n');

    const [canaryReport, ...reports] = await Promise.all([
      scan(runner, canaryDir, electronVersion, scratch, 'canary'),
      ...targets.map((target) => scan(runner, target.input, electronVersion, scratch, target.name)),
    ]);
    const canary = toFindings(canaryReport?.issues ?? [], 'canary');
    if (!canary.some((finding) => finding.id === 'CONTEXT_ISOLATION_JS_CHECK' && finding.severity === 'HIGH')) {
      throw new Error('Electronegativity did not flag a window with contextIsolation off; its findings cannot be trusted');
    }

    const scanned = reports.map((report, index) => ({ report, name: targets[index]?.name ?? '?' }));
    // A file the tool could not parse was not checked at all.
    const unparsed = scanned.flatMap(({ report, name }) =>
      report.errors.filter((error) => !error.tolerable).map((error) => `${name}/${error.file}: ${error.message}`),
    );
    const findings = scanned.flatMap(({ report, name }) => toFindings(report.issues, name));
    const justified = justifiedChecks(fs.readFileSync(path.join(root, 'docs', 'security.md'), 'utf8'));
    const verdict = evaluateFindings(findings, justified);

    process.stdout.write(`Electronegativity ${ELECTRONEGATIVITY_VERSION} over ${targets.map((target) => `${target.name}/`).join(' and ')} (Electron ${electronVersion}):\n`);
    for (const finding of findings) {
      const note = finding.severity === 'HIGH' ? 'FAIL' : justified.has(finding.id) ? 'justified in docs/security.md' : 'FAIL: not justified in docs/security.md';
      process.stdout.write(`  ${finding.severity.padEnd(7)} ${finding.id} ${finding.file}:${finding.location} (${finding.confidence}) ${finding.description} [${note}]\n`);
    }
    for (const line of unparsed) process.stdout.write(`  UNPARSED ${line} [FAIL]\n`);
    const counts = ['HIGH', 'MEDIUM', 'LOW', 'INFORMATIONAL'].map((level) => `${findings.filter((finding) => finding.severity === level).length} ${level}`);
    process.stdout.write(`${findings.length} findings (${counts.join(', ')}) in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
    if (!verdict.passed || unparsed.length > 0) {
      process.stdout.write(`security scan FAILED: ${verdict.high.length} HIGH, ${verdict.unjustified.length} not justified, ${unparsed.length} files not parsed\n`);
      process.exitCode = 1;
    } else {
      process.stdout.write('security scan passed: no HIGH findings, every other finding justified in docs/security.md\n');
    }
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const isWorker = process.argv[2] === '--worker';
  (isWorker ? worker(process.argv.slice(3)) : main())
    .then(() => {
      // The tool leaves timers and sockets open; a worker is done once its report is written.
      if (isWorker) process.exit(0);
    })
    .catch((error: unknown) => {
      process.stderr.write(`security scan failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exit(1);
    });
}
