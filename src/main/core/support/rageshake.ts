/**
 * The client half of the rageshake submit protocol (matrix-org/rageshake, docs/api.md):
 * `POST /api/submit`, multipart/form-data with `text`, `user_agent`, `app`, `version`, `label`
 * fields, logs as gzipped `compressed-log` parts and other files as gzipped `file` parts; the
 * answer is JSON `{ report_url? }`, errors `{ error, errcode }`.
 */
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import type { GzippedFile } from './bundle-files';

export type SubmissionInput = Readonly<{
  text: string;
  userAgent: string;
  app: string;
  version: string;
  labels: readonly string[];
  /** Extra name/value pairs: rageshake writes them into the report's details. */
  fields: Readonly<Record<string, string>>;
  files: readonly GzippedFile[];
}>;

export type EncodedSubmission = Readonly<{ body: Buffer; contentType: string }>;

/** rageshake accepts `file` names made of letters, digits, `-` and `_` before a known extension. */
function attachmentName(entryName: string): string {
  const base = path.posix.basename(entryName).replace(/[^A-Za-z0-9_.-]/g, '_');
  return base.endsWith('.json') || base.endsWith('.txt') ? `${base}.gz` : `${base}.txt.gz`;
}

/**
 * Encodes the form with the platform's own multipart encoder (FormData through a Response), so
 * boundaries and quoting are the standard ones. Logs under `logs/` go as `compressed-log`, keeping
 * their names (main.log, main.1.log); everything else goes as `file`.
 */
export async function encodeSubmission(input: SubmissionInput): Promise<EncodedSubmission> {
  const form = new FormData();
  form.append('text', input.text);
  form.append('user_agent', input.userAgent);
  form.append('app', input.app);
  form.append('version', input.version);
  for (const label of input.labels) form.append('label', label);
  for (const [name, value] of Object.entries(input.fields)) form.append(name, value);
  for (const file of input.files) {
    const blob = new Blob([new Uint8Array(file.gzipped)], { type: 'application/gzip' });
    if (file.name.startsWith('logs/')) form.append('compressed-log', blob, path.posix.basename(file.name));
    else form.append('file', blob, attachmentName(file.name));
  }
  const response = new Response(form);
  const contentType = response.headers.get('content-type');
  if (contentType === null) throw new Error('the multipart encoder gave no content type');
  return { body: Buffer.from(await response.arrayBuffer()), contentType };
}

export type PostOptions = Readonly<{
  signal: AbortSignal;
  /** Given up when nothing is sent or received for this long. */
  idleTimeoutMs: number;
  onProgress: (sentBytes: number) => void;
}>;

export type PostAnswer = Readonly<{ status: number; headers: http.IncomingHttpHeaders; text: string }>;

/** The request failed before any answer: no route, refused, reset, or nothing heard in time. */
export class TransportError extends Error {
  override readonly name = 'TransportError';
  constructor(
    message: string,
    readonly kind: 'network' | 'timeout' | 'aborted',
  ) {
    super(message);
  }
}

const CHUNK_BYTES = 64 * 1024;
const MAX_ANSWER_BYTES = 64 * 1024;

/**
 * One POST with upload progress: the body is written in chunks, each counted once the socket
 * has taken it. node:http rather than fetch, because fetch reports no upload progress.
 */
export function postSubmission(url: string, submission: EncodedSubmission, options: PostOptions): Promise<PostAnswer> {
  return new Promise<PostAnswer>((resolve, reject) => {
    if (options.signal.aborted) {
      reject(new TransportError('cancelled', 'aborted'));
      return;
    }
    const target = new URL(url);
    const client = target.protocol === 'https:' ? https : http;
    let settled = false;
    const finish = (error: TransportError | null, answer?: PostAnswer): void => {
      if (settled) return;
      settled = true;
      options.signal.removeEventListener('abort', onAbort);
      if (error) reject(error);
      else if (answer) resolve(answer);
    };
    const request = client.request(target, {
      method: 'POST',
      headers: {
        'Content-Type': submission.contentType,
        'Content-Length': String(submission.body.length),
        Accept: 'application/json',
      },
    });
    const onAbort = (): void => {
      request.destroy();
      finish(new TransportError('cancelled', 'aborted'));
    };
    options.signal.addEventListener('abort', onAbort, { once: true });
    request.setTimeout(options.idleTimeoutMs, () => {
      request.destroy();
      finish(new TransportError(`no progress for ${Math.round(options.idleTimeoutMs / 1000)} s`, 'timeout'));
    });
    request.on('error', (error: NodeJS.ErrnoException) => finish(new TransportError(error.code ?? error.message, 'network')));
    request.on('response', (response) => {
      const chunks: Buffer[] = [];
      let size = 0;
      response.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size <= MAX_ANSWER_BYTES) chunks.push(chunk);
      });
      response.on('error', (error: NodeJS.ErrnoException) => finish(new TransportError(error.code ?? error.message, 'network')));
      response.on('end', () =>
        finish(null, { status: response.statusCode ?? 0, headers: response.headers, text: Buffer.concat(chunks).toString('utf8') }),
      );
    });

    let offset = 0;
    const writeMore = (): void => {
      while (offset < submission.body.length && !settled) {
        const end = Math.min(offset + CHUNK_BYTES, submission.body.length);
        const chunk = submission.body.subarray(offset, end);
        offset = end;
        const canContinue = request.write(chunk, () => options.onProgress(end));
        if (!canContinue) {
          request.once('drain', writeMore);
          return;
        }
      }
      if (offset >= submission.body.length) request.end();
    };
    writeMore();
  });
}

/** `{ report_url }` when the server gave one; rageshake leaves it out when it files no issue. */
export function readReportUrl(text: string): string | null {
  try {
    const body = JSON.parse(text) as { report_url?: unknown };
    return typeof body.report_url === 'string' && body.report_url.length > 0 ? body.report_url : null;
  } catch {
    return null;
  }
}

/** rageshake's `{ error, errcode }`, or the start of whatever else the server said. */
export function readServerError(text: string): string {
  try {
    const body = JSON.parse(text) as { error?: unknown; errcode?: unknown };
    if (typeof body.error === 'string') return typeof body.errcode === 'string' ? `${body.error} (${body.errcode})` : body.error;
  } catch {
    // not JSON: fall through to the raw text
  }
  return text.slice(0, 200).trim();
}
