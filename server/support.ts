/**
 * A small stand-in for a rageshake server (matrix-org/rageshake), for tests and demos only:
 * `POST /api/submit` takes the multipart submit protocol the desktop app speaks and stores each
 * report under the server's data folder (`<data folder>/support-reports/<date>/<time>-<id>/`,
 * next to the SQLite file); `GET /api/listing/<date>/<report>/[file]` reads one back, from
 * loopback only. Production points the app at rageshake itself, which also files issues,
 * authenticates its listing and has retention settings; this keeps none of that.
 *
 * It takes multipart/form-data bodies on purpose (the other routes speak JSON) and answers in
 * rageshake's shapes: `{ report_url }`, errors `{ error, errcode }`.
 */
import fs from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import zlib from 'node:zlib';
import type { ServerContext } from './core';

/** A report may be this many times the largest JSON request body (16 MiB at the default 1 MiB). */
const REPORT_CAP_FACTOR = 16;
/** Unpacked, a report may be 4× its upload (gzip bombs stop there), and all reports 16 uploads. */
const UNPACKED_FACTOR = 4;
const STORE_FACTOR = 16;
const SAFE_NAME = /[^A-Za-z0-9_.-]/g;
const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);

type Limits = Readonly<{ reportBytes: number; unpackedBytes: number; storeBytes: number }>;

export function supportLimits(ctx: ServerContext): Limits {
  const reportBytes = REPORT_CAP_FACTOR * ctx.opts.maxPayloadSize;
  return { reportBytes, unpackedBytes: UNPACKED_FACTOR * reportBytes, storeBytes: STORE_FACTOR * reportBytes };
}

/** `<folder of the SQLite file>/support-reports`, or null for an in-memory server. */
export function supportReportsDir(ctx: ServerContext): string | null {
  if (ctx.db.memory) return null;
  return path.join(path.dirname(path.resolve(ctx.db.name)), 'support-reports');
}

class RageshakeError extends Error {
  constructor(
    readonly status: number,
    readonly errcode: string,
    message: string,
  ) {
    super(message);
  }
}

function reply(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(text)), ...headers });
  res.end(text);
}

async function readCapped(req: IncomingMessage, cap: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > cap) throw new RageshakeError(413, 'RS_CONTENT_TOO_LARGE', `Reports are limited to ${cap} bytes`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > cap) throw new RageshakeError(413, 'RS_CONTENT_TOO_LARGE', `Reports are limited to ${cap} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function folderBytes(dir: string): number {
  let total = 0;
  for (const entry of fs.readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) total += fs.statSync(path.join(entry.parentPath, entry.name)).size;
  }
  return total;
}

type StoredFile = { name: string; field: string; bytes: number };

async function submit(ctx: ServerContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const root = supportReportsDir(ctx);
  if (root === null) throw new RageshakeError(503, 'RS_UNKNOWN', 'This server has no data folder for reports (start it with --data <file>)');
  const contentType = req.headers['content-type'] ?? '';
  if (!/^multipart\/form-data;/i.test(contentType)) throw new RageshakeError(400, 'RS_BAD_CONTENT', 'Reports are multipart/form-data');
  const limits = supportLimits(ctx);
  const body = await readCapped(req, limits.reportBytes);
  fs.mkdirSync(root, { recursive: true });
  if (folderBytes(root) + body.length > limits.storeBytes) {
    throw new RageshakeError(507, 'RS_CONTENT_TOO_LARGE', 'The report store is full');
  }
  let form: FormData;
  try {
    form = await new Request('http://reference.invalid/api/submit', { method: 'POST', headers: { 'content-type': contentType }, body: new Uint8Array(body) }).formData();
  } catch (error) {
    throw new RageshakeError(400, 'RS_BAD_CONTENT', `Could not parse the form: ${error instanceof Error ? error.message : String(error)}`);
  }

  const details: Record<string, unknown> = {};
  const labels: string[] = [];
  const data: Record<string, string> = {};
  const pending: Array<{ name: string; field: string; content: Buffer }> = [];
  let unpacked = 0;
  for (const [field, value] of form.entries()) {
    if (typeof value === 'string') {
      if (field === 'label') labels.push(value);
      else if (['text', 'user_agent', 'app', 'version'].includes(field)) details[field] = value;
      else data[field] = value;
      continue;
    }
    if (field !== 'log' && field !== 'compressed-log' && field !== 'file') {
      throw new RageshakeError(400, 'RS_BAD_CONTENT', `Unexpected file field "${field}"`);
    }
    const raw = Buffer.from(await value.arrayBuffer());
    let name = (value.name || `${field}.txt`).replace(SAFE_NAME, '_');
    let content = raw;
    if (field === 'compressed-log' || name.endsWith('.gz')) {
      try {
        content = zlib.gunzipSync(raw, { maxOutputLength: Math.max(1, limits.unpackedBytes - unpacked) });
      } catch (error) {
        const tooBig = (error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE';
        throw tooBig
          ? new RageshakeError(413, 'RS_CONTENT_TOO_LARGE', `Unpacked reports are limited to ${limits.unpackedBytes} bytes`)
          : new RageshakeError(400, 'RS_BAD_CONTENT', `${name} is not valid gzip`);
      }
      name = name.replace(/\.gz$/, '');
    }
    unpacked += content.length;
    if (unpacked > limits.unpackedBytes) {
      throw new RageshakeError(413, 'RS_CONTENT_TOO_LARGE', `Unpacked reports are limited to ${limits.unpackedBytes} bytes`);
    }
    while (pending.some((file) => file.name === name) || name === 'details.json') name = `_${name}`;
    pending.push({ name, field, content });
  }

  const now = new Date(ctx.clock());
  const day = now.toISOString().slice(0, 10);
  const id = `${now.toISOString().slice(11, 19).replace(/:/g, '')}-${randomBytes(4).toString('hex')}`;
  const dir = path.join(root, day, id);
  fs.mkdirSync(dir, { recursive: true });
  const files: StoredFile[] = [];
  for (const file of pending) {
    fs.writeFileSync(path.join(dir, file.name), file.content);
    files.push({ name: file.name, field: file.field, bytes: file.content.length });
  }
  const record = { received_at: now.toISOString(), ...details, labels, data, files };
  fs.writeFileSync(path.join(dir, 'details.json'), `${JSON.stringify(record, null, 2)}\n`);
  ctx.log.info('support: report stored', { report: `${day}/${id}`, files: files.length, bytes: body.length });
  const host = req.headers.host ?? 'localhost';
  reply(res, 200, { report_url: `http://${host}/api/listing/${day}/${id}/` });
}

