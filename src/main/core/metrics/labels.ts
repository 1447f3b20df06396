/**
 * Every label value the metrics accept, as closed lists. A label never carries a user id, a
 * conversation id, an e-mail address or message text: values outside these lists are recorded
 * as `other`, so a careless caller cannot leak data into the exposition or explode cardinality.
 */
import {
  CONNECTION_STATES,
  EVENT_CHANNELS,
  INVOKE_CHANNELS,
  MESSAGE_STATES,
  type ConnectionState,
  type EventChannel,
  type InvokeChannel,
  type MessageState,
} from '../../../shared/contract';
import { ERROR_CODES, type ErrorCode, type Severity } from '../../../shared/errors';
import {
  UPDATE_CHECK_RESULTS,
  UPDATE_DOWNLOAD_RESULTS,
  UPDATE_RESTART_RESULTS,
  type UpdateCheckResult,
  type UpdateDownloadResult,
  type UpdateRestartResult,
} from '../../../shared/updates';

export { CONNECTION_STATES, EVENT_CHANNELS, INVOKE_CHANNELS, ERROR_CODES, UPDATE_CHECK_RESULTS, UPDATE_DOWNLOAD_RESULTS, UPDATE_RESTART_RESULTS };
export type { ConnectionState, EventChannel, InvokeChannel, ErrorCode, Severity };

/** The value recorded when a caller passes something that is not in the closed list. */
export const OTHER = 'other';

/** Nova's `ws_connections_total{status}`. */
export const SOCKET_STATUSES = ['opened', 'closed', 'error'] as const;
export type SocketStatus = (typeof SOCKET_STATUSES)[number];

/**
 * Nova's reasons plus the client's own (protocol §8.6 and the close codes of §8.3).
 * `connection_lost` is an established link that dropped; `connect_failed` is a dial that never
 * got in (refused, reset, timed out), so a dashboard tells an outage from a flaky link.
 */
export const RECONNECT_REASONS = [
  'connection_lost',
  'connect_failed',
  'heartbeat_timeout',
  'auth_refresh',
  'server_shutdown',
  'rate_limited',
  'network_change',
  'resume',
  'manual',
] as const;
export type ReconnectReason = (typeof RECONNECT_REASONS)[number];

/** Nova's `ws_errors_total{error_type}` (§8.7), plus handshake and protocol failures. */
export const SOCKET_ERROR_TYPES = [
  'timeout',
  'decode',
  'send_failed',
  'connection_lost',
  'heartbeat_timeout',
  'handshake',
  'protocol',
  /** The server sent a frame over our maxPayload; the socket was closed with 1009. */
  'too_large',
] as const;
export type SocketErrorType = (typeof SOCKET_ERROR_TYPES)[number];

/** Frame `type`s of §8.3 in both directions; unknown frame types count as `other`. */
export const FRAME_TYPES = [
  'send',
  'ping',
  'pong',
  'sync',
  'sync_ack',
  'sync_complete',
  'read',
  'typing',
  'subscribe',
  'unsubscribe',
  'protocol_handshake',
  'message',
  'ack',
  'nack',
  'read_receipt',
  'message_edited',
  'message_deleted',
  'member',
  'reaction',
  'presence',
  'error',
  'reconnect',
] as const;
export type FrameType = (typeof FRAME_TYPES)[number];

/**
 * Why a frame from the server was dropped at the link: a binary frame, text that is not JSON,
 * JSON that is not an object, a `type` the protocol does not define, or a known type whose
 * fields do not match its schema.
 */
export const FRAME_REJECT_REASONS = ['binary', 'not_json', 'not_object', 'unknown_type', 'invalid'] as const;
export type FrameRejectReason = (typeof FRAME_REJECT_REASONS)[number];

export const TRANSPORTS = ['ws', 'rest'] as const;
export type Transport = (typeof TRANSPORTS)[number];

