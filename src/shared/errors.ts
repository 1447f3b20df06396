/**
 * The one error taxonomy. Every failure the user can see carries one of these codes, from the
 * IPC result envelope to the toast. Nova's web client had twelve types (reference §4.1); we keep
 * them so its texts stay familiar, and add the codes our own engine needs.
 */
export const NOVA_ERROR_CODES = [
  'NETWORK_ERROR',
  'TIMEOUT',
  'BAD_REQUEST',
  'UNAUTHORIZED',
  'FORBIDDEN',
  'NOT_FOUND',
  'CONFLICT',
  'VALIDATION_ERROR',
  'SERVER_ERROR',
  'SERVICE_UNAVAILABLE',
  'UNKNOWN_ERROR',
  'ABORT_ERROR',
] as const;

export const APP_ERROR_CODES = [
  'INVALID_REQUEST',
  'NOT_IMPLEMENTED',
  'NOT_SIGNED_IN',
  'INVALID_CREDENTIALS',
  'TWO_FACTOR_INVALID',
  'TWO_FACTOR_REUSED',
  'TOKEN_EXPIRED',
  'TOKEN_REVOKED',
  /** Signed out because the session's refresh token was used twice: someone else may hold it. */
  'SESSION_COMPROMISED',
  'RATE_LIMITED',
  'OUTBOX_FULL',
  'MESSAGE_TOO_LARGE',
  'MESSAGE_REJECTED',
  'STORAGE_FULL',
  'DB_CORRUPT',
  'OFFLINE',
  'UPDATE_REQUIRED',
  'INTERNAL',
  'MESSAGE_EXPIRED',
  'MESSAGES_HELD',
] as const;

export const ERROR_CODES = [...NOVA_ERROR_CODES, ...APP_ERROR_CODES] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export type Severity = 'info' | 'warning' | 'error' | 'critical';

export type ErrorInfo = Readonly<{
  /** Text a person can act on; never a stack trace. */
  message: string;
  retryable: boolean;
  severity: Severity;
  /** Sticky toasts stay until dismissed: the user must act, or the state persists. */
  sticky: boolean;
}>;

