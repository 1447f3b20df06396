/**
 * The IPC contract: every channel between the renderer and the main process, declared once.
 * The main process registers handlers from `invokeChannels`, the preload exposes exactly these
 * channels, and the e2e bridge is generated from the same table, so nothing else names a channel.
 */
import { z } from 'zod';
import { IdSchema, MessageTextSchema } from './input';
import { peopleChannels, peopleEvents } from './people';
import { PreferencesPatchSchema, PreferencesSchema } from './preferences';
import type { IpcResult } from './result';
import {
  DoctorReportSchema,
  FleetStatusSchema,
  SUPPORT_DESCRIPTION_MAX,
  SupportProgressSchema,
  SupportSendResultSchema,
  SupportStatusSchema,
} from './support';
import { SearchIndexStatusSchema, SearchRequestSchema, SearchResultSchema } from './search';
import { UpdateStatusSchema } from './updates';
import { CancelResultSchema, DeleteResultSchema, IntentSettledSchema, MessageKeySchema, SyncStatusSchema } from './own-messages';
import {
  AppCommandSchema,
  AroundPageSchema,
  AttemptSchema,
  AuthStatusSchema,
  ConnectionSnapshotSchema,
  ConnectionTransitionSchema,
  ConversationSummarySchema,
  DiagnosticsPreviewSchema,
  LoginResultSchema,
  MessagePageSchema,
  MessageViewSchema,
  NotificationSchema,
  OutboxItemSchema,
} from './views';

// ---- Data shapes: views.ts (re-exported, so imports of the contract stay) -------------------

export * from './views';

// ---- Invoke channels (renderer → main, request/response) -----------------------------------

const empty = z.object({}).strict();
const nothing = z.null();