/** The outcomes an outbox attempt records (the contract's AttemptSchema). */
export const SEND_OUTCOMES = ['acked', 'duplicate', 'retry', 'failed', 'lost'] as const;
export type SendOutcome = (typeof SEND_OUTCOMES)[number];

/** Outbox states: every message state except `sent`, which has left the outbox. */
export const OUTBOX_STATES = MESSAGE_STATES.filter(
  (state): state is Exclude<MessageState, 'sent'> => state !== 'sent',
);
export type OutboxState = Exclude<MessageState, 'sent'>;

/** Where a duplicate was recognised: a live frame, a resync page, a REST answer, or an ack saying `duplicate`. */
export const DUPLICATE_SOURCES = ['live', 'sync', 'rest', 'ack'] as const;
export type DuplicateSource = (typeof DUPLICATE_SOURCES)[number];

export const RESYNC_RESULTS = ['complete', 'partial', 'failed'] as const;
export type ResyncResult = (typeof RESYNC_RESULTS)[number];

export const HTTP_RETRY_REASONS = ['network', 'timeout', 'rate_limited', 'server_error', 'auth_refresh'] as const;
export type HttpRetryReason = (typeof HTTP_RETRY_REASONS)[number];

/** REST endpoints by role, never by path: a path holds conversation and message ids. */
export const HTTP_ENDPOINTS = [
  'auth_login',
  'auth_2fa',
  'auth_refresh',
  'auth_logout',
  'conversations_list',
  'conversation_get',
  'conversation_create',
  'messages_list',
  'messages_send',
  'messages_read',
  'messages_search',
  'messages_changes',
  /** Edits and deletes of own messages, by key or by id. */
  'message_change',
  'health',
  'users_search',
] as const;
export type HttpEndpoint = (typeof HTTP_ENDPOINTS)[number];

export const HTTP_STATUS_CLASSES = ['1xx', '2xx', '3xx', '4xx', '5xx', 'network_error', 'timeout'] as const;
export type HttpStatusClass = (typeof HTTP_STATUS_CLASSES)[number];

export const AUTH_EVENTS = [
  'login',
  'login_failed',
  'two_factor_required',
  'two_factor_failed',
  'refresh',
  'refresh_failed',
  'logout',
  'revoked',
] as const;
export type AuthEvent = (typeof AUTH_EVENTS)[number];

export const DIAGNOSTICS_RESULTS = ['collected', 'saved', 'cancelled', 'failed'] as const;
export type DiagnosticsResult = (typeof DIAGNOSTICS_RESULTS)[number];

export const SYSTEM_EVENTS = ['suspend', 'resume', 'online', 'offline'] as const;
export type SystemEventName = (typeof SYSTEM_EVENTS)[number];

export const LOG_LEVELS = ['error', 'warn', 'info', 'debug'] as const;
export type LogLevelName = (typeof LOG_LEVELS)[number];

export const SEVERITIES = ['info', 'warning', 'error', 'critical'] as const satisfies readonly Severity[];

/** How an IPC call ended: `ok`, or the error code the renderer received. */
export type IpcResultLabel = 'ok' | ErrorCode;
export const IPC_RESULTS = ['ok', ...ERROR_CODES] as const;

/** A step of the shell's updater and how it ended (src/shared/updates.ts has the lists). */
export type UpdateStep =
  | Readonly<{ step: 'check'; result: UpdateCheckResult }>
  | Readonly<{ step: 'download'; result: UpdateDownloadResult }>
  | Readonly<{ step: 'restart'; result: UpdateRestartResult }>;

export const SCRAPE_VIAS = ['http', 'snapshot'] as const;
export type ScrapeVia = (typeof SCRAPE_VIAS)[number];

/** The value if it is in the list, else `other`: the one gate every label value passes. */
export function closedLabel(value: unknown, allowed: readonly string[]): string {
  return typeof value === 'string' && allowed.includes(value) ? value : OTHER;
}
