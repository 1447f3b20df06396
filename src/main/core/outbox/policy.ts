/**
 * Pure delivery rules: how long to wait before a retry, and what an answer from the server
 * means for a queued message. No I/O, no clocks: the engine passes time and randomness in.
 */
import type { ErrorCode } from '../../../shared/errors';
import type { HttpRetryReason } from '../metrics';

export type RetryTiming = Readonly<{ retryBaseMs: number; retryCapMs: number }>;

/** Exponential backoff with full jitter (1 s, ×2, capped): retries from many clients spread out. */
export function backoffDelay(attempt: number, timing: RetryTiming, random: () => number): number {
  const ceiling = Math.min(timing.retryCapMs, timing.retryBaseMs * 2 ** Math.min(attempt, 30));
  return Math.floor(random() * ceiling);
}

/** The server's wait wins when it is longer: retrying earlier would only be refused again. */
export function retryDelay(
  attempt: number,
  timing: RetryTiming,
  random: () => number,
  retryAfterMs: number | null,
): number {
  const jittered = backoffDelay(attempt, timing, random);
  return retryAfterMs === null ? jittered : Math.max(retryAfterMs, jittered);
}

export type Verdict =
  /** Try again later with the same key. */
  | Readonly<{ kind: 'retry'; code: ErrorCode; retryAfterMs: number | null }>
  /** The server refused this message for good; it waits for the user (retry or discard). */
  | Readonly<{ kind: 'fail'; code: ErrorCode }>
  /** The credentials are no longer good: stop sending until the user is signed in again. */
  | Readonly<{ kind: 'auth'; code: ErrorCode }>
  /** Pipelined sends arrived out of order: renumber from what the server expects, at once. */
  | Readonly<{ kind: 'reorder'; expectedClientSeq: number | null }>
  /** The user withdrew this key (protocol §3.8): the message is gone, as they asked. */
  | Readonly<{ kind: 'withdrawn' }>;

export function parseRetryAfter(value: string | undefined, now: number): number | null {
  if (value === undefined) return null;
  const trimmed = value.trim();
  // A number is a delay in seconds; a negative one is malformed (Date.parse would read '-5' as a year).
  if (/^[+-]?\d+(\.\d+)?$/.test(trimmed)) {
    const seconds = Number(trimmed);
    return seconds >= 0 ? Math.round(seconds * 1000) : null;
  }
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? null : Math.max(0, date - now);
}

/** Why a REST send is retried, as `http_retries_total` names it: the runbooks tell these apart. */
export function httpRetryReason(code: ErrorCode): HttpRetryReason {
  if (code === 'NETWORK_ERROR') return 'network';
  if (code === 'TIMEOUT') return 'timeout';
  if (code === 'RATE_LIMITED') return 'rate_limited';
  return 'server_error';
}

/** REST answers (legacy Nova, and the REST fallback). */
export function classifyStatus(status: number, retryAfterMs: number | null): Verdict {
  if (status === 401) return { kind: 'auth', code: 'UNAUTHORIZED' };
  if (status === 410) return { kind: 'withdrawn' };
  if (status === 408) return { kind: 'retry', code: 'TIMEOUT', retryAfterMs };
  if (status === 429) return { kind: 'retry', code: 'RATE_LIMITED', retryAfterMs };
  if (status === 503 || status === 504) return { kind: 'retry', code: 'SERVICE_UNAVAILABLE', retryAfterMs };
  if (status >= 500) return { kind: 'retry', code: 'SERVER_ERROR', retryAfterMs };
  if (status === 413) return { kind: 'fail', code: 'MESSAGE_TOO_LARGE' };
  if (status === 403) return { kind: 'fail', code: 'FORBIDDEN' };
  if (status === 404) return { kind: 'fail', code: 'NOT_FOUND' };
  if (status === 409) return { kind: 'fail', code: 'CONFLICT' };
  return { kind: 'fail', code: 'BAD_REQUEST' };
}

const NACK_CODES: Readonly<Record<string, ErrorCode>> = {
  INVALID_INPUT: 'BAD_REQUEST',
  UNAUTHORIZED: 'UNAUTHORIZED',
  TOKEN_EXPIRED: 'TOKEN_EXPIRED',
  TOKEN_REVOKED: 'TOKEN_REVOKED',
  FORBIDDEN: 'FORBIDDEN',
  NOT_MEMBER: 'FORBIDDEN',
  NOT_FOUND: 'NOT_FOUND',
  CONFLICT: 'CONFLICT',
  PAYLOAD_TOO_LARGE: 'MESSAGE_TOO_LARGE',
  RATE_LIMITED: 'RATE_LIMITED',
  INTERNAL_ERROR: 'SERVER_ERROR',
  SERVICE_UNAVAILABLE: 'SERVICE_UNAVAILABLE',
};

/** WebSocket `nack` frames. The server's `retryable` flag decides for codes we do not know. */
export function classifyNack(
  code: string,
  retryable: boolean,
  retryAfterMs: number | null,
  expectedClientSeq: number | null,
): Verdict {
  if (code === 'OUT_OF_ORDER') return { kind: 'reorder', expectedClientSeq };
  if (code === 'MESSAGE_DELETED') return { kind: 'withdrawn' };
  const mapped = NACK_CODES[code] ?? (retryable ? 'SERVER_ERROR' : 'MESSAGE_REJECTED');
  if (code === 'UNAUTHORIZED' || code === 'TOKEN_EXPIRED' || code === 'TOKEN_REVOKED') {
    return { kind: 'auth', code: mapped };
  }
  return retryable ? { kind: 'retry', code: mapped, retryAfterMs } : { kind: 'fail', code: mapped };
}

/** The retry budget counts from the first attempt: time a message waited offline before it is free. */
export function isBudgetSpent(firstAttemptAt: number | null, now: number, budgetMs: number): boolean {
  return firstAttemptAt !== null && now - firstAttemptAt >= budgetMs;
}