export const invokeChannels = {
  'auth:login': {
    req: z.object({ email: z.string().trim().min(3).max(320), password: z.string().min(1).max(1024) }).strict(),
    res: LoginResultSchema,
  },
  'auth:verify2fa': {
    req: z
      .object({ challengeId: z.string().min(1).max(200), code: z.string().trim().min(6).max(16) })
      .strict(),
    res: AuthStatusSchema,
  },
  'auth:logout': { req: empty, res: nothing },
  'auth:status': { req: empty, res: AuthStatusSchema },
  'conversations:list': { req: empty, res: z.array(ConversationSummarySchema) },
  /** The conversation open in the window (null: none), so the shell does not notify about what is on screen. */
  'conversations:view': {
    req: z.object({ conversationId: IdSchema.nullable() }).strict(),
    res: nothing,
  },
  'messages:list': {
    req: z
      .object({
        conversationId: IdSchema,
        olderCursor: z.string().max(200).nullable().optional(),
        limit: z.number().int().positive().max(500).optional(),
      })
      .strict(),
    res: MessagePageSchema,
  },
  'messages:send': {
    // Capped here at MESSAGE_TEXT_MAX_BYTES; the core then applies the server's advertised maximum.
    req: z.object({ conversationId: IdSchema, text: MessageTextSchema }).strict(),
    res: MessageViewSchema,
  },
  'messages:markRead': {
    req: z.object({ conversationId: IdSchema }).strict(),
    res: nothing,
  },
  'outbox:list': { req: empty, res: z.array(OutboxItemSchema) },
  'outbox:retry': {
    req: z.object({ key: IdSchema.nullable() }).strict(),
    // `serverWaitUntil`: the server named a wait (Retry-After) that "Send now" cannot skip.
    res: z.object({ count: z.number().int(), serverWaitUntil: z.number().nullable().optional() }),
  },
  'outbox:discard': { req: z.object({ key: IdSchema }).strict(), res: nothing },
  'outbox:confirm': {
    req: z.object({ key: IdSchema, send: z.boolean() }).strict(),
    res: nothing,
  },
  'connection:get': {
    req: empty,
    res: z.object({ snapshot: ConnectionSnapshotSchema, history: z.array(ConnectionTransitionSchema) }),
  },
  'connection:retryNow': { req: empty, res: nothing },
  'diagnostics:collect': { req: empty, res: DiagnosticsPreviewSchema },
  'diagnostics:save': {
    req: z.object({ bundleId: z.string().min(1).max(200) }).strict(),
    res: z.object({ savedPath: z.string().nullable() }),
  },
  'diagnostics:showLogsFolder': { req: empty, res: nothing },
  /** Whether "Send to support" is available, where it sends, and the organisation file's state. */
  'support:status': { req: empty, res: SupportStatusSchema },
  /** Uploads a collected bundle; answers when it is sent, cancelled or has failed for good. */
  'support:send': {
    req: z
      .object({ bundleId: z.string().min(1).max(200), description: z.string().max(SUPPORT_DESCRIPTION_MAX) })
      .strict(),
    res: SupportSendResultSchema,
  },
  'support:cancel': { req: z.object({ bundleId: z.string().min(1).max(200) }).strict(), res: nothing },
  /** Runs the connection doctor (or joins the run under way); steps arrive on doctor:progress. */
  'doctor:run': { req: empty, res: DoctorReportSchema },
  'fleet:status': { req: empty, res: FleetStatusSchema },
  /** Only when the organisation lets the user choose. */
  'fleet:setEnabled': { req: z.object({ enabled: z.boolean() }).strict(), res: FleetStatusSchema },
  'fleet:resetInstallId': { req: empty, res: FleetStatusSchema },
  /** Sticky notifications not dismissed yet, oldest first: the window fetches them at start. */
  'notifications:list': { req: empty, res: z.array(NotificationSchema) },
  'notifications:dismiss': { req: z.object({ id: z.string().min(1).max(200) }).strict(), res: nothing },
  /** The updater's state: what Help and the update prompt show. */
  'update:get': { req: empty, res: UpdateStatusSchema },
  /** Checks the feed now (or joins the check under way); answers when the check is done, a download goes on in the background. */
  'update:check': { req: empty, res: UpdateStatusSchema },
  /** Restarts into the downloaded version now; messages not sent yet stay saved and go out after the restart. */
  'update:restart': { req: empty, res: nothing },
  /** Restarts by itself as soon as the outbox is empty, or when the bounded wait ends. */
  'update:restartWhenSent': { req: empty, res: UpdateStatusSchema },
  'update:cancelRestart': { req: empty, res: UpdateStatusSchema },
  'preferences:get': { req: empty, res: PreferencesSchema },
  /** Any subset of fields; answers the whole, stored result. */
  'preferences:set': { req: PreferencesPatchSchema, res: PreferencesSchema },
  // ---- own messages: cancel, edit, delete, timeline (shared/own-messages.ts) ----
  /** Withdraws a message not yet sent; settled with the server when it may have it already. */
  'messages:cancel': { req: z.object({ key: MessageKeySchema }).strict(), res: CancelResultSchema },
  /** Queued: the text changes in place (one message, the last text); sent: a server edit. */
  'messages:edit': {
    req: z.object({ key: MessageKeySchema, text: MessageTextSchema }).strict(),
    res: MessageViewSchema,
  },
  /** Queued: as cancel; sent: deleted on the server for everyone. */
  'messages:delete': { req: z.object({ key: MessageKeySchema }).strict(), res: DeleteResultSchema },
  /** A message's delivery attempts, kept after delivery. */
  'messages:timeline': { req: z.object({ key: MessageKeySchema }).strict(), res: z.array(AttemptSchema) },
  'sync:status': { req: empty, res: SyncStatusSchema },
  /** Offline full-text search over the local cache; answers from the cache only. */
  'search:messages': { req: SearchRequestSchema, res: SearchResultSchema },
  'search:status': { req: empty, res: SearchIndexStatusSchema },
  /** The stretch of a conversation around one message (a search result), for jumping to it. */
  'messages:around': {
    req: z.object({ conversationId: z.string().min(1).max(200), key: z.string().min(1).max(200) }).strict(),
    res: AroundPageSchema,
  },
  /** The stretch around the first message from others after the read marker `afterSeq` ("New messages"). */
  'messages:unread': {
    req: z.object({ conversationId: z.string().min(1).max(200), afterSeq: z.number().int().nonnegative() }).strict(),
    res: AroundPageSchema.extend({ firstUnreadKey: z.string().nullable() }),
  },
  /** The page after a jumped-to stretch, towards the newest message. */
  'messages:newer': {
    req: z
      .object({ conversationId: z.string().min(1).max(200), newerCursor: z.string().max(200), limit: z.number().int().positive().max(500).optional() })
      .strict(),
    res: z.object({ messages: z.array(MessageViewSchema), newerCursor: z.string().nullable() }),
  },
  'log:write': {
    req: z
      .object({
        level: z.enum(['error', 'warn', 'info', 'debug']),
        scope: z.string().min(1).max(64),
        message: z.string().max(4096),
      })
      .strict(),
    res: nothing,
  },
  // ---- cancels and edits saved offline (shared/own-messages.ts) ----
  /** Takes back a cancel or edit saved offline and not settled yet: the message is as it was. */
  'messages:undoIntent': { req: z.object({ key: MessageKeySchema }).strict(), res: MessageViewSchema },
  ...peopleChannels,
} as const satisfies Record<`${string}:${string}`, { req: z.ZodType; res: z.ZodType }>;

export type InvokeChannel = keyof typeof invokeChannels;
export type Req<C extends InvokeChannel> = z.input<(typeof invokeChannels)[C]['req']>;
export type ParsedReq<C extends InvokeChannel> = z.output<(typeof invokeChannels)[C]['req']>;
export type Res<C extends InvokeChannel> = z.infer<(typeof invokeChannels)[C]['res']>;
export const INVOKE_CHANNELS = Object.keys(invokeChannels) as InvokeChannel[];

