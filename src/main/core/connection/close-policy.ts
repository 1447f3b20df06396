/**
 * The close-code policy: what a lost link or a failed attempt leads to, decided from how it
 * ended alone (close code, what the server said on the socket, an HTTP refusal of the upgrade,
 * whether it had connected). Pure: the connection service applies the decision (state, backoff,
 * notices), this file only names it, so every row can be tested as a table.
 */
import { CloseCode } from '../../../shared/protocol';
import type { ReconnectReason, SocketErrorType } from '../metrics';

/** How a socket ended, as far as the link knows it. */
export type CloseCause = Readonly<{
  code: number;
  /** The close reason the peer sent, or ours when we ended it. */
  reason: string;
  /** Why we dropped the link ourselves, when the close code does not say it (a long sleep). */
  dropReason?: ReconnectReason;
  /** A failure the close code does not say (the attempt timed out). */
  errorType?: SocketErrorType;
  /** The last `error` frame on the socket (4029 carries the wait, 4001 whether it was a revocation). */
  errorFrame?: Readonly<{ code: string; retryAfterMs: number | null }> | null;
  /** A planned restart the server announced on the socket (`reconnect` frame, protocol §4.5). */
  restartHint?: Readonly<{ retryAfterMs: number; spreadMs: number }> | null;
  /** The system error code of a dial that failed before it opened (ECONNREFUSED, ECONNRESET, …). */
  dialError?: string | null;
}>;

/** The server answered the upgrade with an HTTP status instead of 101. */
export type Refusal = Readonly<{ status: number; retryAfterMs: number | null }>;

export type NextStep =
  /** 401 or 4001: refresh the token and dial again (once at once, then with backoff). */
  | Readonly<{ kind: 'refresh'; revoked: boolean; countsAsFailure: boolean }>
  /** 4426 or 426: no dial until the user updates. */
  | Readonly<{ kind: 'update_required' }>
  /** 4000: the server rejected our protocol; dialing again would not help. */
  | Readonly<{ kind: 'protocol_rejected' }>
  /** The server announced this restart: come back when it said, counted as no failure. */
  | Readonly<{ kind: 'restart'; retryAfterMs: number; spreadMs: number }>
  /**
   * Anything else: back off and dial again. `retryAfterMs` is the server's named wait, if any;
   * `probeSession` asks REST whether a gateway hid a 401 behind a failed handshake (§8.1).
   */
  | Readonly<{ kind: 'retry'; why: ReconnectReason; retryAfterMs: number | null; countsAsFailure: boolean; probeSession: boolean }>;

export type CloseDecision = Readonly<{
  /** The socket error to count (`ws_errors_total`), if any; heartbeat timeouts count apart. */
  errorType: SocketErrorType | null;
  next: NextStep;
}>;

/** Dial errors that never reached a server: no gateway there to hide a 401, so no REST probe. */
const NETWORK_LEVEL_ERRORS: ReadonlySet<string> = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH', 'ETIMEDOUT']);

/** A dial that reached something and failed without an HTTP status (reset, hang-up during the upgrade). */
function mayHideAStatus(dialError: string | null | undefined): boolean {
  return dialError !== null && dialError !== undefined && !NETWORK_LEVEL_ERRORS.has(dialError);
}

/** The metrics' reason for the reconnect that a lost link or a failed attempt leads to. */
function reconnectReasonOf(cause: CloseCause, refusal: Refusal | null, wasConnected: boolean): ReconnectReason {
  if (cause.dropReason !== undefined) return cause.dropReason;
  if (cause.code === CloseCode.HEARTBEAT_TIMEOUT) return 'heartbeat_timeout';
  if (cause.code === CloseCode.RATE_LIMITED || refusal?.status === 429 || (refusal !== null && refusal.retryAfterMs !== null)) return 'rate_limited';
  if (!wasConnected) return 'connect_failed';
  if (cause.code === CloseCode.GOING_AWAY || cause.code === CloseCode.SERVICE_RESTART) return 'server_shutdown';
  return 'connection_lost';
}

/** The socket error a lost link or failed attempt counts, if any. */
function socketErrorTypeOf(cause: CloseCause, wasRefused: boolean, wasConnected: boolean): SocketErrorType | null {
  if (cause.errorType !== undefined) return cause.errorType;
  if (wasRefused || !wasConnected) return 'handshake';
  if (cause.code === CloseCode.BAD_REQUEST) return 'protocol';
  if (cause.code === CloseCode.ABNORMAL) return 'connection_lost';
  return null;
}

function nextStepOf(cause: CloseCause, refusal: Refusal | null, wasConnected: boolean, errorType: SocketErrorType | null): NextStep {
  if (refusal?.status === 401 || cause.code === CloseCode.UNAUTHORIZED) {
    const revoked = cause.errorFrame?.code === 'TOKEN_REVOKED' || cause.reason === 'token_revoked';
    return { kind: 'refresh', revoked, countsAsFailure: !wasConnected };
  }
  if (cause.code === CloseCode.UNSUPPORTED_VERSION || refusal?.status === 426) return { kind: 'update_required' };
  if (cause.code === CloseCode.BAD_REQUEST) return { kind: 'protocol_rejected' };
  if (cause.restartHint) return { kind: 'restart', ...cause.restartHint };
  let retryAfterMs: number | null = null;
  if (cause.code === CloseCode.RATE_LIMITED) retryAfterMs = cause.errorFrame?.retryAfterMs ?? null;
  if (refusal !== null) retryAfterMs = refusal.retryAfterMs;
  return {
    kind: 'retry',
    why: reconnectReasonOf(cause, refusal, wasConnected),
    retryAfterMs,
    // A server that names a wait is alive and admitting: that is no reason to give up.
    countsAsFailure: !wasConnected && retryAfterMs === null,
    probeSession: !wasConnected && refusal === null && errorType === 'handshake' && mayHideAStatus(cause.dialError),
  };
}

/** What a socket's end leads to. */
export function closePolicy(cause: CloseCause, refusal: Refusal | null, wasConnected: boolean): CloseDecision {
  const errorType = socketErrorTypeOf(cause, refusal !== null, wasConnected);
  return { errorType, next: nextStepOf(cause, refusal, wasConnected, errorType) };
}
