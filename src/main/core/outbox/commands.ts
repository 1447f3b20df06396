/**
 * What the user does to their own queued messages: send (checked against the server's limits and
 * the outbox caps, durable before it returns), retry, discard and confirm; and the outbox reads
 * that go with them (the list, the counts the banner and the quit guard show, the summary).
 */
import { randomUUID } from 'node:crypto';
import type { MessageView, OutboxItem } from '../../../shared/contract';
import { AppError } from '../../../shared/errors';
import { isLocalConversationId } from '../../../shared/people';
import type { Clock } from '../clock';
import type { ServerLink } from '../link';
import type { Metrics } from '../metrics';
import type { OutboxLimits } from '../options';
import type { DB } from '../store/database';
import { listConversations } from '../store/messages';
import {
  confirmHeld,
  countWaiting,
  discardMessage,
  enqueueMessage,
  getOutboxItem,
  listOutbox,
  outboxTotals,
  resetForRetry,
  summarizeOutbox,
  type OutboxSummary,
} from '../store/outbox';
import { toStorageError } from '../store/sqlite-errors';
import { TIMELINE_MAX_AGE_MS, pruneTimelines } from '../store/timeline';
import type { WriteQueue } from '../store/write-queue';
import { currentOwner, type ConversationNames } from './conversations';
import type { DeliveryEngine } from './engine';
import { exceedsLimits, type ServerLimits } from './limits';
import { toOutboxItem } from './views';

export type OutboxCommandsOptions = Readonly<{
  db: DB;
  writes: WriteQueue;
  link: ServerLink;
  clock: Clock;
  metrics: Metrics;
  limits: OutboxLimits;
  serverLimits: ServerLimits;
  engine: DeliveryEngine;
  names: ConversationNames;
  changes: Readonly<{
    messageChanged(ownerId: string, key: string, conversationId: string): void;
    conversationChanged(ownerId: string, conversationId: string): void;
  }>;
}>;

export class OutboxCommands {
  /** Conversations that have a row already, so an enqueue writes two rows, not three. */
  private readonly knownConversations = new Set<string>();
  /** An upper bound of the outbox size: deliveries only shrink it, so it is re-counted only near the cap. */
  private approximate: Readonly<{ count: number; bytes: number }>;

  constructor(private readonly o: OutboxCommandsOptions) {
    this.approximate = outboxTotals(o.db);
    pruneTimelines(o.db, o.clock.now() - TIMELINE_MAX_AGE_MS);
  }

  send(req: Readonly<{ conversationId: string; text: string }>): MessageView {
    const { db, writes, link, clock, limits } = this.o;
    const ownerId = currentOwner(link);
    const sizeBytes = Buffer.byteLength(req.text, 'utf8');
    const serverLimits = this.o.serverLimits.current;
    if (exceedsLimits(req.text, sizeBytes, serverLimits)) {
      throw new AppError(
        'MESSAGE_TOO_LARGE',
        `This message is ${sizeBytes.toLocaleString('en')} bytes; the server takes up to ${serverLimits.textBytes.toLocaleString('en')}. Shorten it and try again.`,
      );
    }
    if (this.approximate.count + 1 > limits.maxMessages || this.approximate.bytes + sizeBytes > limits.maxBytes) {
      writes.flush();
      this.approximate = outboxTotals(db);
      if (this.approximate.count + 1 > limits.maxMessages || this.approximate.bytes + sizeBytes > limits.maxBytes) {
        throw new AppError('OUTBOX_FULL');
      }
    }
    const key = randomUUID();
    const composedAt = clock.now();
    // Batched writes first, so this commit stands alone and returns only when it is durable.
    writes.flush();
    const known = this.knownConversations.has(`${ownerId}\u0000${req.conversationId}`);
    try {
      enqueueMessage(db, { ownerId, conversationId: req.conversationId, key, text: req.text, sizeBytes, composedAt }, known);
    } catch (error) {
      throw toStorageError(error);
    }
    this.knownConversations.add(`${ownerId}\u0000${req.conversationId}`);
    // Legacy Nova has no conversation list and one socket per conversation: a conversation first
    // written to while connected must be watched now, not only after the next reconnect.
    if (!known && link.capabilities()?.mode === 'legacy' && !isLocalConversationId(req.conversationId)) {
      const ids = listConversations(db, ownerId).map((c) => c.id).filter((id) => !isLocalConversationId(id));
      link.watchConversations([...new Set([...ids, req.conversationId])]);
    }
    this.o.metrics.messageEnqueued(sizeBytes);
    this.approximate = { count: this.approximate.count + 1, bytes: this.approximate.bytes + sizeBytes };
    this.o.changes.conversationChanged(ownerId, req.conversationId);
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
    this.o.engine.kick(req.conversationId);
    return view;
  }

