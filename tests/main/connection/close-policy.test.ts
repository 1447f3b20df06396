import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CloseCode } from '../../../src/shared/protocol';
import { closePolicy, type CloseCause, type CloseDecision, type Refusal } from '../../../src/main/core/connection/close-policy';
import type { ReconnectReason } from '../../../src/main/core/metrics';

type Row = Readonly<{
  name: string;
  cause: CloseCause;
  refusal?: Refusal;
  wasConnected: boolean;
  decision: CloseDecision;
}>;

const closed = (code: number, reason = ''): CloseCause => ({ code, reason });
const retry = (why: ReconnectReason, extra: Partial<{ retryAfterMs: number | null; countsAsFailure: boolean; probeSession: boolean }> = {}) => ({
  kind: 'retry' as const,
  why,
  retryAfterMs: null,
  countsAsFailure: false,
  probeSession: false,
  ...extra,
});

/** Every close code and refusal of protocol §4.4, connected or not: the error counted and the next step. */
const ROWS: Row[] = [
  // Lost links.
  { name: 'connected, 1006 (network)', cause: closed(CloseCode.ABNORMAL), wasConnected: true, decision: { errorType: 'connection_lost', next: retry('connection_lost') } },
  { name: 'connected, 1000', cause: closed(CloseCode.NORMAL), wasConnected: true, decision: { errorType: null, next: retry('connection_lost') } },
  { name: 'connected, 1001 (shutdown)', cause: closed(CloseCode.GOING_AWAY), wasConnected: true, decision: { errorType: null, next: retry('server_shutdown') } },
  { name: 'connected, 1012 without a reconnect frame', cause: closed(CloseCode.SERVICE_RESTART), wasConnected: true, decision: { errorType: null, next: retry('server_shutdown') } },
  {
    name: 'connected, 1012 after a reconnect frame',
    cause: { ...closed(CloseCode.SERVICE_RESTART), restartHint: { retryAfterMs: 5000, spreadMs: 4000 } },
    wasConnected: true,
    decision: { errorType: null, next: { kind: 'restart', retryAfterMs: 5000, spreadMs: 4000 } },
  },
  { name: 'connected, 4008 (heartbeat)', cause: closed(CloseCode.HEARTBEAT_TIMEOUT, 'heartbeat timeout'), wasConnected: true, decision: { errorType: null, next: retry('heartbeat_timeout') } },
  {
    name: 'connected, dropped after a long sleep',
    cause: { ...closed(CloseCode.NORMAL), dropReason: 'resume' },
    wasConnected: true,
    decision: { errorType: null, next: retry('resume') },
  },
  {
    name: 'connected, 4029 with the wait in the error frame',
    cause: { ...closed(CloseCode.RATE_LIMITED), errorFrame: { code: 'RATE_LIMITED', retryAfterMs: 6000 } },
    wasConnected: true,
    decision: { errorType: null, next: retry('rate_limited', { retryAfterMs: 6000 }) },
  },
  { name: 'connected, 4029 without an error frame', cause: closed(CloseCode.RATE_LIMITED), wasConnected: true, decision: { errorType: null, next: retry('rate_limited') } },
  {
    name: 'connected, 4001 token expired',
    cause: { ...closed(CloseCode.UNAUTHORIZED, 'token_expired'), errorFrame: { code: 'TOKEN_EXPIRED', retryAfterMs: null } },
    wasConnected: true,
    decision: { errorType: null, next: { kind: 'refresh', revoked: false, countsAsFailure: false } },
  },
  {
    name: 'connected, 4001 token revoked (error frame)',
    cause: { ...closed(CloseCode.UNAUTHORIZED), errorFrame: { code: 'TOKEN_REVOKED', retryAfterMs: null } },
    wasConnected: true,
    decision: { errorType: null, next: { kind: 'refresh', revoked: true, countsAsFailure: false } },
  },
  {
    name: 'connected, 4001 token revoked (close reason only)',
    cause: closed(CloseCode.UNAUTHORIZED, 'token_revoked'),
    wasConnected: true,
    decision: { errorType: null, next: { kind: 'refresh', revoked: true, countsAsFailure: false } },
  },
  { name: 'connected, 4426', cause: closed(CloseCode.UNSUPPORTED_VERSION), wasConnected: true, decision: { errorType: null, next: { kind: 'update_required' } } },
  { name: 'connected, 4000', cause: closed(CloseCode.BAD_REQUEST), wasConnected: true, decision: { errorType: 'protocol', next: { kind: 'protocol_rejected' } } },
  { name: 'connected, 4003', cause: closed(CloseCode.FORBIDDEN), wasConnected: true, decision: { errorType: null, next: retry('connection_lost') } },
  // Attempts that never connected.
  {
    name: 'attempt refused by the network (ECONNREFUSED)',
    cause: { ...closed(CloseCode.ABNORMAL), dialError: 'ECONNREFUSED' },
    wasConnected: false,
    decision: { errorType: 'handshake', next: retry('connect_failed', { countsAsFailure: true }) },
  },
  {
    name: 'attempt reset during the upgrade (a gateway may hide a 401)',
    cause: { ...closed(CloseCode.ABNORMAL), dialError: 'ECONNRESET' },
    wasConnected: false,
    decision: { errorType: 'handshake', next: retry('connect_failed', { countsAsFailure: true, probeSession: true }) },
  },
  {
    name: 'attempt timed out',
    cause: { ...closed(CloseCode.ABNORMAL, 'connect timeout'), errorType: 'timeout' },
    wasConnected: false,
    decision: { errorType: 'timeout', next: retry('connect_failed', { countsAsFailure: true }) },
  },
  {
    name: 'attempt refused 503 with Retry-After',
    cause: closed(CloseCode.ABNORMAL),
    refusal: { status: 503, retryAfterMs: 2000 },
    wasConnected: false,
    decision: { errorType: 'handshake', next: retry('rate_limited', { retryAfterMs: 2000 }) },
  },
  {
    name: 'attempt refused 503 without Retry-After',
    cause: closed(CloseCode.ABNORMAL),
    refusal: { status: 503, retryAfterMs: null },
    wasConnected: false,
    decision: { errorType: 'handshake', next: retry('connect_failed', { countsAsFailure: true }) },
  },
  {
    name: 'attempt refused 429 without Retry-After',
    cause: closed(CloseCode.ABNORMAL),
    refusal: { status: 429, retryAfterMs: null },
    wasConnected: false,
    decision: { errorType: 'handshake', next: retry('rate_limited', { countsAsFailure: true }) },
  },
  {
    name: 'attempt refused 401',
    cause: closed(CloseCode.ABNORMAL),
    refusal: { status: 401, retryAfterMs: null },
    wasConnected: false,
    decision: { errorType: 'handshake', next: { kind: 'refresh', revoked: false, countsAsFailure: true } },
  },
  {
    name: 'attempt refused 426',
    cause: closed(CloseCode.ABNORMAL),
    refusal: { status: 426, retryAfterMs: null },
    wasConnected: false,
    decision: { errorType: 'handshake', next: { kind: 'update_required' } },
  },
  {
    name: 'attempt refused 400 once the mode is known (the service switches to legacy before asking)',
    cause: closed(CloseCode.ABNORMAL),
    refusal: { status: 400, retryAfterMs: null },
    wasConnected: false,
    decision: { errorType: 'handshake', next: retry('connect_failed', { countsAsFailure: true }) },
  },
  {
    name: 'attempt closed 4426 before the handshake',
    cause: closed(CloseCode.UNSUPPORTED_VERSION),
    wasConnected: false,
    decision: { errorType: 'handshake', next: { kind: 'update_required' } },
  },
];

describe('closePolicy', () => {
  it.each(ROWS)('$name', ({ cause, refusal, wasConnected, decision }) => {
    expect(closePolicy(cause, refusal ?? null, wasConnected)).toEqual(decision);
  });

  it('never counts a failure for a link that had connected, nor for a server that named its wait', () => {
    const codes = fc.constantFrom(...Object.values(CloseCode));
    const refusals = fc.option(fc.record({ status: fc.constantFrom(400, 401, 403, 426, 429, 500, 503), retryAfterMs: fc.option(fc.nat()) }));
    fc.assert(
      fc.property(codes, refusals, fc.boolean(), (code, refusal, wasConnected) => {
        const { next } = closePolicy(closed(code), refusal, wasConnected);
        if (next.kind !== 'retry' && next.kind !== 'refresh') return true;
        if (wasConnected) return !next.countsAsFailure;
        return next.kind === 'refresh' || (next.retryAfterMs !== null) === !next.countsAsFailure;
      }),
    );
  });
});
