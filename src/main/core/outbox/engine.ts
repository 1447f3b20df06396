/**
 * The delivery engine: the per-conversation lanes that drain the durable outbox to the server
 * through the ServerLink. It holds the session (who sends, how), opens lanes as conversations
 * finish resyncing, routes each ack and nack to its lane, and parks every lane when the link
 * drops. Nothing is sent while disconnected or signed out; a retry wait never runs offline.
 * How one lane sends is `lane.ts`; what an attempt leaves behind is `records.ts`.
 */
import type { ErrorCode } from '../../../shared/errors';
import { isLocalConversationId } from '../../../shared/people';
import type { Clock } from '../clock';
import type { ServerCapabilities, ServerLink } from '../link';
import type { Logger } from '../logging';
import type { Metrics } from '../metrics';
import type { DB } from '../store/database';
import { completeDelivery, getAckedClientSeq, holdStale, setState } from '../store/outbox';
import type { WriteQueue } from '../store/write-queue';
import { Lane, deliveryMode, type DeliveryMode, type LaneHost, type Session } from './lane';
import { classifyNack } from './policy';
import { AttemptRecords } from './records';

export { deliveryMode, type DeliveryMode } from './lane';

export type DeliveryTiming = Readonly<{
  retryBaseMs: number;
  retryCapMs: number;
  ackTimeoutMs: number;
  retryBudgetMs: number;
  holdAfterMs: number;
}>;

/** What the engine tells the rest of the core: the change batch and the reconciler listen. */
export interface DeliverySink {
  messageChanged(ownerId: string, key: string, conversationId: string): void;
  /** The server confirmed delivery of a queued message (ack, REST 200, or its echo). */
  delivered(ownerId: string, conversationId: string, seq: number): void;
  notify(code: ErrorCode, options: Readonly<{ messageKey?: string; retryAfterMs?: number }>): void;
}

export type EngineOptions = Readonly<{
  db: DB;
  writes: WriteQueue;
  link: ServerLink;
  clock: Clock;
  random: () => number;
  timing: DeliveryTiming;
  pipelineWindow: number;
  deviceId: string;
  log: Logger;
  sink: DeliverySink;
  metrics: Metrics;
}>;

export class DeliveryEngine implements LaneHost {
  private activeSession: Session | null = null;
  private readonly lanes = new Map<string, Lane>();
  /** Conversations still resyncing after a connect: their lanes wait, as the protocol says. */
  private readonly gated = new Set<string>();
  private stopped = false;
  readonly records: AttemptRecords;

  constructor(readonly options: EngineOptions) {
    this.records = new AttemptRecords(options);
  }

  get mode(): DeliveryMode | null {
    return this.activeSession?.mode ?? null;
  }

  session(): Session | null {
    return this.activeSession;
  }

  isSending(key: string): boolean {
    for (const lane of this.lanes.values()) if (lane.hasInFlight(key)) return true;
    return false;
  }

  /** Sends in flight of rows stored as `saved`: the ones the window shows as "sending". */
  sendingCount(): number {
    let count = 0;
    for (const lane of this.lanes.values()) for (const sent of lane.inflight) if (sent.row.state === 'saved') count += 1;
    return count;
  }

  /** Every key in flight now: one pass for a whole batch of views instead of one per message. */
  sendingKeys(): ReadonlySet<string> {
    const keys = new Set<string>();
    for (const lane of this.lanes.values()) for (const sent of lane.inflight) keys.add(sent.row.key);
    return keys;
  }

  /**
   * A (re)connect: lanes of the listed conversations stay gated until `release`. Messages
   * written long before the connection came back are held for the user. Returns the held keys.
   */
  connected(capabilities: ServerCapabilities, ownerId: string, gate: readonly string[]): string[] {
    this.resetLanes('reconnected');
    this.activeSession = { ownerId, capabilities, mode: deliveryMode(capabilities), authPaused: false };
    for (const id of gate) this.gated.add(id);
    this.options.writes.flush();
    const held = holdStale(this.options.db, ownerId, this.options.clock.now() - this.options.timing.holdAfterMs);
    this.options.log.info(`outbox: connected (${this.activeSession.mode}), ${held.length} held`);
    return held;
  }

  release(conversationId: string): void {
    this.gated.delete(conversationId);
    this.kick(conversationId);
  }

