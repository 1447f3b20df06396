/**
 * nova-compat v1.0: the wire contract between Nova Desktop and a Nova-compatible server.
 *
 * One file so client and server cannot drift. Nova's own fields are required; everything we
 * added on top is optional, because the client must also parse real Nova (legacy) payloads,
 * which lack them. See docs/protocol.md for the prose version.
 *
 * Imports only zod: this module runs in main, preload, renderer and the dev server.
 */
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

// ---------------------------------------------------------------------------------------
// Primitives
// ---------------------------------------------------------------------------------------
const Id = z.string().min(1).max(128);
const Seq = z.number().int().nonnegative();
/** Per device, per conversation, 1, 2, 3… (outbox ordering extension). */
const ClientSeq = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);
const DeviceId = z.string().min(1).max(128);
const Timestamp = z.string();
export const MAX_PLAINTEXT_LENGTH = 65_536;
const Plaintext = z.string().max(MAX_PLAINTEXT_LENGTH);

// ---------------------------------------------------------------------------------------
// REST: auth (/api/v1/auth/*)
// ---------------------------------------------------------------------------------------
/** RFC 5321 caps an address at 254 characters; no password manager writes 1,024. */
export const LoginRequestSchema = z.object({ email: z.string().min(1).max(320), password: z.string().min(1).max(1024) });
export type LoginRequest = z.infer<typeof LoginRequestSchema>;

export const TokenPairSchema = z.object({
  access_token: z.string(),
  refresh_token: z.string(),
  token_type: z.literal('Bearer'),
  expires_in: z.number().int(),
  user_id: z.string().optional(),
  refresh_expires_in: z.number().int().optional(),
});
export type TokenPair = z.infer<typeof TokenPairSchema>;

/** 202 from login when the account has TOTP enabled. */
export const TwoFactorRequiredSchema = z.object({
  session_id: z.string(),
  message: z.string(),
  expires_in: z.number().int(),
});
export type TwoFactorRequired = z.infer<typeof TwoFactorRequiredSchema>;

export const TwoFactorVerifyRequestSchema = z.object({
  session_id: z.string().min(1),
  /** A 6-digit TOTP code or an 8-character backup code. */
  code: z.string().min(1).max(32),
});
export type TwoFactorVerifyRequest = z.infer<typeof TwoFactorVerifyRequestSchema>;

export const RefreshRequestSchema = z.object({ refresh_token: z.string().min(1) });
export type RefreshRequest = z.infer<typeof RefreshRequestSchema>;

export const LogoutRequestSchema = z.object({
  access_token: z.string().optional(),
  refresh_token: z.string().optional(),
});
export type LogoutRequest = z.infer<typeof LogoutRequestSchema>;
export const LogoutResponseSchema = z.object({ message: z.string() });
export type LogoutResponse = z.infer<typeof LogoutResponseSchema>;

export const TOKEN_TYPES = ['access', 'refresh'] as const;
export const JwtClaimsSchema = z.object({
  sub: z.string(),
  iat: z.number(),
  exp: z.number(),
  token_type: z.enum(TOKEN_TYPES),
  email: z.string(),
  username: z.string(),
  jti: z.string().optional(),
  sid: z.string().optional(),
});
export type JwtClaims = z.infer<typeof JwtClaimsSchema>;

// ---------------------------------------------------------------------------------------
// REST: conversations and messages
// ---------------------------------------------------------------------------------------
export const CONVERSATION_TYPES = ['direct', 'group'] as const;
export const ConversationTypeSchema = z.enum(CONVERSATION_TYPES);
export type ConversationType = z.infer<typeof ConversationTypeSchema>;

/**
 * Extension: a conversation member as its fellow members see it. `last_read_seq` is the member's
 * read marker (the highest sequence number they have read, on any of their devices): "Seen".
 */
export const ConversationMemberSchema = z.object({
  user_id: Id,
  display_name: z.string(),
  last_read_seq: Seq,
});
export type ConversationMember = z.infer<typeof ConversationMemberSchema>;

