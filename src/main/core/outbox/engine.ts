/**
 * The delivery engine: drains the durable outbox to the server through the ServerLink.
 *
 * - One lane per conversation: FIFO inside a lane, lanes in parallel.
 * - `pipelined` (the server advertises `client_seq`): up to `pipelineWindow` sends in flight
 *   per lane, each numbered with a per-device, per-conversation client_seq. The server accepts
 *   only the next number, so order holds however many are in flight; a repeated idempotency key
 *   is answered with the original ack, so a resend is never a second message (Kafka's
 *   idempotent producer).
 * - `single`: one WebSocket send at a time per lane. `rest`: one REST POST at a time (legacy).
 * - Nothing is sent while disconnected or signed out; a retry wait never runs offline.
 */
import type { Clock, TimerHandle } from '../clock';
import type { ParsedResponse, ServerCapabilities, ServerLink } from '../link';
import type { Logger } from '../logging';
import type { Metrics } from '../metrics';
import { SERVER_BODIES } from '../server-data';
import type { SendMessageResponse } from '../../../shared/protocol';
import { AppError, describeError, type ErrorCode } from '../../../shared/errors';
import { newErrorId } from '../errors';
import type { DB } from '../store/database';
import {
  completeDelivery,
  confirmHeld,
  discardMessage,
  getAckedClientSeq,
  getOutboxItem,
  holdStale,
  loadLane,
  recordAttempt,
  resetForRetry,
  setAckedClientSeq,
  setState,
  type AttemptRecord,
  type OutboxRecord,
} from '../store/outbox';
import type { OutboxState } from '../store/messages';
import type { WriteQueue } from '../store/write-queue';
import {
  classifyNack,
  classifyStatus,
  isBudgetSpent,
  parseRetryAfter,
  retryDelay,
  type Verdict,
} from './policy';

export type DeliveryTiming = Readonly<{
  retryBaseMs: number;
  retryCapMs: number;
  ackTimeoutMs: number;
  retryBudgetMs: number;
  holdAfterMs: number;
}>;

export type DeliveryMode = 'pipelined' | 'single' | 'rest';

/** What the engine tells the rest of the core; the service turns it into events and notifications. */
export interface DeliverySink {
  messageChanged(ownerId: string, key: string, conversationId: string): void;
  /** The server confirmed delivery of a queued message (ack, REST 200, or its echo). */
  delivered(ownerId: string, conversationId: string, seq: number): void;
  notify(code: ErrorCode, options: Readonly<{ messageKey?: string; detail?: string; retryAfterMs?: number }>): void;
}

type Sent = {
  row: OutboxRecord;
  clientSeq: number | null;
  epoch: number;
  sentAt: number;
};

type Lane = {
  readonly conversationId: string;
  queue: OutboxRecord[];
  inflight: Sent[];
  /** WebSocket sends whose answer has not come yet, per key, oldest first (the server answers in order). */
  outstanding: Map<string, Sent[]>;
  lastLoadedId: number;
  exhausted: boolean;
  /** Bumped whenever in-flight sends are given up on, so their late nacks are ignored. */
  epoch: number;
  nextClientSeq: number;
  /**
   * True once an accepted ack has shown that `nextClientSeq` is what the server expects. Until
   * then only one send is in flight: with a wrong guess (acks lost in a crash), a later message
   * could carry exactly the number the server waits for and overtake the ones before it.
   */
  counterConfirmed: boolean;
  failures: number;
  reorders: number;
  waitTimer: TimerHandle | null;
  ackTimer: TimerHandle | null;
  restBusy: boolean;
};

type Session = {
  readonly ownerId: string;
  readonly capabilities: ServerCapabilities;
  readonly mode: DeliveryMode;
  authPaused: boolean;
};

const LOAD_BATCH = 500;
/** Renumbering twice in a row without progress means the server and we disagree: back off instead. */
const MAX_REORDERS = 3;

