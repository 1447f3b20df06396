/** Close codes and error codes of the wire contract, shared by REST bodies and WebSocket frames. */
import { z } from 'zod';

export const PROTOCOL_VERSION = '1.0';
export const ERROR_CODE_VERSION = '1.0';

// ---------------------------------------------------------------------------------------
// Close codes (§8.3). 1005/1006 are never sent by a server; they are what a client observes
// when real Nova closes without a code or drops the TCP connection.
// ---------------------------------------------------------------------------------------
export const CloseCode = {
  NORMAL: 1000,
  GOING_AWAY: 1001,
  /** RFC 6455 "service restart": a planned restart, usually announced by a `reconnect` frame. */
  SERVICE_RESTART: 1012,
  NO_STATUS: 1005,
  ABNORMAL: 1006,
  MESSAGE_TOO_BIG: 1009,
  BAD_REQUEST: 4000,
  UNAUTHORIZED: 4001,
  FORBIDDEN: 4003,
  HEARTBEAT_TIMEOUT: 4008,
  RATE_LIMITED: 4029,
  UNSUPPORTED_VERSION: 4426,
} as const;
export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode];

// ---------------------------------------------------------------------------------------
// Error codes shared by REST bodies, `error` frames and `nack` frames.
// ---------------------------------------------------------------------------------------
export const ERROR_CODES = [
  'INVALID_INPUT',
  'UNAUTHORIZED',
  'TOKEN_EXPIRED',
  'TOKEN_REVOKED',
  'FORBIDDEN',
  'NOT_MEMBER',
  'NOT_FOUND',
  'CONFLICT',
  'OUT_OF_ORDER',
  'PAYLOAD_TOO_LARGE',
  'RATE_LIMITED',
  'INTERNAL_ERROR',
  'SERVICE_UNAVAILABLE',
  /** Extension: a spent backup code, or a TOTP code of a step already used (401; Nova says UNAUTHORIZED). */
  'TWO_FACTOR_REUSED',
  /**
   * Extension: a spent refresh token came back, so someone else holds a copy; the whole sign-in
   * (every token of its session) is revoked (401).
   */
  'REFRESH_REUSED',
  /** A body in a media type the route does not take (415; Nova's axum answers 415 too). */
  'UNSUPPORTED_MEDIA_TYPE',
  /**
   * Extension (410): the message is deleted, or its send was withdrawn before it landed. Answers
   * an edit of such a message, and a send whose idempotency key names one (nothing is created).
   */
  'MESSAGE_DELETED',
] as const;
export const ErrorCodeSchema = z.enum(ERROR_CODES);
export type ErrorCode = z.infer<typeof ErrorCodeSchema>;

/** The HTTP status each code travels with on REST. */
export const STATUS_BY_CODE: Readonly<Record<ErrorCode, number>> = {
  INVALID_INPUT: 400,
  UNAUTHORIZED: 401,
  TOKEN_EXPIRED: 401,
  TOKEN_REVOKED: 401,
  FORBIDDEN: 403,
  NOT_MEMBER: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  OUT_OF_ORDER: 409,
  PAYLOAD_TOO_LARGE: 413,
  RATE_LIMITED: 429,
  INTERNAL_ERROR: 500,
  SERVICE_UNAVAILABLE: 503,
  TWO_FACTOR_REUSED: 401,
  REFRESH_REUSED: 401,
  UNSUPPORTED_MEDIA_TYPE: 415,
  MESSAGE_DELETED: 410,
};

/** Codes a client may retry with the same idempotency key (the outbox retry policy, §8.5). */
export const RETRYABLE_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'OUT_OF_ORDER',
  'RATE_LIMITED',
  'INTERNAL_ERROR',
  'SERVICE_UNAVAILABLE',
]);

/** Every non-2xx REST body from a nova-compat server. Real Nova sends plain text instead. */
export const ErrorBodySchema = z.object({
  error: z.string(),
  details: z.string().nullable().optional(),
  code: ErrorCodeSchema,
  retry_after_ms: z.number().int().nonnegative().optional(),
  /** Only with OUT_OF_ORDER: the client_seq the server will accept next. */
  expected_client_seq: z.number().int().positive().optional(),
});
export type ErrorBody = z.infer<typeof ErrorBodySchema>;
