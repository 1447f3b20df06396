/**
 * Delivery as the rest of the core sees it: the IPC handlers for conversations, messages and
 * the outbox, the events they raise, and the wiring between the ServerLink, the engine and the
 * reconciler. Everything durable goes through the store; everything on the wire through the link.
 */
import { randomUUID } from 'node:crypto';
import type {
  ConversationSummary,
  MessageState,
  MessageView,
  OutboxItem,
  Res,
} from '../../../shared/contract';
import { AppError, ERROR_CODES, describeError, type ErrorCode } from '../../../shared/errors';
import type { ServerFrameOf } from '../../../shared/protocol';
import type { Clock, TimerHandle } from '../clock';
import { newErrorId } from '../errors';
import type { CoreEventBus } from '../events';
import type { ServerCapabilities, ServerLink } from '../link';
import type { Logger } from '../logging';
import type { Metrics } from '../metrics';
import { SERVER_BODIES } from '../server-data';
import { getSetting, setSetting, type DB } from '../store/database';
import {
  conversationOverview,
  decodeCursor,
  encodeCursor,
  listConversations,
  listMessagePage,
  markConversationRead,
  oldestStoredSeq,
  upsertConversation,
  type MessageRecord,
} from '../store/messages';
import {
  conversationsWithDeliverable,
  countWaiting,
  enqueueMessage,
  getOutboxItem,
  listOutbox,
  loadChanged,
  outboxDepth,
  outboxTotals,
  summarizeOutbox,
  type ChangedMessage,
  type OutboxRecord,
  type OutboxSummary,
} from '../store/outbox';
import { toStorageError } from '../store/sqlite-errors';
import { WriteQueue } from '../store/write-queue';
import type { IncomingNotice } from '../attention';
import { Reconciler } from '../sync/reconciler';
import { DeliveryEngine, type DeliveryTiming } from './engine';

export type OutboxLimits = Readonly<{
  maxMessages: number;
  maxBytes: number;
  /** Used until a server handshake says otherwise. */
  defaultMaxMessageBytes: number;
  /** Sends in flight per conversation when the server numbers them (client_seq). */
  pipelineWindow: number;
}>;

export const DEFAULT_OUTBOX_LIMITS: OutboxLimits = {
  maxMessages: 10_000,
  maxBytes: 50 * 1024 * 1024,
  defaultMaxMessageBytes: 64 * 1024,
  pipelineWindow: 256,
};

/** Room the `send` frame's own fields take around the text, inside the server's frame limit. */
export const FRAME_ENVELOPE_BYTES = 1024;

export type MessageLimits = Readonly<{
  /** UTF-8 bytes of text the server accepts. */
  textBytes: number;
  /** Bytes the text may take once JSON-escaped inside a `send` frame (null: not known yet). */
  frameTextBytes: number | null;
}>;

/**
 * What `messages:send` accepts: the server's advertised message limit, else the default (64 KB),
 * and never more than fits in one frame beside the envelope.
 */
export function messageLimits(capabilities: ServerCapabilities, defaultTextBytes: number): MessageLimits {
  const frameTextBytes = Math.max(0, capabilities.maxPayloadBytes - FRAME_ENVELOPE_BYTES);
  return { textBytes: Math.min(capabilities.maxMessageBytes ?? defaultTextBytes, frameTextBytes), frameTextBytes };
}

/** Over the limits: the UTF-8 size, or the escaped size in the frame (control characters grow 6×). */
export function exceedsLimits(text: string, sizeBytes: number, limits: MessageLimits): boolean {
  if (sizeBytes > limits.textBytes) return true;
  // Escaping can at most sextuple the text, so short texts skip the measurement.
  if (limits.frameTextBytes === null || sizeBytes * 6 + 2 <= limits.frameTextBytes) return false;
  return Buffer.byteLength(JSON.stringify(text), 'utf8') > limits.frameTextBytes;
}

function readLimits(db: DB, defaultTextBytes: number): MessageLimits {
  try {
    const stored = JSON.parse(getSetting(db, 'message_limits') ?? 'null') as Partial<MessageLimits> | null;
    if (stored && typeof stored.textBytes === 'number' && (typeof stored.frameTextBytes === 'number' || stored.frameTextBytes === null)) {
      return { textBytes: stored.textBytes, frameTextBytes: stored.frameTextBytes };
    }
  } catch {
    // unreadable: the default until the next handshake
  }
  return { textBytes: defaultTextBytes, frameTextBytes: null };
}

