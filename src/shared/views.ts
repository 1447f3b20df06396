/**
 * What the window is shown: the shapes of users, messages, conversations, outbox rows, the
 * connection and notifications, as the IPC contract (contract.ts) carries them.
 */
import { z } from 'zod';
import { ERROR_CODES, NOTIFICATION_ACTIONS } from './errors';
import { IdSchema } from './input';
import { CREATION_STATES, MemberSchema } from './people';

// ---- Data shapes ---------------------------------------------------------------------------

export const UserSchema = z.object({
  id: z.string(),
  email: z.string(),
  username: z.string(),
});
export type User = z.infer<typeof UserSchema>;

export const AuthStatusSchema = z.object({
  signedIn: z.boolean(),
  user: UserSchema.nullable(),
  serverUrl: z.string(),
  /** True when the app talks to the bundled reference server, so the sign-in screen can name the demo accounts. */
  isDemoServer: z.boolean(),
});
export type AuthStatus = z.infer<typeof AuthStatusSchema>;

export const LoginResultSchema = z.discriminatedUnion('status', [
  z.object({ status: z.literal('signed_in'), auth: AuthStatusSchema }),
  z.object({ status: z.literal('two_factor_required'), challengeId: z.string() }),
]);
export type LoginResult = z.infer<typeof LoginResultSchema>;

export const MESSAGE_STATES = [
  'saved',
  'sending',
  'confirming',
  'sent',
  'failed',
  'expired',
  'held',
  /** Cancelled offline while it may be on the server: never sent meanwhile, settled at the next connect. */
  'cancel_pending',
  /** Edited offline while it may be on the server: the new text is applied at the next connect. */
  'edit_pending',
] as const;
export const MessageStateSchema = z.enum(MESSAGE_STATES);
/** Where an own message is on its way to the server; messages from others are always `sent`. */
export type MessageState = z.infer<typeof MessageStateSchema>;

export const ErrorDataSchema = z.object({
  code: z.enum(ERROR_CODES),
  message: z.string(),
  id: z.string(),
  retryAfterMs: z.number().optional(),
});

export const MessageViewSchema = z.object({
  /** Client id (UUID) for own messages, which is also the idempotency key; server id otherwise. */
  key: z.string(),
  serverId: z.string().nullable(),
  conversationId: z.string(),
  senderId: z.string(),
  isOwn: z.boolean(),
  text: z.string(),
  seq: z.number().int().nullable(),
  composedAt: z.number(),
  state: MessageStateSchema,
  error: ErrorDataSchema.nullable(),
  /** When the text was last edited on the server (by its sender); absent or null when never. */
  editedAt: z.number().nullable().optional(),
  /** Deleted on the server by its sender: `text` is empty and the thread shows a placeholder. */
  deleted: z.boolean().optional(),
});
export type MessageView = z.infer<typeof MessageViewSchema>;

export const ConversationSummarySchema = z.object({
  id: z.string(),
  type: z.enum(['direct', 'group']),
  name: z.string(),
  lastMessage: z
    .object({
      preview: z.string(),
      at: z.number(),
      senderId: z.string(),
      isOwn: z.boolean(),
      /** Deleted on the server: the preview is empty and the list says so instead. */
      deleted: z.boolean().optional(),
    })
    .nullable(),
  unreadCount: z.number().int(),
  pendingCount: z.number().int(),
  lastSeq: z.number().int(),
  /** Members with names and read markers (absent where the server has none: legacy Nova). */
  members: z.array(MemberSchema).optional(),
  memberCount: z.number().int().optional(),
  /** The user's own read marker: the thread puts "New messages" above what comes after it. */
  readSeq: z.number().int().optional(),
  /** Set while a conversation made here waits for the server to create it, or was refused. */
  creation: z.enum(CREATION_STATES).nullable().optional(),
});
export type ConversationSummary = z.infer<typeof ConversationSummarySchema>;

export const MessagePageSchema = z.object({
  messages: z.array(MessageViewSchema),
  /** Opaque cursor for the next older page; null when the start of history is reached. */
  olderCursor: z.string().nullable(),
});
export type MessagePage = z.infer<typeof MessagePageSchema>;

