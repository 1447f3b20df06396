/** Refusing an upgrade with a real HTTP answer, before any WebSocket exists. */
import type { Duplex } from 'node:stream';
import type { ErrorBody, ErrorCode } from '../../src/shared/protocol';

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  503: 'Service Unavailable',
};

export function refuse(
  socket: Duplex,
  status: number,
  body: string,
  contentType: string,
  headers: Record<string, string> = {},
): void {
  const lines = [
    `HTTP/1.1 ${status} ${REASONS[status] ?? 'Error'}`,
    `Content-Type: ${contentType}`,
    `Content-Length: ${Buffer.byteLength(body)}`,
    'Connection: close',
    ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
  ];
  socket.end(`${lines.join('\r\n')}\r\n\r\n${body}`);
}

export function refuseJson(
  socket: Duplex,
  code: ErrorCode,
  status: number,
  error: string,
  retryAfterMs?: number,
  details: string | null = null,
): void {
  const body: ErrorBody = {
    error,
    details,
    code,
    ...(retryAfterMs !== undefined ? { retry_after_ms: retryAfterMs } : {}),
  };
  refuse(
    socket,
    status,
    JSON.stringify(body),
    'application/json',
    // Retry-After-Ms keeps the wait to the millisecond (an admission turn); Retry-After rounds up.
    retryAfterMs !== undefined
      ? { 'Retry-After': String(Math.max(1, Math.ceil(retryAfterMs / 1000))), 'Retry-After-Ms': String(Math.ceil(retryAfterMs)) }
      : {},
  );
}
