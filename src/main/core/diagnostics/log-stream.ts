import fs from 'node:fs';
import path from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { Transform, type TransformCallback } from 'node:stream';
import { countPlaceholders, type MaskCounts, type Redactor } from '../logging';

export type LogFileInfo = Readonly<{ name: string; path: string; sizeBytes: number; mtimeMs: number }>;

/** A line longer than this is cut: one runaway line must not hold a whole file in memory. */
export const MAX_LINE_CHARS = 64 * 1024;

function rotationIndex(name: string): number {
  const match = /\.(\d+)\.log$/.exec(name);
  return match ? Number(match[1]) : 0;
}

/** The `.log` files in a folder, newest first (main.log before main.1.log when times tie). */
export async function listLogFiles(dir: string): Promise<LogFileInfo[]> {
  let names: string[];
  try {
    names = await fs.promises.readdir(dir);
  } catch {
    return [];
  }
  const files: LogFileInfo[] = [];
  for (const name of names.filter((n) => n.endsWith('.log'))) {
    const full = path.join(dir, name);
    const stat = await fs.promises.stat(full).catch(() => null);
    if (stat?.isFile()) files.push({ name, path: full, sizeBytes: stat.size, mtimeMs: stat.mtimeMs });
  }
  return files.sort((a, b) => b.mtimeMs - a.mtimeMs || rotationIndex(a.name) - rotationIndex(b.name));
}

/** Bytes the bundle may still take from the logs, shared by every log entry of one bundle. */
export type ByteBudget = { remaining: number };

export type RedactLinesOptions = Readonly<{
  redactor: Redactor;
  budget: ByteBudget;
  /** The stream starts mid-file: drop the partial first line. */
  skipFirstLine: boolean;
  /** Placeholders found in the input (masked when the line was written) are added here. */
  alreadyMasked: MaskCounts;
  /** Keeps the last lines written, for the review text. */
  tail?: { lines: string[]; max: number };
}>;

/**
 * Redacts a log file line by line on its way into the zip, so the bundle never holds more than
 * a chunk and a line of it in memory, and stops once the byte budget is spent.
 */
export class RedactLinesStream extends Transform {
  bytesOut = 0;
  private readonly decoder = new StringDecoder('utf8');
  private carry = '';
  private skipping: boolean;
  /** Lines of the current chunk, pushed together: one push per line costs more than redaction. */
  private pending: string[] = [];

  constructor(private readonly options: RedactLinesOptions) {
    super();
    this.skipping = options.skipFirstLine;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.acceptText(this.decoder.write(chunk));
    this.pushPending();
    callback();
  }

  override _flush(callback: TransformCallback): void {
    this.acceptText(this.decoder.end());
    if (this.carry.length > 0) this.emitLine(this.carry);
    this.carry = '';
    this.pushPending();
    callback();
  }

  private acceptText(text: string): void {
    if (this.options.budget.remaining <= 0) return;
    const lines = (this.carry + text).split('\n');
    this.carry = lines.pop() ?? '';
    for (const line of lines) this.emitLine(line);
    if (this.carry.length > MAX_LINE_CHARS) {
      this.emitLine(`${this.carry.slice(0, MAX_LINE_CHARS)} [line cut]`);
      this.carry = '';
      this.skipping = true; // the rest of the long line follows; drop it
    }
  }

  private emitLine(raw: string): void {
    if (this.skipping) {
      this.skipping = false;
      return;
    }
    const { budget } = this.options;
    if (budget.remaining <= 0) return;
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line.includes('[masked:')) countPlaceholders(line, this.options.alreadyMasked);
    const out = `${this.options.redactor.text(line)}\n`;
    const bytes = Buffer.byteLength(out);
    if (bytes > budget.remaining) {
      budget.remaining = 0;
      return;
    }
    budget.remaining -= bytes;
    this.bytesOut += bytes;
    const tail = this.options.tail;
    if (tail) {
      tail.lines.push(out.slice(0, -1));
      if (tail.lines.length > tail.max) tail.lines.shift();
    }
    this.pending.push(out);
  }

  private pushPending(): void {
    if (this.pending.length === 0) return;
    this.push(this.pending.join(''));
    this.pending = [];
  }
}
