/** Reading requests: bounded bodies of the media types a route accepts, JSON against a schema, query and path parameters. */
import type { IncomingMessage } from 'node:http';
import type { z } from 'zod';
import type { ServerContext } from '../core';
import { HttpError } from './respond';

/**
 * What a route takes as its body: the media types it accepts (without parameters) and a size
 * bound. Each route declares its own, so a route may take another type than JSON (a multipart
 * upload, say) with its own bound, and every route's body is bounded.
 */
export type BodyPolicy = Readonly<{ accept: ReadonlyArray<string>; maxBytes: number }>;

/** Auth bodies are a few short strings. */
export const AUTH_BODY_MAX_BYTES = 16 * 1024;

export function jsonBody(maxBytes: number): BodyPolicy {
  return { accept: ['application/json'], maxBytes };
}

function mediaType(header: string | undefined): string | null {
  const type = header?.split(';')[0]?.trim().toLowerCase();
  return type === undefined || type === '' ? null : type;
}

/**
 * Reads a request body under `policy`: 415 when a non-empty body has another media type (so a
 * page's cross-site `text/plain` form post is refused unread), 413 past `maxBytes` (at once when
 * Content-Length says so, else as soon as the stream crosses it). No body at all reads as empty.
 */
export async function readBody(req: IncomingMessage, policy: BodyPolicy): Promise<Buffer> {
  const declared = req.headers['content-length'];
  const length = declared === undefined ? null : Number(declared);
  const chunked = req.headers['transfer-encoding'] !== undefined;
  if (!chunked && (length === null || length === 0)) return Buffer.alloc(0);
  const type = mediaType(req.headers['content-type']);
  if (type === null || !policy.accept.includes(type)) {
    throw new HttpError(
      'UNSUPPORTED_MEDIA_TYPE',
      `Content-Type must be ${policy.accept.join(' or ')}`,
      `got ${type ?? 'none'}`,
    );
  }
  const tooLarge = (): HttpError =>
    new HttpError('PAYLOAD_TOO_LARGE', 'Request body too large', `limit is ${policy.maxBytes} bytes`);
  if (length !== null && length > policy.maxBytes) throw tooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > policy.maxBytes) throw tooLarge();
    chunks.push(buf);
  }
  return Buffer.concat(chunks);
}

export async function readJson<S extends z.ZodType>(
  ctx: ServerContext,
  req: IncomingMessage,
  schema: S,
  options: { emptyAs?: unknown; maxBytes?: number } = {},
): Promise<z.infer<S>> {
  const text = (await readBody(req, jsonBody(options.maxBytes ?? ctx.opts.maxPayloadSize))).toString('utf8');
  let value: unknown;
  if (text.trim() === '' && options.emptyAs !== undefined) {
    value = options.emptyAs;
  } else {
    try {
      value = JSON.parse(text);
    } catch {
      throw new HttpError('INVALID_INPUT', 'Malformed JSON body');
    }
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const details = parsed.error.issues
      .slice(0, 5)
      .map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`)
      .join('; ');
    throw new HttpError('INVALID_INPUT', 'Invalid request body', details);
  }
  return parsed.data;
}

export function intParam(url: URL, name: string, options: { min: number; max?: number }): number | undefined {
  const raw = url.searchParams.get(name);
  if (raw === null || raw === '') return undefined;
  if (!/^\d+$/.test(raw)) throw new HttpError('INVALID_INPUT', `${name} must be a non-negative integer`);
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < options.min || (options.max !== undefined && n > options.max)) {
    throw new HttpError(
      'INVALID_INPUT',
      `${name} out of range`,
      `expected ${options.min}..${options.max ?? 'max'}`,
    );
  }
  return n;
}

/** A path segment, percent-decoded; a malformed escape is the client's error, not the server's. */
export function pathParam(raw: string | undefined): string {
  try {
    return decodeURIComponent(raw ?? '');
  } catch {
    throw new HttpError('INVALID_INPUT', 'Malformed percent-encoding in the path');
  }
}