export type DeliveryServiceOptions = Readonly<{
  db: DB;
  link: ServerLink;
  clock: Clock;
  random: () => number;
  timing: DeliveryTiming & Readonly<{ syncTimeoutMs: number; eventBatchMs: number }>;
  limits: OutboxLimits;
  log: Logger;
  events: CoreEventBus;
  metrics: Metrics;
  onStorageError?: (error: unknown) => void;
  /** Each message from someone else, once stored; history pages fetched while scrolling back are not news. */
  onIncoming?: (notice: IncomingNotice) => void;
}>;

type DeliveryHandlers = {
  'conversations:list': () => Promise<Res<'conversations:list'>>;
  'messages:list': (req: {
    conversationId: string;
    olderCursor?: string | null | undefined;
    limit?: number | undefined;
  }) => Promise<Res<'messages:list'>>;
  'messages:send': (req: { conversationId: string; text: string }) => Promise<Res<'messages:send'>>;
  'messages:markRead': (req: { conversationId: string }) => Promise<Res<'messages:markRead'>>;
  'outbox:list': () => Promise<Res<'outbox:list'>>;
  'outbox:retry': (req: { key: string | null }) => Promise<Res<'outbox:retry'>>;
  'outbox:discard': (req: { key: string }) => Promise<Res<'outbox:discard'>>;
  'outbox:confirm': (req: { key: string; send: boolean }) => Promise<Res<'outbox:confirm'>>;
};

export type DeliveryService = Readonly<{
  handlers: DeliveryHandlers;
  /** Messages of every user not yet acknowledged: what the quit guard warns about. */
  pendingCount(): number;
  /** The signed-in user's waiting messages, for the connection banner. */
  pendingCountForCurrentUser(): number;
  summary(): OutboxSummary;
  /** Resolves when the resync after the latest connect is done (tests, benchmarks). */
  whenSynced(): Promise<void>;
  start(): void;
  stop(): void;
}>;

function isErrorCode(code: string | null): code is ErrorCode {
  return code !== null && (ERROR_CODES as readonly string[]).includes(code);
}

