/**
 * nova-compat v1.0: the wire contract between Nova Desktop and a Nova-compatible server.
 *
 * One contract so client and server cannot drift: everyone imports this module, which re-exports
 * the error codes (protocol-errors) and REST bodies (protocol-rest) and holds the WebSocket frames.
 * Nova's own fields are required; everything we added on top is optional, because the client
 * must also parse real Nova (legacy) payloads, which lack them. See docs/protocol.md for the prose version.
 *
 * Imports only zod: this module runs in main, preload, renderer and the dev server.
 */
import { z } from 'zod';
import { ErrorCodeSchema } from './protocol-errors';
import { ClientSeq, DeviceId, Id, Plaintext, Seq, Timestamp } from './protocol-primitives';
import { ConversationSchema, MessageSchema } from './protocol-rest';

export * from './protocol-errors';
export { MAX_PLAINTEXT_LENGTH } from './protocol-primitives';
export * from './protocol-rest';

// ---------------------------------------------------------------------------------------
// WebSocket: features advertised in the handshake
// ---------------------------------------------------------------------------------------
export const FEATURES = [
  'json_ping',
  'ws_send',
  'ws_sync',
  'gapless_seq',
  'presence',
  /** send.client_seq is enforced per (sender, device, conversation). */
  'client_seq',
  /** Conversations list their members with display names and read markers; GET /users/search. */
  'people',
  /** POST /conversations takes a client_key and answers a replay with the same conversation. */
  'create_key',
  /** updated_seq, GET /conversations/:id/changes, and updated_seq on edit and delete events. */
  'change_feed',
  /** PUT and DELETE /conversations/:id/messages/by-key/:key, and sends that honour them. */
  'message_by_key',
] as const;
export const FeatureSchema = z.enum(FEATURES);
export type Feature = z.infer<typeof FeatureSchema>;

export const SYNC_LIMIT_MAX = 500;

// ---------------------------------------------------------------------------------------
// WebSocket: client → server
// ---------------------------------------------------------------------------------------
export const TypingClientFrameSchema = z.object({
  type: z.literal('typing'),
  conversation_id: Id,
  user_id: Id.optional(),
  is_typing: z.boolean().optional(),
});
export const PingFrameSchema = z.object({ type: z.literal('ping'), ts: z.number().optional() });
export const SendFrameSchema = z.object({
  type: z.literal('send'),
  conversation_id: Id,
  idempotency_key: Id,
  plaintext: Plaintext,
  client_ts: z.number().optional(),
  client_seq: ClientSeq.optional(),
  device_id: DeviceId.optional(),
});
export const SyncFrameSchema = z.object({
  type: z.literal('sync'),
  conversation_id: Id,
  after_seq: Seq,
  limit: z.number().int().positive().max(SYNC_LIMIT_MAX).optional(),
});
export const SyncAckFrameSchema = z.object({
  type: z.literal('sync_ack'),
  conversation_id: Id,
  sequence_number: Seq,
});
export const ReadFrameSchema = z.object({
  type: z.literal('read'),
  conversation_id: Id,
  last_read_seq: Seq,
});
export const SubscribeFrameSchema = z.object({
  type: z.literal('subscribe'),
  conversation_ids: z.array(Id).max(1000),
});
export const UnsubscribeFrameSchema = z.object({
  type: z.literal('unsubscribe'),
  conversation_ids: z.array(Id).max(1000),
});

export const ClientFrameSchema = z.discriminatedUnion('type', [
  TypingClientFrameSchema,
  PingFrameSchema,
  SendFrameSchema,
  SyncFrameSchema,
  SyncAckFrameSchema,
  ReadFrameSchema,
  SubscribeFrameSchema,
  UnsubscribeFrameSchema,
]);
export type ClientFrame = z.infer<typeof ClientFrameSchema>;
export type SendFrame = z.infer<typeof SendFrameSchema>;
export type SyncFrame = z.infer<typeof SyncFrameSchema>;
export const CLIENT_FRAME_TYPES = [
  'typing',
  'ping',
  'send',
  'sync',
  'sync_ack',
  'read',
  'subscribe',
  'unsubscribe',
] as const satisfies ReadonlyArray<ClientFrame['type']>;

// ---------------------------------------------------------------------------------------
// WebSocket: server → client
// ---------------------------------------------------------------------------------------
export const ProtocolHandshakeFrameSchema = z.object({
  type: z.literal('protocol_handshake'),
  protocol_version: z.string(),
  server_capabilities: z.object({
    max_payload_size: z.number().int().positive(),
    ping_interval_ms: z.number().int().positive(),
    supported_events: z.array(z.string()),
    features: z.array(z.string()),
    idle_timeout_ms: z.number().int().positive().optional(),
    /** The largest `plaintext` the server accepts, in UTF-8 bytes (docs/protocol.md §4.2). */
    max_message_bytes: z.number().int().positive().optional(),
  }),
  connection_id: z.string(),
  user_id: Id,
  timestamp: Timestamp,
});
export type ProtocolHandshakeFrame = z.infer<typeof ProtocolHandshakeFrameSchema>;

export const MessageFrameSchema = z.object({
  type: z.literal('message'),
  conversation_id: Id,
  message: MessageSchema,
  /** True when the frame answers a `sync` rather than reporting a live event. */
  replay: z.boolean().optional(),
});
export type MessageFrame = z.infer<typeof MessageFrameSchema>;

