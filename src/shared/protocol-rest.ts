/** REST bodies of the wire contract (auth, conversations, messages and our extensions); see protocol.ts. */
import { z } from 'zod';
import { ClientSeq, DeviceId, Id, Plaintext, Seq, Timestamp } from './protocol-primitives';

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