export function deliveryMode(capabilities: ServerCapabilities): DeliveryMode {
  if (capabilities.mode === 'legacy' || !capabilities.features.has('ws_send')) return 'rest';
  return capabilities.features.has('client_seq') ? 'pipelined' : 'single';
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

export class DeliveryEngine {
  private session: Session | null = null;
  private readonly lanes = new Map<string, Lane>();
  /** Conversations still resyncing after a connect: their lanes wait, as the protocol says. */
  private readonly gated = new Set<string>();
  private readonly ackedClientSeqs = new Map<string, { ownerId: string; conversationId: string; acked: number }>();
  private stopped = false;

  constructor(private readonly o: EngineOptions) {}

  get mode(): DeliveryMode | null {
    return this.session?.mode ?? null;
  }

  isSending(key: string): boolean {
    for (const lane of this.lanes.values()) {
      if (lane.inflight.some((sent) => sent.row.key === key)) return true;
    }
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
    this.session = { ownerId, capabilities, mode: deliveryMode(capabilities), authPaused: false };
    for (const id of gate) this.gated.add(id);
    this.o.writes.flush();
    const held = holdStale(this.o.db, ownerId, this.o.clock.now() - this.o.timing.holdAfterMs);
    this.o.log.info(`outbox: connected (${this.session.mode}), ${held.length} held`);
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
    if (!this.session) return;
    this.o.log.info(`outbox: disconnected (${reason})`);
    this.resetLanes(reason);
    this.session = null;
    this.gated.clear();
  }

  /** A message was just written to the outbox, or one was released by the user. */
  kick(conversationId: string): void {
    const lane = this.lane(conversationId);
    lane.exhausted = false;
    this.pump(lane);
  }

  /** The user changed rows outside the lane's view (retry, confirm): load them again. */
  reload(conversationId: string): void {
    const lane = this.lane(conversationId);
    lane.queue = [];
    lane.lastLoadedId = 0;
    lane.exhausted = false;
    this.pump(lane);
  }

  retry(key: string): boolean {
    const row = getOutboxItem(this.o.db, key);
    if (!row || !resetForRetry(this.o.db, key)) return false;
    this.o.sink.messageChanged(row.ownerId, key, row.conversationId);
    this.reload(row.conversationId);
    return true;
  }

  confirm(ownerId: string, key: string, send: boolean): boolean {
    const row = getOutboxItem(this.o.db, key);
    if (!row || row.ownerId !== ownerId) return false;
    const done = send ? confirmHeld(this.o.db, key) : discardMessage(this.o.db, ownerId, key);
    if (!done) return false;
    this.o.sink.messageChanged(ownerId, key, row.conversationId);
    if (send) this.reload(row.conversationId);
    return true;
  }

  discard(ownerId: string, key: string): boolean {
    const row = getOutboxItem(this.o.db, key);
    if (!row || row.ownerId !== ownerId) return false;
    if (this.isSending(key) || row.state === 'confirming') return false;
    const done = discardMessage(this.o.db, ownerId, key);
    if (done) {
      const lane = this.lanes.get(row.conversationId);
      if (lane) lane.queue = lane.queue.filter((r) => r.key !== key);
      this.o.sink.messageChanged(ownerId, key, row.conversationId);
    }
    return done;
  }

  /** Reconciliation found the message on the server (its echo or a sync page): stop sending it. */
  deliveredElsewhere(conversationId: string, key: string): void {
    const lane = this.lanes.get(conversationId);
    if (!lane) return;
    lane.queue = lane.queue.filter((r) => r.key !== key);
    const before = lane.inflight.length;
    lane.inflight = lane.inflight.filter((s) => s.row.key !== key);
    if (lane.inflight.length !== before) {
      this.armAckTimer(lane);
      this.pump(lane);
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
    const sent = lane ? this.takeOutstanding(lane, frame.idempotencyKey) : null;
    if (lane && sent && !frame.duplicate && sent.epoch === lane.epoch && sent.clientSeq !== null && sent.clientSeq === frame.clientSeq) {
      // The server took exactly the number we chose: from here on our counter is its counter.
      lane.counterConfirmed = true;
      lane.nextClientSeq = Math.max(lane.nextClientSeq, sent.clientSeq + 1);
    }
    const ownerId = this.session?.ownerId ?? this.o.link.currentUserId();
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
    const sent = this.takeOutstanding(lane, frame.idempotencyKey);
    // An answer to a send we already gave up on (timeout, renumbering): it changes nothing.
    if (!sent || sent.epoch !== lane.epoch) return;
    const index = lane.inflight.indexOf(sent);
    if (index < 0) return;
    const verdict = classifyNack(frame.code, frame.retryable, frame.retryAfterMs, frame.expectedClientSeq);
    this.applyVerdict(lane, sent, index, verdict, frame.message, 'ws');
  }

  // ---- Internals -------------------------------------------------------------------------

  private lane(conversationId: string): Lane {
    let lane = this.lanes.get(conversationId);
    if (!lane) {
      const ownerId = this.session?.ownerId;
      lane = {
        conversationId,
        queue: [],
        inflight: [],
        outstanding: new Map(),
        lastLoadedId: 0,
        exhausted: false,
        epoch: 0,
        nextClientSeq: ownerId ? getAckedClientSeq(this.o.db, ownerId, conversationId) + 1 : 1,
        counterConfirmed: false,
        failures: 0,
        reorders: 0,
        waitTimer: null,
        ackTimer: null,
        restBusy: false,
      };
      this.lanes.set(conversationId, lane);
    }
    return lane;
  }

  private findLane(conversationId: string | null, key: string): Lane | null {
    if (conversationId !== null) return this.lanes.get(conversationId) ?? null;
    for (const lane of this.lanes.values()) {
      if (lane.outstanding.has(key) || lane.inflight.some((s) => s.row.key === key)) return lane;
    }
    return null;
  }

  private takeOutstanding(lane: Lane, key: string): Sent | null {
    const list = lane.outstanding.get(key);
    if (!list) return null;
    const sent = list.shift() ?? null;
    if (list.length === 0) lane.outstanding.delete(key);
    return sent;
  }

  private resetLanes(reason: string): void {
    for (const lane of this.lanes.values()) {
      this.clearTimers(lane);
      if (lane.inflight.length > 0) {
        // Sent, but the answer can no longer come: the honest state is "confirming".
        for (const sent of lane.inflight) {
          this.o.writes.push(() => setState(this.o.db, sent.row.key, 'confirming'));
          this.o.sink.messageChanged(sent.row.ownerId, sent.row.key, lane.conversationId);
        }
        this.o.log.info(`outbox: ${lane.inflight.length} in flight when ${reason}; resend to confirm`);
      }
    }
    this.lanes.clear();
  }

  private clearTimers(lane: Lane): void {
    if (lane.waitTimer) this.o.clock.clearTimeout(lane.waitTimer);
    if (lane.ackTimer) this.o.clock.clearTimeout(lane.ackTimer);
    lane.waitTimer = null;
    lane.ackTimer = null;
  }

  private canSend(lane: Lane): Session | null {
    const session = this.session;
    if (!session || session.authPaused || this.stopped) return null;
    if (this.gated.has(lane.conversationId) || lane.waitTimer !== null) return null;
    // One user's messages are never sent on another user's connection.
    if (this.o.link.currentUserId() !== session.ownerId) return null;
    return session;
  }

  private nextRow(lane: Lane, ownerId: string): OutboxRecord | null {
    if (lane.queue.length === 0 && !lane.exhausted) {
      this.o.writes.flush();
      const busy = new Set(lane.inflight.map((s) => s.row.key));
      const rows = loadLane(this.o.db, ownerId, lane.conversationId, lane.lastLoadedId, LOAD_BATCH);
      lane.exhausted = rows.length < LOAD_BATCH;
      const last = rows.at(-1);
      if (last) lane.lastLoadedId = last.id;
      lane.queue = rows.filter((r) => !busy.has(r.key));
    }
    return lane.queue.shift() ?? null;
  }

  private pump(lane: Lane): void {
    const session = this.canSend(lane);
    if (!session) return;
    if (session.mode === 'rest') {
      void this.pumpRest(lane, session);
      return;
    }
    const window = session.mode === 'pipelined' && lane.counterConfirmed ? Math.max(1, this.o.pipelineWindow) : 1;
    const now = this.o.clock.now();
    while (lane.inflight.length < window) {
      const row = this.nextRow(lane, session.ownerId);
      if (!row) break;
      if (this.expireIfSpent(row, now)) continue;
      const clientSeq = session.mode === 'pipelined' ? lane.nextClientSeq : null;
      const ok = this.o.link.sendFrame({
        type: 'send',
        conversation_id: row.conversationId,
        idempotency_key: row.key,
        plaintext: row.text,
        client_ts: row.composedAt,
        ...(clientSeq !== null ? { client_seq: clientSeq, device_id: this.o.deviceId } : {}),
      });
      if (!ok) {
        // The socket is gone; the disconnect that follows parks the lane.
        lane.queue.unshift(row);
        break;
      }
      if (clientSeq !== null) lane.nextClientSeq += 1;
      const sent: Sent = { row, clientSeq, epoch: lane.epoch, sentAt: now };
      lane.inflight.push(sent);
      const list = lane.outstanding.get(row.key);
      if (list) list.push(sent);
      else lane.outstanding.set(row.key, [sent]);
      this.o.sink.messageChanged(row.ownerId, row.key, row.conversationId);
    }
    this.armAckTimer(lane);
  }

  private async pumpRest(lane: Lane, session: Session): Promise<void> {
    if (lane.restBusy) return;
    let row: OutboxRecord | null = null;
    const now = this.o.clock.now();
    while ((row = this.nextRow(lane, session.ownerId)) !== null && this.expireIfSpent(row, now)) {
      // expired rows are skipped; the loop is bounded by the lane's rows
    }
    if (!row) return;
    const sent: Sent = { row, clientSeq: null, epoch: lane.epoch, sentAt: now };
    lane.inflight = [sent];
    lane.restBusy = true;
    this.o.sink.messageChanged(row.ownerId, row.key, row.conversationId);
    let response: ParsedResponse<SendMessageResponse>;
    try {
      response = await this.o.link.requestParsed(
        SERVER_BODIES.sendAnswer,
        'POST',
        `/conversations/${encodeURIComponent(row.conversationId)}/messages`,
        { plaintext: row.text, idempotency_key: row.key },
        { 'Idempotency-Key': row.key },
      );
    } catch (error) {
      lane.restBusy = false;
      if (this.lanes.get(lane.conversationId) !== lane || sent.epoch !== lane.epoch) return;
      const code = error instanceof AppError ? error.code : 'NETWORK_ERROR';
      const verdict: Verdict =
        code === 'NOT_SIGNED_IN' || code === 'UNAUTHORIZED' || code === 'TOKEN_REVOKED'
          ? { kind: 'auth', code }
          : { kind: 'retry', code, retryAfterMs: null };
      // The request may have reached the server: "confirming" until a resend tells.
      this.applyVerdict(lane, sent, 0, verdict, error instanceof Error ? error.message : String(error), 'rest', true);
      return;
    }
    lane.restBusy = false;
    const { status, headers, body, value: answer } = response;
    if (status >= 200 && status < 300) {
      if (answer !== null) {
        const current = this.lanes.get(lane.conversationId) ?? null;
        this.acknowledge(session.ownerId, current, row.key, row.conversationId, answer.id, answer.sequence_number, null, 'rest', answer.duplicate === true);
        return;
      }
      this.o.log.warn(`outbox: REST send answered ${status} without id/sequence_number`);
    }
    if (this.lanes.get(lane.conversationId) !== lane || sent.epoch !== lane.epoch) return;
    const verdict = classifyStatus(
      status >= 200 && status < 300 ? 502 : status,
      parseRetryAfter(headers['retry-after'], this.o.clock.now()),
    );
    this.applyVerdict(lane, sent, 0, verdict, errorText(body), 'rest');
  }

  private acknowledge(
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
    const { metrics } = this.o;
    metrics.sendAttempt(transport, duplicate ? 'duplicate' : 'acked');
    // The server already had it (a resend after a lost ack): the copy was dropped on its side.
    if (duplicate) metrics.duplicateDropped('ack');
    let conversation = conversationId;
    if (lane) {
      conversation = lane.conversationId;
      const index = lane.inflight.findIndex((s) => s.row.key === key);
      // A row is either queued or in flight, never both: only a late ack needs the queue search.
      const acked = index >= 0 ? lane.inflight.splice(index, 1)[0] : undefined;
      if (acked) metrics.sendAckLatency((this.o.clock.now() - acked.sentAt) / 1000, transport);
      else lane.queue = lane.queue.filter((r) => r.key !== key);
      lane.failures = 0;
      lane.reorders = 0;
    }
    if (conversation === null) return;
    const target = conversation;
    this.o.writes.push(() => {
      // Counted where the row leaves the outbox, once: a second ack for it finds it gone.
      if (completeDelivery(this.o.db, ownerId, key, serverId, seq)) this.o.writes.afterCommit(() => metrics.delivered());
    });
    if (clientSeq !== null) this.noteAckedClientSeq(ownerId, target, clientSeq);
    this.o.sink.delivered(ownerId, target, seq);
    this.o.sink.messageChanged(ownerId, key, target);
    if (transport === 'rest' && lane) {
      // the next POST waits for this one: one at a time per conversation
      this.pump(lane);
      return;
    }
    if (lane) {
      this.armAckTimer(lane);
      this.pump(lane);
    }
  }

  private applyVerdict(
    lane: Lane,
    sent: Sent,
    index: number,
    verdict: Verdict,
    detail: string,
    transport: 'ws' | 'rest',
    ambiguous = false,
  ): void {
    const session = this.session;
    const now = this.o.clock.now();
    const row = sent.row;
    switch (verdict.kind) {
      case 'reorder': {
        if (index !== 0) return;
        lane.reorders += 1;
        if (lane.reorders > MAX_REORDERS) {
          this.applyVerdict(lane, sent, index, { kind: 'retry', code: 'SERVER_ERROR', retryAfterMs: null }, detail, transport);
          return;
        }
        lane.nextClientSeq = verdict.expectedClientSeq ?? sent.clientSeq ?? lane.nextClientSeq;
        lane.counterConfirmed = false;
        this.requeue(lane, 0);
        this.pump(lane);
        return;
      }
      case 'auth': {
        this.o.metrics.sendAttempt(transport, 'retry');
        this.o.metrics.deliveryFailed(verdict.code, false);
        if (session) session.authPaused = true;
        for (const other of this.lanes.values()) this.requeue(other, 0);
        lane.restBusy = false;
        this.o.log.warn(`outbox: paused until signed in again (${verdict.code})`);
        return;
      }
      case 'retry': {
        if (index !== 0) return;
        const spent = isBudgetSpent(row.firstAttemptAt ?? now, now, this.o.timing.retryBudgetMs);
        if (spent) {
          // This attempt ends the message: counted as failed here, and as expired by `expire`.
          this.o.metrics.sendAttempt(transport, 'failed');
          this.requeue(lane, 0);
          lane.queue.shift();
          this.expire(row, now);
          this.pump(lane);
          return;
        }
        const delay = retryDelay(lane.failures, this.o.timing, this.o.random, verdict.retryAfterMs);
        lane.failures += 1;
        const errorId = newErrorId();
        const state: OutboxState = ambiguous || row.state === 'confirming' ? 'confirming' : 'saved';
        this.record(row, state, now, now + delay, transport, 'retry', { code: verdict.code, message: describeError(verdict.code, verdict.retryAfterMs ?? undefined), id: errorId }, true);
        this.o.log.info(`outbox: retry in ${delay} ms after ${verdict.code} [${errorId}]`);
        // The server refused the head, so it took none of the numbers behind it either.
        if (sent.clientSeq !== null) lane.nextClientSeq = sent.clientSeq;
        this.requeue(lane, 0);
        if (lane.queue[0]?.key === row.key) {
          lane.queue[0] = { ...row, state, attempts: row.attempts + 1, firstAttemptAt: row.firstAttemptAt ?? now };
        }
        if (verdict.code === 'RATE_LIMITED') {
          this.o.sink.notify('RATE_LIMITED', { messageKey: row.key, ...(verdict.retryAfterMs !== null ? { retryAfterMs: delay } : {}) });
        }
        this.wait(lane, delay);
        return;
      }
      case 'fail': {
        const errorId = newErrorId();
        const message = detail ? `${describeError(verdict.code)} (${detail})` : describeError(verdict.code);
        this.record(row, 'failed', now, null, transport, 'failed', { code: verdict.code, message, id: errorId }, true);
        this.o.log.warn(`outbox: message failed with ${verdict.code} [${errorId}]`);
        this.o.sink.notify(verdict.code, { messageKey: row.key, detail });
        lane.inflight.splice(index, 1);
        if (sent.clientSeq !== null) {
          // The server did not use this number: the sends behind it are renumbered from it.
          lane.nextClientSeq = sent.clientSeq;
          this.requeue(lane, index);
        }
        this.armAckTimer(lane);
        this.pump(lane);
        return;
      }
    }
  }

  /** Gives up on in-flight sends from `from` on: back to the front of the queue, in order. */
  private requeue(lane: Lane, from: number): void {
    const back = lane.inflight.splice(from).map((s) => s.row);
    lane.queue = [...back, ...lane.queue];
    lane.epoch += 1;
    if (lane.ackTimer && lane.inflight.length === 0) {
      this.o.clock.clearTimeout(lane.ackTimer);
      lane.ackTimer = null;
    }
  }

  private wait(lane: Lane, delay: number): void {
    if (lane.waitTimer) this.o.clock.clearTimeout(lane.waitTimer);
    lane.waitTimer = this.o.clock.setTimeout(() => {
      lane.waitTimer = null;
      this.pump(lane);
    }, delay);
  }

  /**
   * The server's counter for this lane, written once per batch whatever the number of acks in
   * it: only the highest number matters, and a stale one only costs a renumbering.
   */
  private noteAckedClientSeq(ownerId: string, conversationId: string, clientSeq: number): void {
    const id = `${ownerId}\u0000${conversationId}`;
    const entry = this.ackedClientSeqs.get(id);
    if (entry) {
      entry.acked = Math.max(entry.acked, clientSeq);
      return;
    }
    this.ackedClientSeqs.set(id, { ownerId, conversationId, acked: clientSeq });
    if (this.ackedClientSeqs.size > 1) return;
    // Taken once: a batch that failed is replayed write by write, and must find them again.
    let taken: { ownerId: string; conversationId: string; acked: number }[] | null = null;
    this.o.writes.push(() => {
      if (taken === null) {
        taken = [...this.ackedClientSeqs.values()];
        this.ackedClientSeqs.clear();
      }
      for (const pending of taken) setAckedClientSeq(this.o.db, pending.ownerId, pending.conversationId, pending.acked);
    });
  }

  /**
   * One timer per lane, armed for the oldest send in flight. It is not re-armed on every ack:
   * when it fires it looks at the head of that moment and waits for the rest of its time.
   */
  private armAckTimer(lane: Lane): void {
    const head = lane.inflight[0];
    // REST requests carry their own timeout (the link's).
    if (!head || this.session?.mode === 'rest') {
      if (lane.ackTimer) this.o.clock.clearTimeout(lane.ackTimer);
      lane.ackTimer = null;
      return;
    }
    if (lane.ackTimer) return;
    this.checkAckAfter(lane, head.sentAt + this.o.timing.ackTimeoutMs - this.o.clock.now());
  }

  private checkAckAfter(lane: Lane, delayMs: number): void {
    lane.ackTimer = this.o.clock.setTimeout(() => {
      lane.ackTimer = null;
      if (this.lanes.get(lane.conversationId) !== lane) return;
      const head = lane.inflight[0];
      if (!head || this.session?.mode === 'rest') return;
      const remaining = head.sentAt + this.o.timing.ackTimeoutMs - this.o.clock.now();
      if (remaining > 0) this.checkAckAfter(lane, remaining);
      else this.ackTimedOut(lane, head);
    }, Math.max(0, delayMs));
  }

  /** No answer in time: the send may or may not have arrived. Resend with the same key. */
  private ackTimedOut(lane: Lane, head: Sent): void {
    const now = this.o.clock.now();
    const errorId = newErrorId();
    this.o.log.warn(`outbox: no ack within ${this.o.timing.ackTimeoutMs} ms; resending to confirm [${errorId}]`);
    for (const sent of lane.inflight.slice(1)) {
      this.o.writes.push(() => setState(this.o.db, sent.row.key, 'confirming'));
      this.o.sink.messageChanged(sent.row.ownerId, sent.row.key, lane.conversationId);
    }
    const delay = retryDelay(lane.failures, this.o.timing, this.o.random, null);
    lane.failures += 1;
    this.record(head.row, 'confirming', now, now + delay, 'ws', 'lost', { code: 'TIMEOUT', message: describeError('TIMEOUT'), id: errorId }, true);
    if (head.clientSeq !== null) lane.nextClientSeq = head.clientSeq;
    // Some of those sends may have been accepted: the counter is a guess again.
    lane.counterConfirmed = false;
    this.requeue(lane, 0);
    const first = lane.queue[0];
    if (first) lane.queue[0] = { ...first, state: 'confirming', firstAttemptAt: first.firstAttemptAt ?? now };
    this.wait(lane, delay);
  }

  private expireIfSpent(row: OutboxRecord, now: number): boolean {
    if (!isBudgetSpent(row.firstAttemptAt, now, this.o.timing.retryBudgetMs)) return false;
    this.expire(row, now);
    return true;
  }

  private expire(row: OutboxRecord, now: number): void {
    this.record(row, 'expired', now, null, 'ws', 'failed', { code: 'MESSAGE_EXPIRED', message: describeError('MESSAGE_EXPIRED'), id: newErrorId() }, false);
    this.o.sink.notify('MESSAGE_EXPIRED', { messageKey: row.key });
  }

  private record(
    row: OutboxRecord,
    state: OutboxState,
    at: number,
    nextAttemptAt: number | null,
    transport: 'ws' | 'rest',
    outcome: AttemptRecord['outcome'],
    error: Readonly<{ code: ErrorCode; message: string; id: string }> | null,
    countsAsAttempt: boolean,
  ): void {
    // Every attempt that did not end in an ack is recorded here, and so is every give-up.
    if (countsAsAttempt) this.o.metrics.sendAttempt(transport, outcome);
    if (error) this.o.metrics.deliveryFailed(error.code, state === 'failed' || state === 'expired');
    this.o.writes.push(() =>
      recordAttempt(this.o.db, {
        key: row.key,
        state,
        at,
        nextAttemptAt,
        attempt: { at, transport, outcome, code: error?.code ?? null },
        error,
        countsAsAttempt,
      }),
    );
    this.o.sink.messageChanged(row.ownerId, row.key, row.conversationId);
  }

  stop(): void {
    this.stopped = true;
    for (const lane of this.lanes.values()) this.clearTimers(lane);
    this.o.writes.flush();
  }
}

function errorText(body: unknown): string {
  if (typeof body === 'string') return body.slice(0, 200);
  if (body && typeof body === 'object') {
    const b = body as { error?: unknown; details?: unknown };
    if (typeof b.error === 'string') return b.error.slice(0, 200);
  }
  return '';
}