export const ConversationSchema = z.object({
  id: Id,
  member_count: z.number().int(),
  last_message_id: z.string().nullable(),
  type: ConversationTypeSchema.optional(),
  name: z.string().nullable().optional(),
  last_seq: Seq.optional(),
  unread_count: z.number().int().nonnegative().optional(),
  updated_at: Timestamp.optional(),
  member_ids: z.array(Id).optional(),
  /** Extension: every member with a display name and read marker, in the order of member_ids. */
  members: z.array(ConversationMemberSchema).optional(),
  /** Extension: the caller's own read marker. */
  last_read_seq: Seq.optional(),
  /** Extension: the head of the conversation's change counter (edits and deletes), §3.7. */
  last_updated_seq: Seq.optional(),
});
export type Conversation = z.infer<typeof ConversationSchema>;

export const ConversationListSchema = z.object({
  conversations: z.array(ConversationSchema),
  total: z.number().int(),
  limit: z.number().int(),
  offset: z.number().int(),
});
export type ConversationList = z.infer<typeof ConversationListSchema>;

/**
 * Nova's direct form `{user_a, user_b}` or the group form `{type, name?, participant_ids}`.
 * `client_key` (extension; also accepted as an `Idempotency-Key` header) makes a creation
 * replayable: the same key from the same user answers the same conversation, once created.
 */
export const CreateConversationRequestSchema = z.union([
  z.object({ user_a: Id, user_b: Id, client_key: Id.optional() }),
  z.object({
    type: ConversationTypeSchema,
    name: z.string().max(200).optional(),
    participant_ids: z.array(Id).min(1).max(1000),
    client_key: Id.optional(),
  }),
]);
export type CreateConversationRequest = z.infer<typeof CreateConversationRequestSchema>;

/** POST /conversations: the conversation, and (extension) whether this request created it. */
export const CreateConversationResponseSchema = ConversationSchema.extend({ created: z.boolean().optional() });
export type CreateConversationResponse = z.infer<typeof CreateConversationResponseSchema>;

export const SendMessageRequestSchema = z.object({
  plaintext: Plaintext,
  idempotency_key: Id.optional(),
  client_seq: ClientSeq.optional(),
  device_id: DeviceId.optional(),
});
export type SendMessageRequest = z.infer<typeof SendMessageRequestSchema>;

export const SendMessageResponseSchema = z.object({
  id: Id,
  sequence_number: Seq,
  conversation_id: Id.optional(),
  sender_id: Id.optional(),
  created_at: Timestamp.optional(),
  idempotency_key: z.string().nullable().optional(),
  duplicate: z.boolean().optional(),
  client_seq: ClientSeq.nullable().optional(),
});
export type SendMessageResponse = z.infer<typeof SendMessageResponseSchema>;

/** A stored message. Nova's history items carry only the first four fields. */
export const MessageSchema = z.object({
  id: Id,
  sender_id: Id,
  sequence_number: Seq,
  created_at: Timestamp.optional(),
  conversation_id: Id.optional(),
  plaintext: z.string().optional(),
  idempotency_key: z.string().nullable().optional(),
  edited_at: Timestamp.nullable().optional(),
  deleted_at: Timestamp.nullable().optional(),
  client_seq: ClientSeq.nullable().optional(),
  /**
   * Extension: the conversation's change counter at this message's last edit or delete; 0 when
   * it was never changed (§3.7).
   */
  updated_seq: Seq.optional(),
});
export type Message = z.infer<typeof MessageSchema>;

/** GET /conversations/:id/messages answers a bare array, ascending by sequence_number. */
export const MessageListSchema = z.array(MessageSchema);
export type MessageList = z.infer<typeof MessageListSchema>;
export const MESSAGE_PAGE_DEFAULT = 50;
export const MESSAGE_PAGE_MAX = 200;