export const ERROR_INFO: Readonly<Record<ErrorCode, ErrorInfo>> = {
  NETWORK_ERROR: { message: 'Network connection error. Your messages are safe on this computer and will be sent when the connection returns.', retryable: true, severity: 'warning', sticky: false },
  TIMEOUT: { message: 'The server took too long to answer. Nova will try again.', retryable: true, severity: 'warning', sticky: false },
  BAD_REQUEST: { message: 'The server rejected the request as invalid.', retryable: false, severity: 'error', sticky: false },
  UNAUTHORIZED: { message: 'Authentication failed. Please sign in again.', retryable: false, severity: 'error', sticky: true },
  FORBIDDEN: { message: 'You do not have permission to do this.', retryable: false, severity: 'error', sticky: false },
  NOT_FOUND: { message: 'That conversation or message no longer exists on the server.', retryable: false, severity: 'error', sticky: false },
  CONFLICT: { message: 'This conflicts with newer data on the server. Refresh and try again.', retryable: false, severity: 'error', sticky: false },
  VALIDATION_ERROR: { message: 'Some of the input is not valid.', retryable: false, severity: 'error', sticky: false },
  SERVER_ERROR: { message: 'The server had a problem. Nova will try again.', retryable: true, severity: 'error', sticky: false },
  SERVICE_UNAVAILABLE: { message: 'The service is temporarily unavailable. Nova will keep trying.', retryable: true, severity: 'warning', sticky: false },
  UNKNOWN_ERROR: { message: 'Something unexpected happened. Try again; if it persists, send a diagnostics bundle to support.', retryable: true, severity: 'error', sticky: false },
  ABORT_ERROR: { message: 'The request was cancelled.', retryable: false, severity: 'info', sticky: false },
  INVALID_REQUEST: { message: 'The app sent an invalid request. Nothing was changed.', retryable: false, severity: 'error', sticky: false },
  NOT_IMPLEMENTED: { message: 'This feature is not available yet.', retryable: false, severity: 'info', sticky: false },
  NOT_SIGNED_IN: { message: 'Sign in to do this.', retryable: false, severity: 'warning', sticky: false },
  INVALID_CREDENTIALS: { message: 'The e-mail address or password is wrong.', retryable: false, severity: 'warning', sticky: false },
  TWO_FACTOR_INVALID: { message: 'That code is not valid. Check your authenticator app and try again.', retryable: false, severity: 'warning', sticky: false },
  TWO_FACTOR_REUSED: { message: 'That code was already used. Each code works once: wait for the next code in your authenticator app, or use another backup code.', retryable: false, severity: 'warning', sticky: false },
  TOKEN_EXPIRED: { message: 'Your session expired. Signing you in again…', retryable: true, severity: 'info', sticky: false },
  TOKEN_REVOKED: { message: 'You were signed out. Sign in again; your unsent messages are kept.', retryable: false, severity: 'critical', sticky: true },
  SESSION_COMPROMISED: { message: 'You were signed out for your safety: your sign-in was used from somewhere else. Sign in again; your unsent messages are kept. If this keeps happening, change your password.', retryable: false, severity: 'critical', sticky: true },
  RATE_LIMITED: { message: 'Too many requests. Nova will retry shortly.', retryable: true, severity: 'warning', sticky: false },
  OUTBOX_FULL: { message: 'Too many messages are waiting to be sent. Wait for the connection to return before sending more.', retryable: false, severity: 'error', sticky: false },
  MESSAGE_TOO_LARGE: { message: 'This message is too large to send. Shorten it and try again.', retryable: false, severity: 'warning', sticky: false },
  MESSAGE_REJECTED: { message: 'The server refused this message.', retryable: false, severity: 'error', sticky: false },
  STORAGE_FULL: { message: 'The disk is full, so the message could not be saved. Free some space and try again.', retryable: false, severity: 'critical', sticky: true },
  DB_CORRUPT: { message: 'The local database was damaged. It was set aside for support and a fresh one was created; history will download again.', retryable: false, severity: 'critical', sticky: true },
  OFFLINE: { message: 'You are offline. Messages are saved and will be sent when the network returns.', retryable: true, severity: 'warning', sticky: true },
  UPDATE_REQUIRED: { message: 'This version of Nova is too old for the server. Please update the app.', retryable: false, severity: 'critical', sticky: true },
  INTERNAL: { message: 'Nova hit an internal error. Send a diagnostics bundle to support if it happens again.', retryable: false, severity: 'error', sticky: false },
  MESSAGE_EXPIRED: { message: 'This message could not be sent for 24 hours, so Nova stopped trying. Resend it or delete it.', retryable: false, severity: 'error', sticky: true },
  MESSAGES_HELD: { message: 'Messages you wrote more than an hour ago are waiting. Send them now or discard them.', retryable: false, severity: 'warning', sticky: true },
};

/** What a notification lets the user do; the window shows one button per action. */
export const NOTIFICATION_ACTIONS = ['retry', 'discard', 'sign_in', 'details', 'retry_connection'] as const;
export type NotificationAction = (typeof NOTIFICATION_ACTIONS)[number];

/**
 * What a notification is about. The same code asks different things of the user: a request the
 * window made is told once, a queued message that stopped waits in the outbox for a decision.
 */
export const NOTIFICATION_CASES = ['request', 'message', 'connection', 'session', 'store'] as const;
export type NotificationCase = (typeof NOTIFICATION_CASES)[number];

export type NotificationStyle = Readonly<{
  severity: Severity;
  sticky: boolean;
  actions: readonly NotificationAction[];
}>;

type CasePolicy = Readonly<{
  actions: readonly NotificationAction[];
  /** The case is at least this serious, whatever the code's own severity. */
  minSeverity?: Severity;
  sticky?: boolean;
  /** Where one code is the exception within the case. */
  codes?: Readonly<Partial<Record<ErrorCode, Partial<NotificationStyle>>>>;
}>;

/**
 * The notification policy: a code's severity and stickiness come from ERROR_INFO, the case adds
 * its actions and may raise them, and a code may be the declared exception within a case.
 * Core and window both build notifications from this table (`src/shared/notifications.ts`).
 */