export function createDeliveryService(o: DeliveryServiceOptions): DeliveryService {
  const { db, link, clock, log } = o;
  const writes = new WriteQueue(db, (error) => {
    log.error('store: batched write failed', error);
    o.onStorageError?.(error);
  });
  const deviceId = (() => {
    const existing = getSetting(db, 'device_id');
    if (existing) return existing;
    const id = randomUUID();
    setSetting(db, 'device_id', id);
    return id;
  })();

  // ---- Change events, coalesced per eventBatchMs --------------------------------------------
  const changedKeys = new Map<string, { ownerId: string; conversationId: string }>();
  const changedConversations = new Map<string, string>();
  const notifications = new Map<ErrorCode, { count: number; messageKey: string | null; detail?: string; retryAfterMs?: number }>();
  let flushTimer: TimerHandle | null = null;
  let stopped = false;

  function scheduleFlush(): void {
    if (flushTimer || stopped) return;
    flushTimer = clock.setTimeout(flushEvents, o.timing.eventBatchMs);
  }

  function messageChanged(ownerId: string, key: string, conversationId: string): void {
    changedKeys.set(key, { ownerId, conversationId });
    changedConversations.set(conversationId, ownerId);
    scheduleFlush();
  }

  function notify(code: ErrorCode, options: Readonly<{ messageKey?: string; detail?: string; retryAfterMs?: number }>): void {
    const entry = notifications.get(code);
    if (entry) {
      entry.count += 1;
      entry.messageKey = null;
      if (options.retryAfterMs !== undefined) entry.retryAfterMs = options.retryAfterMs;
    } else {
      notifications.set(code, {
        count: 1,
        messageKey: options.messageKey ?? null,
        ...(options.detail !== undefined ? { detail: options.detail } : {}),
        ...(options.retryAfterMs !== undefined ? { retryAfterMs: options.retryAfterMs } : {}),
      });
    }
    scheduleFlush();
  }

  /** Depth by state and the oldest waiting message, from indexes (migration 0005): every flush can afford it. */
  function reportDepth(): void {
    const depth = outboxDepth(db);
    const sending = Math.min(engine.sendingCount(), depth.byState.saved);
    o.metrics.outboxDepth({ ...depth.byState, saved: depth.byState.saved - sending, sending });
    o.metrics.outboxOldestWaiting(depth.oldestWaitingComposedAt);
  }

  function flushEvents(): void {
    flushTimer = null;
    if (stopped) return;
    writes.flush();
    // Every outbox change schedules this flush, so the gauges follow each batch of them.
    reportDepth();
    const owner = link.currentUserId();
    const messages: MessageView[] = [];
    const items: OutboxItem[] = [];
    const keys = owner === null ? [] : [...changedKeys].filter(([, change]) => change.ownerId === owner).map(([key]) => key);
    // One query and one pass over the lanes for the whole batch (thousands of keys while draining).
    const changed = owner === null || keys.length === 0 ? new Map<string, ChangedMessage>() : loadChanged(db, owner, keys);
    const sending = keys.length === 0 ? new Set<string>() : engine.sendingKeys();
    for (const key of keys) {
      const found = changed.get(key);
      if (found && owner !== null) messages.push(toView(owner, found.message, sending));
      if (found?.outbox) items.push(toOutboxItem(found.outbox, sending));
      else if (found) items.push(sentItem(found.message));
      else items.push(removedItem(key, changedKeys.get(key)?.conversationId ?? ''));
    }
    changedKeys.clear();
    const conversations: ConversationSummary[] = [];
    for (const [conversationId, ownerId] of changedConversations) {
      if (ownerId !== owner) continue;
      const summary = summarize(ownerId, conversationId);
      if (summary) conversations.push(summary);
    }
    changedConversations.clear();
    if (messages.length > 0) o.events.emit('messages:changed', { messages });
    if (items.length > 0) o.events.emit('outbox:changed', { items });
    if (conversations.length > 0) o.events.emit('conversations:changed', { conversations });
    for (const [code, entry] of notifications) {
      const id = newErrorId();
      const base = describeError(code, entry.retryAfterMs);
      const message = entry.count > 1 ? `${base} (${entry.count} messages)` : base;
      log.info(`notify: ${code} [${id}] x${entry.count}`);
      const actions: ('retry' | 'discard' | 'details')[] =
        code === 'RATE_LIMITED' ? [] : code === 'MESSAGES_HELD' ? ['details'] : ['retry', 'discard'];
      o.events.emit('notification', {
        id,
        code,
        message,
        severity: code === 'RATE_LIMITED' ? 'warning' : code === 'MESSAGES_HELD' ? 'warning' : 'error',
        sticky: code !== 'RATE_LIMITED',
        at: clock.now(),
        actions,
        messageKey: entry.messageKey,
      });
    }
    notifications.clear();
  }

  // ---- Views --------------------------------------------------------------------------------
  const names = new Map<string, string>();
  function conversationName(ownerId: string, conversationId: string): string {
    const cached = names.get(conversationId);
    if (cached !== undefined) return cached;
    const name = listConversations(db, ownerId).find((c) => c.id === conversationId)?.name ?? '';
    names.set(conversationId, name);
    return name;
  }

  function isSending(key: string, sending: ReadonlySet<string> | null): boolean {
    return sending ? sending.has(key) : engine.isSending(key);
  }

  function stateOf(record: MessageRecord, sending: ReadonlySet<string> | null): MessageState {
    if (record.outboxState === null) return 'sent';
    if (record.outboxState === 'saved' && isSending(record.key, sending)) return 'sending';
    if (record.outboxState === 'confirming') return 'confirming';
    return record.outboxState;
  }

  function errorOf(code: string | null, message: string | null, id: string | null): MessageView['error'] {
    if (!isErrorCode(code)) return null;
    return { code, message: message ?? describeError(code), id: id ?? '' };
  }

  function toView(ownerId: string, record: MessageRecord, sending: ReadonlySet<string> | null = null): MessageView {
    const state = stateOf(record, sending);
    return {
      key: record.key,
      serverId: record.serverId,
      conversationId: record.conversationId,
      senderId: record.senderId,
      isOwn: record.senderId === ownerId,
      text: record.text,
      seq: record.seq,
      composedAt: record.composedAt,
      state,
      error: state === 'failed' || state === 'expired' ? errorOf(record.errorCode, record.errorMessage, record.errorId) : null,
    };
  }

  function toOutboxItem(row: OutboxRecord, sending: ReadonlySet<string> | null = null): OutboxItem {
    const state: MessageState = row.state === 'saved' && isSending(row.key, sending) ? 'sending' : row.state;
    return {
      key: row.key,
      conversationId: row.conversationId,
      conversationName: conversationName(row.ownerId, row.conversationId),
      state,
      composedAt: row.composedAt,
      attempts: row.attempts,
      lastError: errorOf(row.errorCode, row.errorMessage, row.errorId),
      nextAttemptAt: row.nextAttemptAt,
      sizeBytes: row.sizeBytes,
      history: row.history.map((attempt) => ({
        at: attempt.at,
        transport: attempt.transport,
        outcome: attempt.outcome,
        error: isErrorCode(attempt.code) ? { code: attempt.code, message: describeError(attempt.code), id: '' } : null,
      })),
    };
  }

  /** An item that left the outbox because the server has it; the renderer drops it on `sent`. */
  function sentItem(record: MessageRecord): OutboxItem {
    return {
      key: record.key,
      conversationId: record.conversationId,
      conversationName: '',
      state: 'sent',
      composedAt: record.composedAt,
      attempts: 0,
      lastError: null,
      nextAttemptAt: null,
      sizeBytes: 0,
      history: [],
    };
  }

  /** A discarded message: gone from both tables; `sent` is the only state that removes it. */
  function removedItem(key: string, conversationId: string): OutboxItem {
    return { ...sentItem({ key, conversationId, composedAt: 0 } as MessageRecord) };
  }

  function summarize(ownerId: string, conversationId: string): ConversationSummary | null {
    const overview = conversationOverview(db, ownerId, conversationId);
    if (!overview) return null;
    const { conversation, last } = overview;
    return {
      id: conversation.id,
      type: conversation.type,
      name: conversation.name,
      lastMessage: last
        ? { preview: last.text.slice(0, 200), at: last.composedAt, senderId: last.senderId, isOwn: last.senderId === ownerId }
        : null,
      unreadCount: overview.unreadCount,
      pendingCount: overview.pendingCount,
      lastSeq: conversation.lastSeq,
    };
  }

  // ---- Engine and reconciler ---------------------------------------------------------------
  const reconciler = new Reconciler({
    db,
    writes,
    link,
    clock,
    log: log.scope('sync'),
    syncTimeoutMs: o.timing.syncTimeoutMs,
    metrics: o.metrics,
    sink: {
      messageChanged,
      deliveredElsewhere: (_ownerId, conversationId, key) => engine.deliveredElsewhere(conversationId, key),
      received: (message, key, source) => {
        if (source === 'rest') return;
        o.onIncoming?.({
          key,
          conversationId: message.conversationId,
          senderId: message.senderId,
          text: message.text ?? '',
          at: message.createdAt ?? clock.now(),
          viaResync: source === 'sync',
        });
      },
    },
  });

  const engine = new DeliveryEngine({
    db,
    writes,
    link,
    clock,
    random: o.random,
    timing: o.timing,
    pipelineWindow: o.limits.pipelineWindow,
    deviceId,
    log: log.scope('outbox'),
    metrics: o.metrics,
    sink: {
      messageChanged,
      delivered: (ownerId, conversationId, seq) => reconciler.recordOwnDelivery(ownerId, conversationId, seq),
      notify,
    },
  });

  // Messages left from an earlier run count from the start, before anything changes.
  reportDepth();

  /** Conversations that have a row already, so an enqueue writes two rows, not three. */
  const knownConversations = new Set<string>();
  // The last server's limits, so a message written offline is checked as that server would.
  let limits = readLimits(db, o.limits.defaultMaxMessageBytes);
  /** An upper bound of the outbox size: deliveries only shrink it, so it is re-counted only near the cap. */
  let approximate = outboxTotals(db);
  let connectEpoch = 0;
  let synced: Promise<void> = Promise.resolve();

  async function refreshConversations(ownerId: string, capabilities: ServerCapabilities): Promise<void> {
    if (capabilities.mode === 'legacy') return;
    const limit = 100;
    for (let offset = 0; offset < 100_000; offset += limit) {
      const response = await link.requestParsed(SERVER_BODIES.conversationList, 'GET', `/conversations?limit=${limit}&offset=${offset}`);
      if (response.status !== 200 || response.value === null) return;
      const list = response.value.items;
      writes.push(() => {
        for (const c of list) {
          upsertConversation(db, ownerId, {
            id: c.id,
            ...(c.type !== undefined ? { type: c.type } : {}),
            ...(typeof c.name === 'string' ? { name: c.name } : {}),
            ...(c.last_seq !== undefined ? { lastSeq: c.last_seq } : {}),
            ...(c.unread_count !== undefined ? { unreadCount: c.unread_count } : {}),
          });
          names.delete(c.id);
        }
      });
      for (const c of list) changedConversations.set(c.id, ownerId);
      scheduleFlush();
      if (response.value.received < limit) return;
    }
  }

  /** After every (re)connect: conversations, then per conversation a resync, then its outbox lane. */
  async function onConnect(capabilities: ServerCapabilities): Promise<void> {
    const ownerId = link.currentUserId();
    if (ownerId === null) return;
    const epoch = ++connectEpoch;
    const next = messageLimits(capabilities, o.limits.defaultMaxMessageBytes);
    if (next.textBytes !== limits.textBytes || next.frameTextBytes !== limits.frameTextBytes) {
      limits = next;
      setSetting(db, 'message_limits', JSON.stringify(limits));
    }
    writes.flush();
    const known = new Set([...listConversations(db, ownerId).map((c) => c.id), ...conversationsWithDeliverable(db, ownerId)]);
    reconciler.connected(capabilities, ownerId);
    const held = engine.connected(capabilities, ownerId, [...known]);
    for (const key of held) {
      const row = getOutboxItem(db, key);
      if (row) messageChanged(ownerId, key, row.conversationId);
    }
    if (held.length > 0) notify('MESSAGES_HELD', held.length === 1 && held[0] ? { messageKey: held[0] } : {});
    try {
      await refreshConversations(ownerId, capabilities);
    } catch (error) {
      log.warn(`conversations: refresh failed (${error instanceof Error ? error.message : String(error)})`);
    }
    if (epoch !== connectEpoch) return;
    writes.flush();
    const all = new Set([...known, ...listConversations(db, ownerId).map((c) => c.id)]);
    if (capabilities.mode === 'legacy') link.watchConversations([...all]);
    await Promise.all(
      [...all].map(async (conversationId) => {
        await reconciler.sync(conversationId);
        if (epoch === connectEpoch) engine.release(conversationId);
      }),
    );
    if (epoch === connectEpoch) engine.kickAll(conversationsWithDeliverable(db, ownerId));
  }

  function currentOwner(): string {
    const ownerId = link.currentUserId();
    if (ownerId === null) throw new AppError('NOT_SIGNED_IN');
    return ownerId;
  }

  const unsubscribes: (() => void)[] = [];

  /** Handlers throw AppError synchronously; callers expect a rejected promise. */
  function settled<T, A extends unknown[]>(fn: (...args: A) => T | Promise<T>): (...args: A) => Promise<T> {
    return (...args) => {
      try {
        return Promise.resolve(fn(...args));
      } catch (error) {
        return Promise.reject(error instanceof Error ? error : new Error(String(error)));
      }
    };
  }

  const handlers: DeliveryHandlers = {
    'conversations:list': settled(() => {
      const ownerId = link.currentUserId();
      if (ownerId === null) return Promise.resolve([]);
      writes.flush();
      return Promise.resolve(
        listConversations(db, ownerId)
          .map((c) => summarize(ownerId, c.id))
          .filter((c): c is ConversationSummary => c !== null),
      );
    }),
    'messages:list': settled(async (req: Parameters<DeliveryHandlers['messages:list']>[0]) => {
      const ownerId = currentOwner();
      const limit = req.limit ?? 50;
      let cursor = null;
      if (req.olderCursor) {
        cursor = decodeCursor(req.olderCursor);
        if (!cursor) throw new AppError('INVALID_REQUEST', 'That page cursor is not valid.');
      }
      writes.flush();
      let page = listMessagePage(db, ownerId, req.conversationId, cursor, limit);
      if (page.older === null && page.messages.length < limit && link.capabilities() !== null) {
        // The cache ends here; the server may have older history.
        const oldest = oldestStoredSeq(db, ownerId, req.conversationId);
        if (oldest !== null && oldest > 1) {
          try {
            const fetched = await reconciler.fetchOlder(ownerId, req.conversationId, oldest, limit);
            if (fetched > 0) page = listMessagePage(db, ownerId, req.conversationId, cursor, limit);
          } catch (error) {
            log.info(`history: older page unavailable (${error instanceof Error ? error.message : String(error)})`);
          }
        }
      }
      return {
        messages: page.messages.map((m) => toView(ownerId, m)),
        olderCursor: page.older ? encodeCursor(page.older) : null,
      };
    }),
    'messages:send': settled((req: Parameters<DeliveryHandlers['messages:send']>[0]) => {
      const ownerId = currentOwner();
      const sizeBytes = Buffer.byteLength(req.text, 'utf8');
      if (exceedsLimits(req.text, sizeBytes, limits)) {
        throw new AppError(
          'MESSAGE_TOO_LARGE',
          `This message is ${sizeBytes.toLocaleString('en')} bytes; the server takes up to ${limits.textBytes.toLocaleString('en')}. Shorten it and try again.`,
        );
      }
      if (approximate.count + 1 > o.limits.maxMessages || approximate.bytes + sizeBytes > o.limits.maxBytes) {
        writes.flush();
        approximate = outboxTotals(db);
        if (approximate.count + 1 > o.limits.maxMessages || approximate.bytes + sizeBytes > o.limits.maxBytes) {
          throw new AppError('OUTBOX_FULL');
        }
      }
      const key = randomUUID();
      const composedAt = clock.now();
      // Batched writes first, so this commit stands alone and returns only when it is durable.
      writes.flush();
      const known = knownConversations.has(`${ownerId}\u0000${req.conversationId}`);
      try {
        enqueueMessage(db, { ownerId, conversationId: req.conversationId, key, text: req.text, sizeBytes, composedAt }, known);
      } catch (error) {
        throw toStorageError(error);
      }
      knownConversations.add(`${ownerId}\u0000${req.conversationId}`);
      // Legacy Nova has no conversation list and one socket per conversation: a conversation first
      // written to while connected must be watched now, not only after the next reconnect.
      if (!known && link.capabilities()?.mode === 'legacy') {
        link.watchConversations([...new Set([...listConversations(db, ownerId).map((c) => c.id), req.conversationId])]);
      }
      o.metrics.messageEnqueued(sizeBytes);
      approximate = { count: approximate.count + 1, bytes: approximate.bytes + sizeBytes };
      changedConversations.set(req.conversationId, ownerId);
      scheduleFlush();
      const view: MessageView = {
        key,
        serverId: null,
        conversationId: req.conversationId,
        senderId: ownerId,
        isOwn: true,
        text: req.text,
        seq: null,
        composedAt,
        state: 'saved',
        error: null,
      };
      engine.kick(req.conversationId);
      return Promise.resolve(view);
    }),
    'messages:markRead': settled(async (req: Parameters<DeliveryHandlers['messages:markRead']>[0]) => {
      const ownerId = currentOwner();
      writes.flush();
      const readSeq = markConversationRead(db, ownerId, req.conversationId);
      changedConversations.set(req.conversationId, ownerId);
      scheduleFlush();
      const capabilities = link.capabilities();
      if (capabilities === null || readSeq === 0) return null;
      if (capabilities.mode === 'compat' && link.sendFrame({ type: 'read', conversation_id: req.conversationId, last_read_seq: readSeq })) {
        return null;
      }
      try {
        await link.request('POST', `/conversations/${encodeURIComponent(req.conversationId)}/read`, { last_read_seq: readSeq });
      } catch (error) {
        log.info(`read marker not sent (${error instanceof Error ? error.message : String(error)})`);
      }
      return null;
    }),
    'outbox:list': settled(() => {
      const ownerId = link.currentUserId();
      if (ownerId === null) return Promise.resolve([]);
      writes.flush();
      const sending = engine.sendingKeys();
      return Promise.resolve(listOutbox(db, ownerId).map((row) => toOutboxItem(row, sending)));
    }),
    'outbox:retry': settled((req: Parameters<DeliveryHandlers['outbox:retry']>[0]) => {
      const ownerId = currentOwner();
      writes.flush();
      const keys =
        req.key !== null
          ? [req.key]
          : listOutbox(db, ownerId)
              .filter((row) => row.state === 'failed' || row.state === 'expired')
              .map((row) => row.key);
      let count = 0;
      for (const key of keys) {
        const row = getOutboxItem(db, key);
        if (row?.ownerId === ownerId && engine.retry(key)) count += 1;
      }
      return Promise.resolve({ count });
    }),
    'outbox:discard': settled((req: Parameters<DeliveryHandlers['outbox:discard']>[0]) => {
      const ownerId = currentOwner();
      writes.flush();
      if (!engine.discard(ownerId, req.key)) {
        throw new AppError('CONFLICT', 'This message is being sent or is already gone, so it cannot be discarded now.');
      }
      approximate = outboxTotals(db);
      return Promise.resolve(null);
    }),
    'outbox:confirm': settled((req: Parameters<DeliveryHandlers['outbox:confirm']>[0]) => {
      const ownerId = currentOwner();
      writes.flush();
      if (!engine.confirm(ownerId, req.key, req.send)) {
        throw new AppError('NOT_FOUND', 'That message is no longer waiting for you.');
      }
      if (!req.send) approximate = outboxTotals(db);
      return Promise.resolve(null);
    }),
  };

  return {
    handlers,
    pendingCount: () => {
      writes.flush();
      return countWaiting(db, null);
    },
    pendingCountForCurrentUser: () => {
      const ownerId = link.currentUserId();
      if (ownerId === null) return 0;
      writes.flush();
      return countWaiting(db, ownerId);
    },
    summary: () => {
      writes.flush();
      return summarizeOutbox(db, clock.now());
    },
    whenSynced: () => synced,
    start() {
      unsubscribes.push(
        link.onDidConnect((capabilities) => {
          synced = onConnect(capabilities).catch((error: unknown) => {
            log.error('delivery: connect handling failed', error);
          });
        }),
        link.onDidDisconnect((reason) => {
          connectEpoch += 1;
          reconciler.disconnected();
          engine.disconnected(reason);
        }),
        link.onFrame((frame) => {
          switch (frame['type']) {
            case 'ack':
              handleAckFrame(frame);
              return;
            case 'nack':
              handleNackFrame(frame);
              return;
            case 'message':
              reconciler.handleMessageFrame(frame);
              return;
            case 'sync_complete':
              reconciler.handleSyncComplete(frame);
              return;
            default:
              return;
          }
        }),
      );
      const capabilities = link.capabilities();
      if (capabilities) synced = onConnect(capabilities);
    },
    stop() {
      if (stopped) return;
      for (const unsubscribe of unsubscribes.splice(0)) unsubscribe();
      engine.stop();
      writes.close();
      stopped = true;
      if (flushTimer) clock.clearTimeout(flushTimer);
    },
  };

  function handleAckFrame(frame: ServerFrameOf<'ack'>): void {
    // An ack without the stored message (id, number) says nothing delivery can record.
    if (!frame.message) return;
    engine.handleAck({
      idempotencyKey: frame.idempotency_key,
      conversationId: frame.conversation_id ?? null,
      serverId: frame.message.id,
      seq: frame.message.sequence_number,
      clientSeq: frame.client_seq ?? null,
      duplicate: frame.status === 'duplicate',
    });
  }

  function handleNackFrame(frame: ServerFrameOf<'nack'>): void {
    engine.handleNack({
      idempotencyKey: frame.idempotency_key,
      conversationId: frame.conversation_id,
      code: frame.code,
      message: frame.error,
      retryable: frame.retryable,
      retryAfterMs: frame.retry_after_ms ?? null,
      clientSeq: frame.client_seq ?? null,
      expectedClientSeq: frame.expected_client_seq ?? null,
    });
  }
}