  /** Every conversation with deliverable rows gets a lane and starts (after its gate opens). */
  kickAll(conversationIds: readonly string[]): void {
    for (const id of conversationIds) this.kick(id);
  }

  disconnected(reason: string): void {
    if (!this.activeSession) return;
    this.options.log.info(`outbox: disconnected (${reason})`);
    this.resetLanes(reason);
    this.activeSession = null;
    this.gated.clear();
  }

  /** A message was just written to the outbox, or one was released by the user. */
  kick(conversationId: string): void {
    const lane = this.lane(conversationId);
    lane.wake();
    lane.pump();
  }

  /** The user changed rows outside the lane's view (retry, confirm): load them again. */
  reload(conversationId: string): void {
    const lane = this.lane(conversationId);
    lane.reload();
    lane.pump();
  }

  /**
   * "Send now" on a lane waiting out a retry: when it sends next (now, or the server's named
   * wait), or null when the lane was not waiting (offline, or already sending).
   */
  sendNow(conversationId: string, now: number): number | null {
    const lane = this.lanes.get(conversationId);
    if (!lane || !this.activeSession) return null;
    const head = lane.queue[0];
    const at = lane.sendNow(now);
    if (at !== null && head) this.options.sink.messageChanged(head.ownerId, head.key, conversationId);
    return at;
  }

  /** A queued message left the outbox (discarded): the lane forgets it. */
  dropQueued(conversationId: string, key: string): void {
    const lane = this.lanes.get(conversationId);
    if (lane) lane.queue = lane.queue.filter((r) => r.key !== key);
  }

  /** The user withdrew a queued message: it is never sent again (a send in flight is answered MESSAGE_DELETED). */
  forget(conversationId: string, key: string): void {
    this.dropQueued(conversationId, key);
  }

  /** A queued message got new text: sends from now on carry it. */
  replaceText(conversationId: string, key: string, text: string): void {
    const lane = this.lanes.get(conversationId);
    if (!lane) return;
    lane.queue = lane.queue.map((r) => (r.key === key ? { ...r, text } : r));
    for (const sent of lane.inflight) if (sent.row.key === key) sent.row = { ...sent.row, text };
  }

  /** Reconciliation found the message on the server (its echo or a sync page): stop sending it. */
  deliveredElsewhere(conversationId: string, key: string): void {
    const lane = this.lanes.get(conversationId);
    if (!lane) return;
    lane.queue = lane.queue.filter((r) => r.key !== key);
    const before = lane.inflight.length;
    lane.inflight = lane.inflight.filter((s) => s.row.key !== key);
    if (lane.inflight.length !== before) {
      lane.armAckTimer();
      lane.pump();
    }
  }

  // ---- Frames ----------------------------------------------------------------------------

  handleAck(frame: Readonly<{
    idempotencyKey: string;
    conversationId: string | null;
    serverId: string;
    seq: number;
    clientSeq: number | null;
    duplicate: boolean;
  }>): void {
    const lane = this.findLane(frame.conversationId, frame.idempotencyKey);
    const sent = lane ? lane.takeOutstanding(frame.idempotencyKey) : null;
    if (lane && sent && !frame.duplicate && sent.epoch === lane.epoch && sent.clientSeq !== null && sent.clientSeq === frame.clientSeq) {
      // The server took exactly the number we chose: from here on our counter is its counter.
      lane.counterConfirmed = true;
      lane.nextClientSeq = Math.max(lane.nextClientSeq, sent.clientSeq + 1);
    }
    const ownerId = this.activeSession?.ownerId ?? this.options.link.currentUserId();
    if (ownerId === null) return;
    this.acknowledge(ownerId, lane, frame.idempotencyKey, frame.conversationId, frame.serverId, frame.seq, frame.clientSeq, 'ws', frame.duplicate);
  }

  handleNack(frame: Readonly<{
    idempotencyKey: string;
    conversationId: string;
    code: string;
    message: string;
    retryable: boolean;
    retryAfterMs: number | null;
    clientSeq: number | null;
    expectedClientSeq: number | null;
  }>): void {
    const lane = this.lanes.get(frame.conversationId);
    if (!lane) return;
    const sent = lane.takeOutstanding(frame.idempotencyKey);
    // An answer to a send we already gave up on (timeout, renumbering): it changes nothing.
    if (!sent || sent.epoch !== lane.epoch) return;
    const index = lane.inflight.indexOf(sent);
    if (index < 0) return;
    const verdict = classifyNack(frame.code, frame.retryable, frame.retryAfterMs, frame.expectedClientSeq);
    lane.applyVerdict(sent, index, verdict, frame.message, 'ws');
  }

