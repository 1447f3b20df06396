/**
 * Delivery's side of the link. At every (re)connect: learn the server's limits, hold messages
 * written long ago, refresh the conversation list, resync each conversation and only then open
 * its lane. At a disconnect: park the lanes and the resyncs. Server frames go to the engine
 * (ack, nack) or the reconciler (message, sync_complete).
 */
import type { Unsubscribe } from '../../../shared/contract';
import { isLocalConversationId } from '../../../shared/people';
import type { ServerFrameOf } from '../../../shared/protocol';
import type { ServerCapabilities, ServerLink } from '../link';
import type { Logger } from '../logging';
import type { DB } from '../store/database';
import { listConversations } from '../store/messages';
import { conversationsWithDeliverable, getOutboxItem } from '../store/outbox';
import type { WriteQueue } from '../store/write-queue';
import type { ChangeFeed } from '../sync/change-feed';
import type { Reconciler } from '../sync/reconciler';
import type { OutboxChanges } from './changes';
import type { Conversations } from './conversations';
import type { DeliveryEngine } from './engine';
import type { ServerLimits } from './limits';

export type DeliveryOptions = Readonly<{
  db: DB;
  writes: WriteQueue;
  link: ServerLink;
  log: Logger;
  engine: DeliveryEngine;
  reconciler: Reconciler;
  changeFeed: ChangeFeed;
  conversations: Conversations;
  changes: OutboxChanges;
  serverLimits: ServerLimits;
  /** Conversations made here go to the server before anything resyncs or sends (people/creations.ts). */
  beforeResync?: (ownerId: string, capabilities: ServerCapabilities) => Promise<void>;
}>;

export class Delivery {
  private connectEpoch = 0;
  private synced: Promise<void> = Promise.resolve();
  private readonly unsubscribes: Unsubscribe[] = [];

  constructor(private readonly o: DeliveryOptions) {}

  /** Resolves when the resync after the latest connect is done (tests, benchmarks). */
  whenSynced(): Promise<void> {
    return this.synced;
  }

  start(): void {
    const { link, log, engine, reconciler, changeFeed } = this.o;
    this.unsubscribes.push(
      link.onDidConnect((capabilities) => {
        this.synced = this.onConnect(capabilities).catch((error: unknown) => {
          log.error('delivery: connect handling failed', error);
        });
      }),
      link.onDidDisconnect((reason) => {
        this.connectEpoch += 1;
        reconciler.disconnected();
        changeFeed.disconnected();
        engine.disconnected(reason);
      }),
      link.onFrame((frame) => {
        switch (frame['type']) {
          case 'ack':
            handleAckFrame(engine, frame);
            return;
          case 'nack':
            handleNackFrame(engine, frame);
            return;
          case 'message':
            reconciler.handleMessageFrame(frame);
            return;
          case 'sync_complete':
            reconciler.handleSyncComplete(frame);
            changeFeed.noteHead(frame.conversation_id, frame.last_updated_seq);
            return;
          case 'message_edited':
            changeFeed.handleEdited(frame);
            return;
          case 'message_deleted':
            changeFeed.handleDeleted(frame);
            return;
          default:
            return;
        }
      }),
    );
    const capabilities = link.capabilities();
    if (capabilities) this.synced = this.onConnect(capabilities);
  }

  stop(): void {
    for (const unsubscribe of this.unsubscribes.splice(0)) unsubscribe();
  }

  /** After every (re)connect: conversations, then per conversation a resync, then its outbox lane. */
  private async onConnect(capabilities: ServerCapabilities): Promise<void> {
    const { db, writes, link, log, engine, reconciler, changeFeed, conversations, changes } = this.o;
    const ownerId = link.currentUserId();
    if (ownerId === null) return;
    const epoch = ++this.connectEpoch;
    this.o.serverLimits.learn(capabilities);
    writes.flush();
    const known = new Set([...listConversations(db, ownerId).map((c) => c.id), ...conversationsWithDeliverable(db, ownerId)]);
    reconciler.connected(capabilities, ownerId);
    changeFeed.connected(capabilities, ownerId);
    const held = engine.connected(capabilities, ownerId, [...known]);
    for (const key of held) {
      const row = getOutboxItem(db, key);
      if (row) changes.messageChanged(ownerId, key, row.conversationId);
    }
    if (held.length > 0) changes.notify('MESSAGES_HELD', held.length === 1 && held[0] ? { messageKey: held[0] } : {});
    try {
      await conversations.refreshConversations(ownerId, capabilities);
    } catch (error) {
      log.warn(`conversations: refresh failed (${error instanceof Error ? error.message : String(error)})`);
    }
    if (epoch !== this.connectEpoch) return;
    try {
      await this.o.beforeResync?.(ownerId, capabilities);
    } catch (error) {
      log.warn(`conversations: creations not replayed (${error instanceof Error ? error.message : String(error)})`);
    }
    if (epoch !== this.connectEpoch) return;
    writes.flush();
    // A conversation still waiting to be created has nothing on the server to resync yet.
    const all = new Set(
      [...known, ...listConversations(db, ownerId).map((c) => c.id)].filter((id) => !isLocalConversationId(id)),
    );
    if (capabilities.mode === 'legacy') link.watchConversations([...all]);
    await Promise.all(
      [...all].map(async (conversationId) => {
        await reconciler.sync(conversationId);
        if (epoch !== this.connectEpoch) return;
        engine.release(conversationId);
        // Edits and deletes made while we were away, once the messages they change are stored.
        await changeFeed.catchUp(conversationId);
      }),
    );
    if (epoch === this.connectEpoch) engine.kickAll(conversationsWithDeliverable(db, ownerId));
  }
}

function handleAckFrame(engine: DeliveryEngine, frame: ServerFrameOf<'ack'>): void {
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

function handleNackFrame(engine: DeliveryEngine, frame: ServerFrameOf<'nack'>): void {
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
