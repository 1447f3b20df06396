import { describe, expect, it } from 'vitest';
import {
  backoffDelay,
  classifyNack,
  classifyStatus,
  isBudgetSpent,
  parseRetryAfter,
  retryDelay,
} from '../../../src/main/core/outbox/policy';

const timing = { retryBaseMs: 1_000, retryCapMs: 60_000 };
const fixed = (value: number) => () => value;

describe('outbox policy: backoff', () => {
  it('draws uniformly below a ceiling that doubles from the base and stops at the cap', () => {
    expect(backoffDelay(0, timing, fixed(0))).toBe(0);
    expect(backoffDelay(0, timing, fixed(0.999_999))).toBe(999);
    expect(backoffDelay(1, timing, fixed(0.5))).toBe(1_000);
    expect(backoffDelay(3, timing, fixed(0.5))).toBe(4_000);
    expect(backoffDelay(6, timing, fixed(0.999_999))).toBe(59_999);
    // a huge attempt count neither overflows nor passes the cap
    expect(backoffDelay(10_000, timing, fixed(0.999_999))).toBe(59_999);
  });

  it('the server-named wait wins when it is longer than the jittered delay, never shortened', () => {
    expect(retryDelay(0, timing, fixed(0.5), null)).toBe(500);
    expect(retryDelay(0, timing, fixed(0.5), 2_500)).toBe(2_500);
    expect(retryDelay(6, timing, fixed(0.5), 2_500)).toBe(30_000);
    expect(retryDelay(0, timing, fixed(0), 0)).toBe(0);
  });
});

describe('outbox policy: Retry-After', () => {
  const now = Date.parse('2026-12-01T12:00:00Z');
  it('reads delta-seconds (fractions too) and HTTP dates; a date in the past means now', () => {
    expect(parseRetryAfter('3', now)).toBe(3_000);
    expect(parseRetryAfter('0', now)).toBe(0);
    expect(parseRetryAfter('1.5', now)).toBe(1_500);
    expect(parseRetryAfter('Tue, 01 Dec 2026 12:00:07 GMT', now)).toBe(7_000);
    expect(parseRetryAfter('Tue, 01 Dec 2026 11:59:00 GMT', now)).toBe(0);
  });

  it('ignores a missing, negative or unreadable header', () => {
    expect(parseRetryAfter(undefined, now)).toBeNull();
    expect(parseRetryAfter('-5', now)).toBeNull();
    expect(parseRetryAfter('soon', now)).toBeNull();
  });
});

describe('outbox policy: verdicts', () => {
  it('maps REST statuses to retry, fail or auth, keeping the named wait on retries', () => {
    expect(classifyStatus(429, 3_000)).toEqual({ kind: 'retry', code: 'RATE_LIMITED', retryAfterMs: 3_000 });
    expect(classifyStatus(503, null)).toEqual({ kind: 'retry', code: 'SERVICE_UNAVAILABLE', retryAfterMs: null });
    expect(classifyStatus(504, 10)).toEqual({ kind: 'retry', code: 'SERVICE_UNAVAILABLE', retryAfterMs: 10 });
    expect(classifyStatus(408, null)).toMatchObject({ kind: 'retry', code: 'TIMEOUT' });
    expect(classifyStatus(500, null)).toMatchObject({ kind: 'retry', code: 'SERVER_ERROR' });
    expect(classifyStatus(401, null)).toEqual({ kind: 'auth', code: 'UNAUTHORIZED' });
    expect(classifyStatus(413, null)).toEqual({ kind: 'fail', code: 'MESSAGE_TOO_LARGE' });
    expect(classifyStatus(403, null)).toEqual({ kind: 'fail', code: 'FORBIDDEN' });
    expect(classifyStatus(404, null)).toEqual({ kind: 'fail', code: 'NOT_FOUND' });
    expect(classifyStatus(409, null)).toEqual({ kind: 'fail', code: 'CONFLICT' });
    expect(classifyStatus(400, null)).toEqual({ kind: 'fail', code: 'BAD_REQUEST' });
  });

  it('maps nacks by code; the retryable flag decides only for codes it does not know', () => {
    expect(classifyNack('RATE_LIMITED', true, 2_000, null)).toEqual({ kind: 'retry', code: 'RATE_LIMITED', retryAfterMs: 2_000 });
    expect(classifyNack('OUT_OF_ORDER', true, null, 7)).toEqual({ kind: 'reorder', expectedClientSeq: 7 });
    expect(classifyNack('TOKEN_EXPIRED', true, null, null)).toEqual({ kind: 'auth', code: 'TOKEN_EXPIRED' });
    expect(classifyNack('TOKEN_REVOKED', false, null, null)).toEqual({ kind: 'auth', code: 'TOKEN_REVOKED' });
    expect(classifyNack('NOT_MEMBER', false, null, null)).toEqual({ kind: 'fail', code: 'FORBIDDEN' });
    expect(classifyNack('PAYLOAD_TOO_LARGE', false, null, null)).toEqual({ kind: 'fail', code: 'MESSAGE_TOO_LARGE' });
    expect(classifyNack('SOMETHING_NEW', true, 500, null)).toEqual({ kind: 'retry', code: 'SERVER_ERROR', retryAfterMs: 500 });
    expect(classifyNack('SOMETHING_NEW', false, null, null)).toEqual({ kind: 'fail', code: 'MESSAGE_REJECTED' });
  });

  it('the retry budget runs from the first attempt; a message never tried has spent nothing', () => {
    expect(isBudgetSpent(null, 1e12, 1)).toBe(false);
    expect(isBudgetSpent(1_000, 1_999, 1_000)).toBe(false);
    expect(isBudgetSpent(1_000, 2_000, 1_000)).toBe(true);
  });
});