  /**
   * "Send now" (one message) and "Retry all" (`key` null): stopped rows (failed, expired, held)
   * go back to the lane with a fresh budget; rows waiting out a backoff skip what is left of it,
   * except a wait the server named (Retry-After), which `serverWaitUntil` reports.
   */
  retry(key: string | null): { count: number; serverWaitUntil: number | null } {
    const { db, writes, link, engine, changes, clock } = this.o;
    const ownerId = currentOwner(link);
    writes.flush();
    const rows = key !== null ? [getOutboxItem(db, key)] : listOutbox(db, ownerId);
    let count = 0;
    const waiting = new Map<string, number>();
    for (const row of rows) {
      if (row?.ownerId !== ownerId) continue;
      if (row.state === 'saved' || row.state === 'confirming') {
        waiting.set(row.conversationId, (waiting.get(row.conversationId) ?? 0) + 1);
        continue;
      }
      if (!resetForRetry(db, row.key)) continue;
      changes.messageChanged(row.ownerId, row.key, row.conversationId);
      engine.reload(row.conversationId);
      count += 1;
    }
    let serverWaitUntil: number | null = null;
    // One reading for the lanes and the comparison: a later reading would make "now" look like a server wait.
    const now = clock.now();
    for (const [conversationId, rowsWaiting] of waiting) {
      const at = engine.sendNow(conversationId, now);
      if (at === null) continue;
      count += key !== null ? 1 : rowsWaiting;
      if (at > now) serverWaitUntil = Math.max(serverWaitUntil ?? 0, at);
    }
    return { count, serverWaitUntil };
  }

  /** Gone for good; refused while it is being sent (the server may have it already). */
  discard(key: string): null {
    const { db, writes, link, engine, changes } = this.o;
    const ownerId = currentOwner(link);
    writes.flush();
    const row = getOutboxItem(db, key);
    const done =
      row !== null && row.ownerId === ownerId && !engine.isSending(key) && row.state !== 'confirming' && discardMessage(db, ownerId, key);
    if (!done || !row) {
      throw new AppError('CONFLICT', 'This message is being sent or is already gone, so it cannot be discarded now.');
    }
    engine.dropQueued(row.conversationId, key);
    changes.messageChanged(ownerId, key, row.conversationId);
    this.approximate = outboxTotals(db);
    return null;
  }

  /** A held message: the user sends it after all, or drops it. */
  confirm(key: string, send: boolean): null {
    const { db, writes, link, engine, changes } = this.o;
    const ownerId = currentOwner(link);
    writes.flush();
    const row = getOutboxItem(db, key);
    const done = row !== null && row.ownerId === ownerId && (send ? confirmHeld(db, key) : discardMessage(db, ownerId, key));
    if (!done || !row) throw new AppError('NOT_FOUND', 'That message is no longer waiting for you.');
    changes.messageChanged(ownerId, key, row.conversationId);
    if (send) engine.reload(row.conversationId);
    else this.approximate = outboxTotals(db);
    return null;
  }

  list(): OutboxItem[] {
    const { db, writes, link, engine, names } = this.o;
    const ownerId = link.currentUserId();
    if (ownerId === null) return [];
    writes.flush();
    const sending = engine.sendingKeys();
    return listOutbox(db, ownerId).map((row) => toOutboxItem(row, sending, names.nameOf(row.ownerId, row.conversationId)));
  }

  /** Messages of every user not yet acknowledged: what the quit guard warns about. */
  pendingCount(): number {
    this.o.writes.flush();
    return countWaiting(this.o.db, null);
  }

  /** The signed-in user's waiting messages, for the connection banner. */
  pendingCountForCurrentUser(): number {
    const ownerId = this.o.link.currentUserId();
    if (ownerId === null) return 0;
    this.o.writes.flush();
    return countWaiting(this.o.db, ownerId);
  }

  /** Every user's rows, counted: the same for the diagnostics bundle signed in or out. */
  summary(): OutboxSummary {
    this.o.writes.flush();
    return summarizeOutbox(this.o.db, this.o.clock.now());
  }
}
