/** Writing answers: JSON bodies, plain text, and errors in the shape each mode's clients expect. */
import type { ServerResponse } from 'node:http';
import { STATUS_BY_CODE, type ErrorBody, type ErrorCode } from '../../src/shared/protocol';
import type { ServerContext } from '../core';

type Extra = Readonly<{ retry_after_ms?: number; expected_client_seq?: number; headers?: Record<string, string> }>;

/** Thrown inside a handler to answer with an error; caught once in handleHttp. */
export class HttpError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: string | null = null,
    readonly extra: Extra = {},
    readonly status: number = STATUS_BY_CODE[code],
  ) {
    super(message);
  }
}

export function send(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent) return;
  const text = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, {
    ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
    'Content-Length': String(Buffer.byteLength(text)),
    ...headers,
  });
  res.end(text);
}

export function sendText(res: ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
  if (res.headersSent) return;
  res.writeHead(status, {
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': String(Buffer.byteLength(text)),
    ...headers,
  });
  res.end(text);
}

/** Nova's messaging-service answers errors in plain text (§2.3). */
function legacyText(status: number, message: string): string {
  switch (status) {
    case 400:
      return message;
    case 401:
      return 'unauthorized';
    case 403:
      return 'forbidden';
    case 404:
      return 'not found';
    default:
      return status >= 500 ? `server error: ${message}` : message;
  }
}

export function sendError(ctx: ServerContext, res: ServerResponse, err: HttpError, isAuthRoute: boolean): void {
  const headers = { ...(err.extra.headers ?? {}) };
  // The body may still be arriving (too large, or never read): do not keep this connection.
  if (err.status === 413 || err.status === 415) headers['Connection'] = 'close';
  if (err.extra.retry_after_ms !== undefined && headers['Retry-After'] === undefined) {
    headers['Retry-After'] = String(Math.max(1, Math.ceil(err.extra.retry_after_ms / 1000)));
  }
  if (ctx.legacy) {
    // Nova's user-service answers JSON without a code; its messaging-service plain text
    if (isAuthRoute) send(res, err.status, { error: err.message, details: err.details }, headers);
    else sendText(res, err.status, legacyText(err.status, err.message), headers);
    return;
  }
  const body: ErrorBody = {
    error: err.message,
    details: err.details,
    code: err.code,
    ...(err.extra.retry_after_ms !== undefined ? { retry_after_ms: err.extra.retry_after_ms } : {}),
    ...(err.extra.expected_client_seq !== undefined
      ? { expected_client_seq: err.extra.expected_client_seq }
      : {}),
  };
  send(res, err.status, body, headers);
}
