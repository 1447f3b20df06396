import fs from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream';
import yazl from 'yazl';
import { addCounts, type MaskCounts, type Redactor } from '../logging';
import { listLogFiles, RedactLinesStream, type ByteBudget } from './log-stream';

export const DEFAULT_LOG_CAP_BYTES = 20 * 1024 * 1024;
const REVIEW_TAIL_LINES = 40;
const REVIEW_MAX_CHARS = 12_000;

export type BundleProgress = Readonly<{ stage: string; done: number; total: number }>;

/** A file of the bundle that is not a log: produced on demand, redacted on the way in. */
export type BundlePart = Readonly<{ name: string; content: () => Promise<unknown> }>;

export type BundleInput = Readonly<{
  outPath: string;
  logsDir: string;
  bundleId: string;
  createdAt: Date;
  app: Readonly<{ name: string; version: string }> | null;
  /** A fresh redactor: its counts become the bundle's masked counts. */
  redactor: Redactor;
  parts: readonly BundlePart[];
  logCapBytes?: number;
  /** How long one part may take before the bundle says it timed out. */
  partTimeoutMs?: number;
  onProgress?: (progress: BundleProgress) => void;
}>;

export type ManifestFile = Readonly<{ name: string; sizeBytes: number }>;

export type Manifest = Readonly<{
  format: 1;
  bundleId: string;
  createdAt: string;
  app: Readonly<{ name: string; version: string }> | null;
  files: ManifestFile[];
  /** Items masked, by kind: when the log line was written plus while building this bundle. */
  masked: MaskCounts;
  logs: Readonly<{
    capBytes: number;
    includedBytes: number;
    sourceBytes: number;
    /** Older lines or files left out because of the cap. */
    truncated: boolean;
    omittedFiles: string[];
  }>;
}>;

export type BundleResult = Readonly<{
  path: string;
  bundleId: string;
  sizeBytes: number;
  manifest: Manifest;
  /** Every entry of the zip, manifest.json included. */
  files: ManifestFile[];
  /** What the user reads before sharing: the manifest in words plus the newest log lines. */
  reviewText: string;
}>;