/**
 * Channels the Electron shell answers itself, because they need Electron (the updater needs
 * `app`); the core answers every other one.
 */
export const SHELL_INVOKE_CHANNELS = [
  'update:get',
  'update:check',
  'update:restart',
  'update:restartWhenSent',
  'update:cancelRestart',
] as const satisfies readonly InvokeChannel[];
export type ShellInvokeChannel = (typeof SHELL_INVOKE_CHANNELS)[number];
export type CoreInvokeChannel = Exclude<InvokeChannel, ShellInvokeChannel>;
export const CORE_INVOKE_CHANNELS = INVOKE_CHANNELS.filter(
  (channel): channel is CoreInvokeChannel => !(SHELL_INVOKE_CHANNELS as readonly string[]).includes(channel),
);

// ---- Event channels (main → renderer) ------------------------------------------------------

export const eventChannels = {
  'connection:changed': ConnectionSnapshotSchema,
  /** Upserts, batched: main coalesces bursts so a flood of messages is one IPC call per tick. */
  'messages:changed': z.object({ messages: z.array(MessageViewSchema) }),
  'outbox:changed': z.object({ items: z.array(OutboxItemSchema) }),
  'conversations:changed': z.object({ conversations: z.array(ConversationSummarySchema) }),
  'auth:changed': AuthStatusSchema,
  notification: NotificationSchema,
  'diagnostics:progress': z.object({ stage: z.string(), done: z.number(), total: z.number() }),
  'preferences:changed': PreferencesSchema,
  'support:progress': SupportProgressSchema,
  /** The whole report so far, after each step starts or ends. */
  'doctor:progress': DoctorReportSchema,
  /** The updater's state after every step, and while a download runs (the shell sends it). */
  'update:status': UpdateStatusSchema,
  /** Commands from the shell (menu items, a clicked OS notification), for the renderer to act on. */
  'app:command': AppCommandSchema,
  /** Conversations still catching up after a failed resync (retried with backoff). */
  'sync:changed': SyncStatusSchema,
  ...peopleEvents,
  /** The background indexing of an existing cache, after each batch. */
  'search:progress': SearchIndexStatusSchema,
  /** A cancel or edit saved offline was settled with the server (or refused by it). */
  'messages:intentSettled': IntentSettledSchema,
} as const satisfies Record<string, z.ZodType>;

export type EventChannel = keyof typeof eventChannels;
export type EventPayload<E extends EventChannel> = z.infer<(typeof eventChannels)[E]>;
export const EVENT_CHANNELS = Object.keys(eventChannels) as EventChannel[];

// ---- Names the preload uses ----------------------------------------------------------------

type CamelTail<S extends string> = S extends `${infer H}${infer T}` ? `${Uppercase<H>}${T}` : S;
/** `outbox:retry` → `outboxRetry`; `log:write` → `logWrite`. */
export type MethodName<C extends string> = C extends `${infer D}:${infer V}` ? `${D}${CamelTail<V>}` : C;
/** `connection:changed` → `onConnectionChanged`; `notification` → `onNotification`. */
export type EventMethodName<E extends string> = E extends `${infer D}:${infer V}`
  ? `on${CamelTail<D>}${CamelTail<V>}`
  : `on${CamelTail<E>}`;

export function methodName<C extends InvokeChannel>(channel: C): MethodName<C> {
  const [domain, verb = ''] = channel.split(':');
  return `${domain}${verb.charAt(0).toUpperCase()}${verb.slice(1)}` as MethodName<C>;
}

export function eventMethodName<E extends EventChannel>(channel: E): EventMethodName<E> {
  const parts = channel.split(':');
  return `on${parts.map((p) => p.charAt(0).toUpperCase() + p.slice(1)).join('')}` as EventMethodName<E>;
}

export type Unsubscribe = () => void;

/** What `window.api` is: one function per channel, one subscription per event. */
export type NovaApi = {
  [C in InvokeChannel as MethodName<C>]: (req: Req<C>) => Promise<IpcResult<Res<C>>>;
} & {
  [E in EventChannel as EventMethodName<E>]: (listener: (payload: EventPayload<E>) => void) => Unsubscribe;
};

/**
 * Builds the api object from two transports. The preload passes ipcRenderer-backed functions;
 * the e2e harness passes a bridge to a core running in the test process. Same table, same shape.
 */
export function buildApi(transport: {
  invoke: (channel: InvokeChannel, req: unknown) => Promise<unknown>;
  subscribe: (channel: EventChannel, listener: (payload: unknown) => void) => Unsubscribe;
}): NovaApi {
  const api: Record<string, unknown> = {};
  for (const channel of INVOKE_CHANNELS) {
    api[methodName(channel)] = (req: unknown) => transport.invoke(channel, req);
  }
  for (const channel of EVENT_CHANNELS) {
    api[eventMethodName(channel)] = (listener: (payload: unknown) => void) =>
      transport.subscribe(channel, listener);
  }
  return Object.freeze(api) as NovaApi;
}