/** A stretch of a thread that need not reach the newest message: it pages on both ways. */
export const AroundPageSchema = MessagePageSchema.extend({
  /** Opaque cursor for the next newer page; null when the stretch reaches the newest message. */
  newerCursor: z.string().nullable(),
  reachesNewest: z.boolean(),
});
export type AroundPage = z.infer<typeof AroundPageSchema>;

export const AttemptSchema = z.object({
  at: z.number(),
  transport: z.enum(['ws', 'rest']),
  outcome: z.enum(['acked', 'duplicate', 'retry', 'failed', 'lost']),
  error: ErrorDataSchema.nullable(),
  /** The wait the server named for this attempt (Retry-After), in ms. */
  waitMs: z.number().nullable().optional(),
});
export type Attempt = z.infer<typeof AttemptSchema>;

export const OutboxItemSchema = z.object({
  key: z.string(),
  conversationId: z.string(),
  conversationName: z.string(),
  state: MessageStateSchema,
  composedAt: z.number(),
  attempts: z.number().int(),
  lastError: ErrorDataSchema.nullable(),
  nextAttemptAt: z.number().nullable(),
  sizeBytes: z.number().int(),
  history: z.array(AttemptSchema),
});
export type OutboxItem = z.infer<typeof OutboxItemSchema>;

export const CONNECTION_STATES = [
  'CONNECTING',
  'CONNECTED',
  'DISCONNECTED',
  'RECONNECTING',
  'ERROR',
  'CLOSED',
] as const;
export const ConnectionStateSchema = z.enum(CONNECTION_STATES);
export type ConnectionState = z.infer<typeof ConnectionStateSchema>;

export const ConnectionTransitionSchema = z.object({
  at: z.number(),
  from: ConnectionStateSchema,
  to: ConnectionStateSchema,
  reason: z.string(),
  /** The WebSocket close code of the link or attempt whose end caused this transition. */
  closeCode: z.number().int().optional(),
  /** The HTTP status of a refused upgrade that caused this transition. */
  httpStatus: z.number().int().optional(),
});
export type ConnectionTransition = z.infer<typeof ConnectionTransitionSchema>;

export const ConnectionSnapshotSchema = z.object({
  state: ConnectionStateSchema,
  reason: z.string(),
  since: z.number(),
  attempt: z.number().int(),
  nextAttemptAt: z.number().nullable(),
  lastRttMs: z.number().nullable(),
  isOsOffline: z.boolean(),
  /** Messages waiting in the outbox, so the banner can say they are safe. */
  pendingCount: z.number().int(),
  /** What ended the socket that led to this state, as in the transition (the window decides by these, not by `reason`). */
  closeCode: z.number().int().optional(),
  httpStatus: z.number().int().optional(),
});
export type ConnectionSnapshot = z.infer<typeof ConnectionSnapshotSchema>;

export const NotificationSchema = z.object({
  /** The error id: the same id appears in the log line, so support can find it. */
  id: z.string(),
  code: z.enum(ERROR_CODES),
  message: z.string(),
  severity: z.enum(['info', 'warning', 'error', 'critical']),
  sticky: z.boolean(),
  at: z.number(),
  actions: z.array(z.enum(NOTIFICATION_ACTIONS)),
  /** The message this is about, when it is about one. */
  messageKey: z.string().nullable(),
});
export type AppNotification = z.infer<typeof NotificationSchema>;

export const DiagnosticsPreviewSchema = z.object({
  bundleId: z.string(),
  sizeBytes: z.number().int(),
  files: z.array(z.object({ name: z.string(), sizeBytes: z.number().int() })),
  masked: z.record(z.string(), z.number().int()),
  /** A redacted excerpt the user can read before deciding to share. */
  reviewText: z.string(),
});
export type DiagnosticsPreview = z.infer<typeof DiagnosticsPreviewSchema>;

export const AppCommandSchema = z.discriminatedUnion('command', [
  z.object({ command: z.enum(['open-help', 'collect-diagnostics', 'open-outbox', 'open-settings']) }),
  /** A clicked OS notification: show that conversation. */
  z.object({ command: z.literal('open-conversation'), conversationId: IdSchema }),
]);
export type AppCommand = z.infer<typeof AppCommandSchema>;