export const ReadRequestSchema = z.object({ last_read_seq: Seq.optional() });
export type ReadRequest = z.infer<typeof ReadRequestSchema>;

export const EditMessageRequestSchema = z.object({ plaintext: Plaintext });
export type EditMessageRequest = z.infer<typeof EditMessageRequestSchema>;

export const SearchResponseSchema = z.object({
  data: z.array(MessageSchema),
  total: z.number().int(),
  limit: z.number().int(),
  offset: z.number().int(),
  has_more: z.boolean(),
});
export type SearchResponse = z.infer<typeof SearchResponseSchema>;

// ---------------------------------------------------------------------------------------
// Extension: people (§3.6). Real Nova has no user lookup.
// ---------------------------------------------------------------------------------------
/** `q` of GET /users/search, after trimming: 1 to this many characters. */
export const USER_SEARCH_QUERY_MAX = 64;
export const USER_SEARCH_LIMIT_DEFAULT = 20;
export const USER_SEARCH_LIMIT_MAX = 50;

/**
 * A person the caller may see. `email` comes only for people of the caller's own organisation;
 * someone from elsewhere who shares a conversation with the caller is shown by name only.
 */
export const UserSummarySchema = z.object({
  id: Id,
  display_name: z.string(),
  username: z.string(),
  email: z.string().optional(),
});
export type UserSummary = z.infer<typeof UserSummarySchema>;

export const UserSearchResponseSchema = z.object({
  users: z.array(UserSummarySchema),
  has_more: z.boolean(),
});
export type UserSearchResponse = z.infer<typeof UserSearchResponseSchema>;

// ---------------------------------------------------------------------------------------
// Extension: the change feed (§3.7). Edits and deletes since a client's cursor.
// ---------------------------------------------------------------------------------------
export const CHANGES_PAGE_DEFAULT = 100;
export const CHANGES_PAGE_MAX = 200;

/**
 * GET /conversations/:id/changes?after_updated_seq=N: every message whose last change is above
 * N, once each in its current state, ascending by `updated_seq`.
 */
export const ChangesResponseSchema = z.object({
  conversation_id: Id,
  changes: z.array(MessageSchema),
  /** The conversation's change counter when the page was read. */
  last_updated_seq: Seq,
  /** More changes above the last one returned: ask again from its updated_seq. */
  has_more: z.boolean(),
});
export type ChangesResponse = z.infer<typeof ChangesResponseSchema>;

// ---------------------------------------------------------------------------------------
// Extension: edit or delete by idempotency key (§3.8), for a message whose send may not have
// landed yet. PUT takes EditMessageRequestSchema; DELETE takes no body.
// ---------------------------------------------------------------------------------------
export const MESSAGE_KEY_OUTCOMES = [
  /** The message existed and now has the new text (200). */
  'edited',
  /** No message with this key yet: when its send lands, it lands with the new text (202). */
  'pending',
  /** The message existed and is now deleted, or was already (200). */
  'deleted',
  /** No message with this key yet, and none will ever be created from it (200). */
  'withdrawn',
  /** `DELETE …?if=absent`: the message had landed and was left as it is (200, with `message`). */
  'present',
] as const;
export const MessageKeyOutcomeSchema = z.enum(MESSAGE_KEY_OUTCOMES);
export type MessageKeyOutcome = z.infer<typeof MessageKeyOutcomeSchema>;

export const MessageByKeyResponseSchema = z.object({
  outcome: MessageKeyOutcomeSchema,
  conversation_id: Id,
  idempotency_key: Id,
  /** With `edited` and `deleted`: the message as it now is. */
  message: MessageSchema.optional(),
});
export type MessageByKeyResponse = z.infer<typeof MessageByKeyResponseSchema>;

export const HealthResponseSchema = z.object({
  status: z.literal('ok'),
  protocol_version: z.string(),
  mode: z.enum(['nova-compat', 'legacy-nova']),
});
export type HealthResponse = z.infer<typeof HealthResponseSchema>;

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