function listing(ctx: ServerContext, req: IncomingMessage, res: ServerResponse, rest: string): void {
  if (!LOOPBACK.has(req.socket.remoteAddress ?? '')) throw new RageshakeError(403, 'RS_UNKNOWN', 'Loopback only');
  const root = supportReportsDir(ctx);
  const match = /^(\d{4}-\d{2}-\d{2})\/(\d{6}-[0-9a-f]{8})(?:\/([A-Za-z0-9_.-]+))?$/.exec(rest);
  if (root === null || !match) throw new RageshakeError(404, 'RS_UNKNOWN', 'No such report');
  const [, day = '', id = '', file = ''] = match;
  const dir = path.join(root, day, id);
  if (!fs.existsSync(dir)) throw new RageshakeError(404, 'RS_UNKNOWN', 'No such report');
  if (file === '') {
    const details = JSON.parse(fs.readFileSync(path.join(dir, 'details.json'), 'utf8')) as unknown;
    reply(res, 200, { report: `${day}/${id}`, details });
    return;
  }
  const target = path.join(dir, file);
  if (file.startsWith('.') || !fs.existsSync(target)) throw new RageshakeError(404, 'RS_UNKNOWN', 'No such file');
  const content = fs.readFileSync(target);
  res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': String(content.length) });
  res.end(content);
}

/** `/api/submit` and `/api/listing/…`; answers every request it is given. */
export async function handleSupportReports(
  ctx: ServerContext,
  req: IncomingMessage,
  res: ServerResponse,
  route: string,
  method: string,
): Promise<void> {
  try {
    if (route === '/api/submit') {
      if (method !== 'POST') throw new RageshakeError(405, 'RS_METHOD_NOT_ALLOWED', 'Use POST');
      await submit(ctx, req, res);
      return;
    }
    if (method !== 'GET') throw new RageshakeError(405, 'RS_METHOD_NOT_ALLOWED', 'Use GET');
    listing(ctx, req, res, route.slice('/api/listing/'.length));
  } catch (error) {
    if (error instanceof RageshakeError) {
      reply(res, error.status, { error: error.message, errcode: error.errcode }, error.status === 413 ? { Connection: 'close' } : {});
      return;
    }
    ctx.log.error('support: unhandled', { error: error instanceof Error ? error.message : String(error) });
    reply(res, 500, { error: 'Internal server error', errcode: 'RS_UNKNOWN' });
  }
}