export const NOTIFICATION_POLICY: Readonly<Record<NotificationCase, CasePolicy>> = {
  request: { actions: ['details'] },
  message: {
    actions: ['retry', 'discard'],
    // The message stays in the outbox until the user retries or discards it; so does the toast.
    minSeverity: 'error',
    sticky: true,
    codes: {
      // Delayed, not stopped: Nova retries by itself once the server's wait is over.
      RATE_LIMITED: { severity: 'warning', sticky: false, actions: [] },
      // Nothing failed: the user decides whether old messages still go out (outbox panel).
      MESSAGES_HELD: { severity: 'warning', actions: ['details'] },
    },
  },
  connection: {
    actions: ['retry_connection'],
    // Retrying cannot help an outdated app.
    codes: { UPDATE_REQUIRED: { actions: [] } },
  },
  session: { actions: ['sign_in'] },
  store: { actions: ['details'] },
};

const SEVERITY_RANK: Readonly<Record<Severity, number>> = { info: 0, warning: 1, error: 2, critical: 3 };

export function notificationStyle(code: ErrorCode, notificationCase: NotificationCase): NotificationStyle {
  const info = ERROR_INFO[code];
  const policy = NOTIFICATION_POLICY[notificationCase];
  const floor = policy.minSeverity;
  const severity = floor !== undefined && SEVERITY_RANK[floor] > SEVERITY_RANK[info.severity] ? floor : info.severity;
  return {
    severity,
    sticky: policy.sticky ?? info.sticky,
    actions: policy.actions,
    ...policy.codes?.[code],
  };
}

/** The wait a rate-limit message shows is the real one, not a generic "try later". */
export function describeError(code: ErrorCode, retryAfterMs?: number): string {
  if (code === 'RATE_LIMITED' && retryAfterMs !== undefined) {
    const seconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
    return `Too many requests. Retrying in ${seconds} s.`;
  }
  return ERROR_INFO[code].message;
}

/** What a refused sign-in says when the server locked it out: when to try again, not "wait a bit". */
export function describeSignInWait(retryAfterMs: number | undefined): string {
  if (retryAfterMs === undefined) return 'Too many failed sign-in attempts. Wait a while, then try again.';
  const seconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
  const wait =
    seconds < 60
      ? `${seconds} ${seconds === 1 ? 'second' : 'seconds'}`
      : `${Math.ceil(seconds / 60)} ${Math.ceil(seconds / 60) === 1 ? 'minute' : 'minutes'}`;
  return `Too many failed sign-in attempts. Try again in ${wait}.`;
}

/** Maps an HTTP status to the taxonomy (Nova §4.1, except 408/429 which it folded into TIMEOUT). */
export function classifyHttpStatus(status: number): ErrorCode {
  if (status === 400) return 'BAD_REQUEST';
  if (status === 401) return 'UNAUTHORIZED';
  if (status === 403) return 'FORBIDDEN';
  if (status === 404) return 'NOT_FOUND';
  if (status === 408) return 'TIMEOUT';
  if (status === 409) return 'CONFLICT';
  if (status === 413) return 'MESSAGE_TOO_LARGE';
  if (status === 422) return 'VALIDATION_ERROR';
  if (status === 429) return 'RATE_LIMITED';
  if (status === 503 || status === 504) return 'SERVICE_UNAVAILABLE';
  if (status >= 500) return 'SERVER_ERROR';
  if (status >= 400) return 'BAD_REQUEST';
  return 'UNKNOWN_ERROR';
}

/** A failure that crosses a boundary as data: the code picks the text, the id ties toast to log line. */
export type AppErrorData = Readonly<{
  code: ErrorCode;
  message: string;
  id: string;
  retryAfterMs?: number;
}>;

export class AppError extends Error {
  override readonly name = 'AppError';
  constructor(
    readonly code: ErrorCode,
    message: string = ERROR_INFO[code].message,
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

/** Thrown when an invariant breaks: a bug, never a user-facing condition. */
export class BugError extends Error {
  override readonly name = 'BugError';
}

export function assertNever(value: never): never {
  throw new BugError(`Unhandled case: ${JSON.stringify(value)}`);
}
