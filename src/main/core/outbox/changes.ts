/**
 * Delivery's change batch: everything that changes a message, an outbox row or a conversation
 * marks it here, and once per change window (`ChangeWindow`, eventBatchMs) the marks become one
 * messages:changed, one outbox:changed, one conversations:changed (read from the store in one
 * query) and one notification per code. The outbox gauges follow each batch.
 */
import type { ConversationSummary, MessageView, OutboxItem } from '../../../shared/contract';
import type { ErrorCode } from '../../../shared/errors';
import type { ChangeWindow, CoreEventBus } from '../events';
import type { ServerLink } from '../link';
import type { Metrics } from '../metrics';
import type { NotificationBatch, NotificationCenter } from '../notifications';
import type { DB } from '../store/database';
import { loadChanged, outboxDepth, type ChangedMessage } from '../store/outbox';
import type { WriteQueue } from '../store/write-queue';
import { conversationSummary, type ConversationNames } from './conversations';
import { removedItem, sentItem, toMessageView, toOutboxItem } from './views';

/** The sends in flight, as the engine knows them. */
export type InFlight = Readonly<{ keys(): ReadonlySet<string>; count(): number }>;

export type OutboxChangesOptions = Readonly<{
  db: DB;
  writes: WriteQueue;
  link: Pick<ServerLink, 'currentUserId'>;
  window: ChangeWindow;
  events: CoreEventBus;
  metrics: Metrics;
  notifications: NotificationCenter;
  names: ConversationNames;
  inFlight: InFlight;
}>;

export class OutboxChanges {
  private readonly changedKeys = new Map<string, { ownerId: string; conversationId: string }>();
  private readonly changedConversations = new Map<string, string>();
  private readonly notifications: NotificationBatch;
  private readonly flushBound = (): void => this.flush();

  constructor(private readonly o: OutboxChangesOptions) {
    this.notifications = o.notifications.batch();
  }

  messageChanged(ownerId: string, key: string, conversationId: string): void {
    this.changedKeys.set(key, { ownerId, conversationId });
    this.changedConversations.set(conversationId, ownerId);
    this.o.window.mark(this.flushBound);
  }

  conversationChanged(ownerId: string, conversationId: string): void {
    this.changedConversations.set(conversationId, ownerId);
    this.o.window.mark(this.flushBound);
  }

  /** A queued message stopped or waits: merged with the batch's others of the same code. */
  notify(code: ErrorCode, options: Readonly<{ messageKey?: string; retryAfterMs?: number }>): void {
    this.notifications.add(code, 'message', options);
    this.o.window.mark(this.flushBound);
  }

  /** Depth by state and the oldest waiting message, from indexes (migration 0005): every flush can afford it. */
  reportDepth(): void {
    const depth = outboxDepth(this.o.db);
    const sending = Math.min(this.o.inFlight.count(), depth.byState.saved);
    this.o.metrics.outboxDepth({ ...depth.byState, saved: depth.byState.saved - sending, sending });
    this.o.metrics.outboxOldestWaiting(depth.oldestWaitingComposedAt);
  }

  private flush(): void {
    const { db, events } = this.o;
    this.o.writes.flush();
    // Every outbox change marks this flush, so the gauges follow each batch of them.
    this.reportDepth();
    const owner = this.o.link.currentUserId();
    const messages: MessageView[] = [];
    const items: OutboxItem[] = [];
    const keys = owner === null ? [] : [...this.changedKeys].filter(([, change]) => change.ownerId === owner).map(([key]) => key);
    // One query and one pass over the lanes for the whole batch (thousands of keys while draining).
    const changed = owner === null || keys.length === 0 ? new Map<string, ChangedMessage>() : loadChanged(db, owner, keys);
    const sending = keys.length === 0 ? new Set<string>() : this.o.inFlight.keys();
    for (const key of keys) {
      const found = changed.get(key);
      if (found && owner !== null) messages.push(toMessageView(owner, found.message, sending));
      if (found?.outbox) items.push(toOutboxItem(found.outbox, sending, this.o.names.nameOf(found.outbox.ownerId, found.outbox.conversationId)));
      else if (found) items.push(sentItem(found.message));
      else items.push(removedItem(key, this.changedKeys.get(key)?.conversationId ?? ''));
    }
    this.changedKeys.clear();
    const conversations: ConversationSummary[] = [];
    for (const [conversationId, ownerId] of this.changedConversations) {
      if (ownerId !== owner) continue;
      const summary = conversationSummary(db, ownerId, conversationId);
      if (summary) conversations.push(summary);
    }
    this.changedConversations.clear();
    if (messages.length > 0) events.emit('messages:changed', { messages });
    if (items.length > 0) events.emit('outbox:changed', { items });
    if (conversations.length > 0) events.emit('conversations:changed', { conversations });
    this.notifications.flush();
  }
}