function withTimeout<T>(promise: Promise<T>, ms: number, name: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${name} did not answer within ${ms} ms`)), ms);
    timer.unref();
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Text stays text; anything else becomes pretty JSON. Both are redacted. */
async function renderPart(part: BundlePart, redactor: Redactor, timeoutMs: number): Promise<[string, Buffer]> {
  let content: unknown;
  try {
    content = await withTimeout(part.content(), timeoutMs, part.name);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    content = { unavailable: true, reason };
  }
  if (typeof content === 'string') {
    const name = path.extname(part.name) ? part.name : `${part.name}.txt`;
    return [name, Buffer.from(redactor.text(content).replace(/\n?$/, '\n'))];
  }
  const name = path.extname(part.name) ? part.name : `${part.name}.json`;
  return [name, Buffer.from(`${JSON.stringify(redactor.value(content), null, 2)}\n`)];
}

function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

function describeReview(manifest: Manifest, small: ReadonlyArray<[string, Buffer]>, tail: readonly string[], newestLog: string | null): string {
  const masked = Object.entries(manifest.masked)
    .map(([kind, count]) => `  ${kind.replace(/_/g, ' ')}: ${count}`)
    .join('\n');
  const sections = [
    `Nova diagnostics bundle ${manifest.bundleId}, made ${manifest.createdAt}`,
    `Files:\n${manifest.files.map((f) => `  ${f.name} (${formatBytes(f.sizeBytes)})`).join('\n')}`,
    `Masked before anything was written:\n${masked || '  nothing'}`,
    manifest.logs.truncated
      ? `Logs were capped at ${formatBytes(manifest.logs.capBytes)}: older lines were left out.`
      : '',
    ...small.map(([name, buffer]) => `--- ${name} ---\n${buffer.toString('utf8').slice(0, 1_500).trimEnd()}`),
    newestLog ? `--- last ${tail.length} lines of ${newestLog} ---\n${tail.join('\n')}` : '--- no log files ---',
  ];
  const text = sections.filter(Boolean).join('\n\n');
  return text.length > REVIEW_MAX_CHARS ? `${text.slice(0, REVIEW_MAX_CHARS)}\n…` : text;
}

/**
 * Writes one zip: logs newest first under a byte cap, streamed through redaction (never read
 * whole), then the other parts, then manifest.json describing them all.
 */
export async function buildBundle(input: BundleInput): Promise<BundleResult> {
  const cap = input.logCapBytes ?? DEFAULT_LOG_CAP_BYTES;
  const partTimeoutMs = input.partTimeoutMs ?? 5_000;
  const logs = await listLogFiles(input.logsDir);
  const total = logs.length + input.parts.length + 1;
  let done = 0;
  const progress = (stage: string): void => input.onProgress?.({ stage, done, total });
  progress('logs');

  await fs.promises.mkdir(path.dirname(input.outPath), { recursive: true });
  const zip = new yazl.ZipFile();
  const output = fs.createWriteStream(input.outPath);
  const written = new Promise<void>((resolve, reject) => {
    pipeline(zip.outputStream, output, (error) => (error ? reject(error) : resolve()));
  });
  const failed = new Promise<never>((_resolve, reject) => zip.on('error', reject));
  written.catch(() => undefined);
  failed.catch(() => undefined);

  const budget: ByteBudget = { remaining: cap };
  const alreadyMasked: MaskCounts = {};
  const tail = { lines: [] as string[], max: REVIEW_TAIL_LINES };
  const files: ManifestFile[] = [];
  const omittedFiles: string[] = [];
  let sourceRemaining = cap;
  let truncated = false;
  let sourceBytes = 0;
  const logEntries: Array<Promise<void>> = [];

  for (const [index, log] of logs.entries()) {
    sourceBytes += log.sizeBytes;
    if (sourceRemaining <= 0) {
      omittedFiles.push(log.name);
      truncated = true;
      continue;
    }
    // The newest lines of a file are at its end: when it does not fit, take its tail.
    const start = Math.max(0, log.sizeBytes - sourceRemaining);
    if (start > 0) truncated = true;
    sourceRemaining -= log.sizeBytes - start;
    const entryName = `logs/${log.name}`;
    const redact = new RedactLinesStream({
      redactor: input.redactor,
      budget,
      skipFirstLine: start > 0,
      alreadyMasked,
      ...(index === 0 ? { tail } : {}),
    });
    logEntries.push(
      new Promise<void>((resolve, reject) => {
        redact.on('end', () => {
          files.push({ name: entryName, sizeBytes: redact.bytesOut });
          done += 1;
          progress('logs');
          resolve();
        });
        redact.on('error', reject);
      }),
    );
    zip.addReadStreamLazy(entryName, { mtime: new Date(log.mtimeMs) }, (callback) => {
      // Rotation may move or remove a file while the bundle is built: say so in the entry
      // rather than failing the whole bundle.
      const source = fs.createReadStream(log.path, { start, end: Math.max(start, log.sizeBytes - 1) });
      source.on('error', (error: NodeJS.ErrnoException) => {
        redact.end(Buffer.from(`\n[this log file could not be read: ${error.code ?? 'error'}]\n`));
      });
      source.pipe(redact);
      callback(null, redact);
    });
  }
  await Promise.race([Promise.all(logEntries), failed]);
  if (budget.remaining <= 0) truncated = true;

  progress('parts');
  const small: Array<[string, Buffer]> = [];
  for (const part of input.parts) {
    const [name, buffer] = await renderPart(part, input.redactor, partTimeoutMs);
    zip.addBuffer(buffer, name, { mtime: input.createdAt });
    files.push({ name, sizeBytes: buffer.length });
    small.push([name, buffer]);
    done += 1;
    progress('parts');
  }

  const manifest: Manifest = {
    format: 1,
    bundleId: input.bundleId,
    createdAt: input.createdAt.toISOString(),
    app: input.app,
    files,
    masked: addCounts(addCounts({}, alreadyMasked), input.redactor.counts()),
    logs: { capBytes: cap, includedBytes: cap - budget.remaining, sourceBytes, truncated, omittedFiles },
  };
  const manifestBuffer = Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`);
  zip.addBuffer(manifestBuffer, 'manifest.json', { mtime: input.createdAt });
  zip.end();
  await Promise.race([written, failed]);
  done += 1;
  progress('done');

  const sizeBytes = (await fs.promises.stat(input.outPath)).size;
  const reviewParts = small.filter(([name]) => /^(versions|settings|notifications|outbox-summary)\./.test(name));
  const reviewText = describeReview(manifest, reviewParts, tail.lines, logs[0] ? `logs/${logs[0].name}` : null);
  const allFiles = [...files, { name: 'manifest.json', sizeBytes: manifestBuffer.length }];
  return { path: input.outPath, bundleId: input.bundleId, sizeBytes, manifest, files: allFiles, reviewText };
}