  // ---- What lanes ask of the engine ------------------------------------------------------

  canSend(lane: Lane): Session | null {
    const session = this.activeSession;
    if (!session || session.authPaused || this.stopped) return null;
    if (this.gated.has(lane.conversationId) || lane.waitTimer !== null) return null;
    // Its conversation is not created yet: the creation goes first (people/creations.ts).
    if (isLocalConversationId(lane.conversationId)) return null;
    // One user's messages are never sent on another user's connection.
    if (this.options.link.currentUserId() !== session.ownerId) return null;
    return session;
  }

  currentLane(conversationId: string): Lane | null {
    return this.lanes.get(conversationId) ?? null;
  }

  pauseForAuth(): void {
    if (this.activeSession) this.activeSession.authPaused = true;
    for (const lane of this.lanes.values()) lane.requeue(0);
  }

  acknowledge(
    ownerId: string,
    lane: Lane | null,
    key: string,
    conversationId: string | null,
    serverId: string,
    seq: number,
    clientSeq: number | null,
    transport: 'ws' | 'rest',
    duplicate: boolean,
  ): void {
    const { metrics, writes, db, sink } = this.options;
    const at = this.options.clock.now();
    metrics.sendAttempt(transport, duplicate ? 'duplicate' : 'acked');
    // The server already had it (a resend after a lost ack): the copy was dropped on its side.
    if (duplicate) metrics.duplicateDropped('ack');
    let conversation = conversationId;
    if (lane) {
      conversation = lane.conversationId;
      lane.settle(key, transport);
    }
    if (conversation === null) return;
    const target = conversation;
    writes.push(() => {
      // Counted where the row leaves the outbox, once: a second ack for it finds it gone.
      const ack = { at, transport, outcome: duplicate ? ('duplicate' as const) : ('acked' as const), code: null };
      if (completeDelivery(db, ownerId, key, serverId, seq, ack)) writes.afterCommit(() => metrics.delivered());
    });
    if (clientSeq !== null) this.records.noteAckedClientSeq(ownerId, target, clientSeq);
    sink.delivered(ownerId, target, seq);
    sink.messageChanged(ownerId, key, target);
    if (!lane) return;
    // REST: the next POST waits for this one, one at a time per conversation.
    if (transport !== 'rest') lane.armAckTimer();
    lane.pump();
  }

  // ---- Internals -------------------------------------------------------------------------

  private lane(conversationId: string): Lane {
    let lane = this.lanes.get(conversationId);
    if (!lane) {
      const ownerId = this.activeSession?.ownerId;
      lane = new Lane(this, conversationId, ownerId ? getAckedClientSeq(this.options.db, ownerId, conversationId) + 1 : 1);
      this.lanes.set(conversationId, lane);
    }
    return lane;
  }

  private findLane(conversationId: string | null, key: string): Lane | null {
    if (conversationId !== null) return this.lanes.get(conversationId) ?? null;
    for (const lane of this.lanes.values()) {
      if (lane.outstanding.has(key) || lane.hasInFlight(key)) return lane;
    }
    return null;
  }

  private resetLanes(reason: string): void {
    const { writes, db, sink, log } = this.options;
    for (const lane of this.lanes.values()) {
      lane.clearTimers();
      if (lane.inflight.length > 0) {
        // Sent, but the answer can no longer come: the honest state is "confirming".
        for (const sent of lane.inflight) {
          writes.push(() => setState(db, sent.row.key, 'confirming'));
          sink.messageChanged(sent.row.ownerId, sent.row.key, lane.conversationId);
        }
        log.info(`outbox: ${lane.inflight.length} in flight when ${reason}; resend to confirm`);
      }
    }
    this.lanes.clear();
  }

  stop(): void {
    this.stopped = true;
    for (const lane of this.lanes.values()) lane.clearTimers();
    this.options.writes.flush();
  }
}
