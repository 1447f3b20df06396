import { ErrorBodySchema } from '../../../shared/protocol';
import { AppError, classifyHttpStatus, type ErrorCode } from '../../../shared/errors';
import type { LinkResponse } from '../link';

/** What a server said when it refused: the code our taxonomy knows, its text, and its wait. */
export type ServerRefusal = Readonly<{
  status: number;
  code: ErrorCode;
  /** The server's own code (nova-compat), e.g. TOKEN_REVOKED; null for plain-text bodies. */
  serverCode: string | null;
  message: string;
  retryAfterMs: number | undefined;
}>;

/** One HTTP exchange with a deadline. Network failures and timeouts become AppErrors. */
export async function httpExchange(
  url: string,
  init: Readonly<{
    method: string;
    headers?: Readonly<Record<string, string>>;
    body?: unknown;
    timeoutMs: number;
  }>,
): Promise<LinkResponse> {
  const headers: Record<string, string> = { Accept: 'application/json', ...init.headers };
  let body: string | undefined;
  if (init.body !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(init.body);
  }
  let response: Response;
  try {
    response = await fetch(url, {
      method: init.method,
      headers,
      ...(body !== undefined ? { body } : {}),
      signal: AbortSignal.timeout(init.timeoutMs),
    });
  } catch (error) {
    if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) {
      throw new AppError('TIMEOUT');
    }
    throw new AppError('NETWORK_ERROR');
  }
  let text: string;
  try {
    text = await response.text();
  } catch {
    throw new AppError('NETWORK_ERROR');
  }
  const outHeaders: Record<string, string> = {};
  response.headers.forEach((value, key) => {
    outHeaders[key] = value;
  });
  return { status: response.status, headers: outHeaders, body: parseBody(text) };
}

function parseBody(text: string): unknown {
  if (text === '') return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    // Real Nova answers errors in plain text (reference §7.7).
    return text;
  }
}

/** Retry-After is seconds (or an HTTP date) by RFC 9110; our server also sends retry_after_ms. */
export function retryAfterMsFrom(headers: Readonly<Record<string, string>>, body: unknown, now: number): number | undefined {
  if (typeof body === 'object' && body !== null && 'retry_after_ms' in body) {
    const value = (body as { retry_after_ms: unknown }).retry_after_ms;
    if (typeof value === 'number' && Number.isFinite(value) && value >= 0) return value;
  }
  const header = headers['retry-after'];
  if (header === undefined) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

const SERVER_CODE_MAP: Readonly<Record<string, ErrorCode>> = {
  TOKEN_EXPIRED: 'TOKEN_EXPIRED',
  TOKEN_REVOKED: 'TOKEN_REVOKED',
  REFRESH_REUSED: 'SESSION_COMPROMISED',
  TWO_FACTOR_REUSED: 'TWO_FACTOR_REUSED',
  RATE_LIMITED: 'RATE_LIMITED',
  SERVICE_UNAVAILABLE: 'SERVICE_UNAVAILABLE',
  PAYLOAD_TOO_LARGE: 'MESSAGE_TOO_LARGE',
  UNAUTHORIZED: 'UNAUTHORIZED',
  FORBIDDEN: 'FORBIDDEN',
  NOT_MEMBER: 'FORBIDDEN',
  NOT_FOUND: 'NOT_FOUND',
  CONFLICT: 'CONFLICT',
  INVALID_INPUT: 'BAD_REQUEST',
  UNSUPPORTED_MEDIA_TYPE: 'BAD_REQUEST',
  INTERNAL_ERROR: 'SERVER_ERROR',
};

/**
 * Parse order from reference §8.2: top-level `code`, then `{error:{code,message}}`, then
 * `{error, details}`, then plain text, classified by status.
 */
export function describeRefusal(response: LinkResponse, now: number): ServerRefusal {
  const retryAfterMs = retryAfterMsFrom(response.headers, response.body, now);
  const parsed = ErrorBodySchema.safeParse(response.body);
  if (parsed.success) {
    return {
      status: response.status,
      code: SERVER_CODE_MAP[parsed.data.code] ?? classifyHttpStatus(response.status),
      serverCode: parsed.data.code,
      message: parsed.data.error,
      retryAfterMs,
    };
  }
  const body = response.body;
  let message = '';
  let serverCode: string | null = null;
  if (typeof body === 'string') message = body;
  else if (typeof body === 'object' && body !== null && 'error' in body) {
    const error = (body as { error: unknown }).error;
    if (typeof error === 'string') message = error;
    else if (typeof error === 'object' && error !== null) {
      const nested = error as { code?: unknown; message?: unknown };
      if (typeof nested.code === 'string') serverCode = nested.code;
      if (typeof nested.message === 'string') message = nested.message;
    }
  }
  return {
    status: response.status,
    code: (serverCode !== null ? SERVER_CODE_MAP[serverCode] : undefined) ?? classifyHttpStatus(response.status),
    serverCode,
    message,
    retryAfterMs,
  };
}