export const AckFrameSchema = z.object({
  type: z.literal('ack'),
  idempotency_key: z.string(),
  status: z.enum(['accepted', 'duplicate']),
  conversation_id: Id.optional(),
  message: z
    .object({ id: Id, sequence_number: Seq, created_at: Timestamp.optional() })
    .optional(),
  client_seq: ClientSeq.optional(),
  device_id: DeviceId.optional(),
});
export type AckFrame = z.infer<typeof AckFrameSchema>;

export const NackFrameSchema = z.object({
  type: z.literal('nack'),
  idempotency_key: z.string(),
  conversation_id: z.string(),
  code: ErrorCodeSchema,
  error: z.string(),
  retryable: z.boolean(),
  retry_after_ms: z.number().int().nonnegative().optional(),
  client_seq: ClientSeq.optional(),
  /** With OUT_OF_ORDER: the next client_seq the server will accept for this device. */
  expected_client_seq: ClientSeq.optional(),
});
export type NackFrame = z.infer<typeof NackFrameSchema>;

export const SyncCompleteFrameSchema = z.object({
  type: z.literal('sync_complete'),
  conversation_id: Id,
  last_seq: Seq,
  has_more: z.boolean(),
  /** Extension: the change counter's head; above the client's cursor, fetch the changes (§3.7). */
  last_updated_seq: Seq.optional(),
});
export type SyncCompleteFrame = z.infer<typeof SyncCompleteFrameSchema>;

export const PongFrameSchema = z.object({
  type: z.literal('pong'),
  ts: z.number().optional(),
  server_ts: z.number().optional(),
});
export const TypingServerFrameSchema = z.object({
  type: z.literal('typing'),
  conversation_id: Id,
  user_id: Id,
  is_typing: z.boolean().optional(),
});
export const ReadReceiptFrameSchema = z.object({
  type: z.literal('read_receipt'),
  conversation_id: Id,
  user_id: Id,
  timestamp: Timestamp,
  last_read_seq: Seq.optional(),
});
export const MessageEditedFrameSchema = z.object({
  type: z.literal('message_edited'),
  conversation_id: Id,
  message_id: Id,
  timestamp: Timestamp,
  sequence_number: Seq.optional(),
  plaintext: z.string().optional(),
  /** Extension: the change counter after this edit; one above the previous change (§3.7). */
  updated_seq: Seq.optional(),
});
export const MessageDeletedFrameSchema = z.object({
  type: z.literal('message_deleted'),
  conversation_id: Id,
  message_id: Id,
  timestamp: Timestamp,
  sequence_number: Seq.optional(),
  /** Extension: the change counter after this delete (§3.7). */
  updated_seq: Seq.optional(),
});
export const PresenceFrameSchema = z.object({
  type: z.literal('presence'),
  user_id: Id,
  status: z.enum(['online', 'offline']),
  last_seen: Timestamp.optional(),
});
export const SubscribedFrameSchema = z.object({
  type: z.literal('subscribed'),
  conversation_ids: z.array(Id),
});
export const ErrorFrameSchema = z.object({
  type: z.literal('error'),
  error_code: ErrorCodeSchema,
  error_code_version: z.string(),
  message: z.string(),
  retry_after_ms: z.number().int().nonnegative().optional(),
  /** The offending frame's type (or idempotency_key), so a client can correlate. */
  ref: z.string().optional(),
});
export type ErrorFrame = z.infer<typeof ErrorFrameSchema>;

/**
 * Extension (optional; clients that do not know it ignore it): sent to every socket before a
 * planned restart, which then closes them with 1012. Dial again no sooner than
 * `retry_after_ms`, at a moment drawn uniformly from the following `spread_ms`, the server's
 * estimate of how long re-admitting every socket takes.
 */
export const ReconnectFrameSchema = z.object({
  type: z.literal('reconnect'),
  retry_after_ms: z.number().int().nonnegative(),
  spread_ms: z.number().int().nonnegative(),
  reason: z.string().optional(),
});
export type ReconnectFrame = z.infer<typeof ReconnectFrameSchema>;

/**
 * Extension: a conversation the receiving user is a member of was just created (by them on
 * another device, or by someone who added them). Sent to each member's user-scoped sockets.
 */
export const ConversationCreatedFrameSchema = z.object({
  type: z.literal('conversation_created'),
  conversation_id: Id,
  conversation: ConversationSchema,
});
export type ConversationCreatedFrame = z.infer<typeof ConversationCreatedFrameSchema>;

export const ServerFrameSchema = z.discriminatedUnion('type', [
  ProtocolHandshakeFrameSchema,
  MessageFrameSchema,
  AckFrameSchema,
  NackFrameSchema,
  SyncCompleteFrameSchema,
  PongFrameSchema,
  TypingServerFrameSchema,
  ReadReceiptFrameSchema,
  MessageEditedFrameSchema,
  MessageDeletedFrameSchema,
  PresenceFrameSchema,
  SubscribedFrameSchema,
  ErrorFrameSchema,
  ReconnectFrameSchema,
  ConversationCreatedFrameSchema,
]);
export type ServerFrame = z.infer<typeof ServerFrameSchema>;
export type ServerFrameOf<T extends ServerFrame['type']> = Extract<ServerFrame, { type: T }>;

export const SUPPORTED_EVENTS = [
  'message',
  'ack',
  'nack',
  'sync_complete',
  'pong',
  'typing',
  'read_receipt',
  'message_edited',
  'message_deleted',
  'presence',
  'subscribed',
  'error',
  'reconnect',
  'conversation_created',
] as const satisfies ReadonlyArray<ServerFrame['type']>;

