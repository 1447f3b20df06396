/**
 * One conversation's lane: its queue (loaded from the outbox in batches, FIFO), its sends in
 * flight, and what each answer, timeout or refusal means for them. The engine runs one lane per
 * conversation, in parallel, and tells each whether it may send.
 *
 * - `pipelined` (the server advertises `client_seq`): up to `pipelineWindow` sends in flight,
 *   each numbered with a per-device, per-conversation client_seq. The server accepts only the
 *   next number, so order holds however many are in flight; a repeated idempotency key is
 *   answered with the original ack, so a resend is never a second message.
 * - `single`: one WebSocket send at a time. `rest`: one REST POST at a time (legacy Nova).
 */
import { describeError } from '../../../shared/errors';
import type { TimerHandle } from '../clock';
import { newErrorId } from '../errors';
import type { ClientFrame, ServerCapabilities } from '../link';
import type { OutboxState } from '../store/messages';
import { loadLane, setNextAttemptAt, setState, type OutboxRecord } from '../store/outbox';
import { withdrawMessage } from '../store/own-messages';
import type { EngineOptions } from './engine';
import { httpRetryReason, isBudgetSpent, retryDelay, type Verdict } from './policy';
import type { AttemptRecords } from './records';
import { pumpRest } from './lane-rest';

export type DeliveryMode = 'pipelined' | 'single' | 'rest';

export function deliveryMode(capabilities: ServerCapabilities): DeliveryMode {
  if (capabilities.mode === 'legacy' || !capabilities.features.has('ws_send')) return 'rest';
  return capabilities.features.has('client_seq') ? 'pipelined' : 'single';
}

/** One connection's worth of sending: who sends, how, and whether auth stopped it. */
export type Session = {
  readonly ownerId: string;
  readonly capabilities: ServerCapabilities;
  readonly mode: DeliveryMode;
  authPaused: boolean;
};

export type Sent = {
  row: OutboxRecord;
  clientSeq: number | null;
  epoch: number;
  sentAt: number;
};

/** What a lane needs of the engine that runs it. */
export interface LaneHost {
  readonly options: EngineOptions;
  readonly records: AttemptRecords;
  session(): Session | null;
  /** The session to send on now, or null when this lane must wait (offline, gated, paused). */
  canSend(lane: Lane): Session | null;
  /** The lane the engine runs for this conversation now (a reconnect replaces them all). */
  currentLane(conversationId: string): Lane | null;
  /** Credentials refused: every lane stops until the user signs in again. */
  pauseForAuth(): void;
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
  ): void;
}

const LOAD_BATCH = 500;
/** Renumbering twice in a row without progress means the server and we disagree: back off instead. */
const MAX_REORDERS = 3;

export class Lane {
  queue: OutboxRecord[] = [];
  inflight: Sent[] = [];
  /** WebSocket sends whose answer has not come yet, per key, oldest first (the server answers in order). */
  readonly outstanding = new Map<string, Sent[]>();
  private lastLoadedId = 0;
  private exhausted = false;
  /** Bumped whenever in-flight sends are given up on, so their late nacks are ignored. */
  epoch = 0;
  /**
   * True once an accepted ack has shown that `nextClientSeq` is what the server expects. Until
   * then only one send is in flight: with a wrong guess (acks lost in a crash), a later message
   * could carry exactly the number the server waits for and overtake the ones before it.
   */
  counterConfirmed = false;
  failures = 0;
  reorders = 0;
  waitTimer: TimerHandle | null = null;
  /** When the server said the lane may send again (a Retry-After): "Send now" never goes earlier. */
  serverWaitUntil: number | null = null;
  private ackTimer: TimerHandle | null = null;
  /** A REST send is under way (legacy Nova: one at a time per conversation). */
  restBusy = false;
  readonly o: EngineOptions;

  constructor(
    readonly host: LaneHost,
    readonly conversationId: string,
    public nextClientSeq: number,
  ) {
    this.o = host.options;
  }

  hasInFlight(key: string): boolean {
    return this.inflight.some((sent) => sent.row.key === key);
  }

  /** More rows may have been written: look at the outbox again when the queue runs dry. */
  wake(): void {
    this.exhausted = false;
  }

  /** The user changed rows outside the lane's view (retry, confirm): load them again. */
  reload(): void {
    this.queue = [];
    this.lastLoadedId = 0;
    this.exhausted = false;
  }

  takeOutstanding(key: string): Sent | null {
    const list = this.outstanding.get(key);
    if (!list) return null;
    const sent = list.shift() ?? null;
    if (list.length === 0) this.outstanding.delete(key);
    return sent;
  }

  clearTimers(): void {
    if (this.waitTimer) this.o.clock.clearTimeout(this.waitTimer);
    if (this.ackTimer) this.o.clock.clearTimeout(this.ackTimer);
    this.waitTimer = null;
    this.ackTimer = null;
  }

  /** An ack for `key` came: it leaves the lane, which is making progress again. */
  settle(key: string, transport: 'ws' | 'rest'): void {
    const index = this.inflight.findIndex((s) => s.row.key === key);
    // A row is either queued or in flight, never both: only a late ack needs the queue search.
    const acked = index >= 0 ? this.inflight.splice(index, 1)[0] : undefined;
    if (acked) this.o.metrics.sendAckLatency((this.o.clock.now() - acked.sentAt) / 1000, transport);
    else this.queue = this.queue.filter((r) => r.key !== key);
    this.failures = 0;
    this.reorders = 0;
  }

  nextRow(ownerId: string): OutboxRecord | null {
    if (this.queue.length === 0 && !this.exhausted) {
      this.o.writes.flush();
      const busy = new Set(this.inflight.map((s) => s.row.key));
      const rows = loadLane(this.o.db, ownerId, this.conversationId, this.lastLoadedId, LOAD_BATCH);
      this.exhausted = rows.length < LOAD_BATCH;
      const last = rows.at(-1);
      if (last) this.lastLoadedId = last.id;
      this.queue = rows.filter((r) => !busy.has(r.key));
    }
    return this.queue.shift() ?? null;
  }

  pump(): void {
    const session = this.host.canSend(this);
    if (!session) return;
    if (session.mode === 'rest') {
      void pumpRest(this, this.host, session);
      return;
    }
    const window = session.mode === 'pipelined' && this.counterConfirmed ? Math.max(1, this.o.pipelineWindow) : 1;
    const now = this.o.clock.now();
    while (this.inflight.length < window) {
      const row = this.nextRow(session.ownerId);
      if (!row) break;
      if (this.host.records.expireIfSpent(row, now)) continue;
      const clientSeq = session.mode === 'pipelined' ? this.nextClientSeq : null;
      const frame: ClientFrame = {
        type: 'send',
        conversation_id: row.conversationId,
        idempotency_key: row.key,
        plaintext: row.text,
        client_ts: row.composedAt,
        ...(clientSeq !== null ? { client_seq: clientSeq, device_id: this.o.deviceId } : {}),
      };
      const ok = this.o.link.sendFrame(frame);
      if (!ok) {
        // The socket is gone; the disconnect that follows parks the lane.
        this.queue.unshift(row);
        break;
      }
      if (clientSeq !== null) this.nextClientSeq += 1;
      const sent: Sent = { row, clientSeq, epoch: this.epoch, sentAt: now };
      this.inflight.push(sent);
      const list = this.outstanding.get(row.key);
      if (list) list.push(sent);
      else this.outstanding.set(row.key, [sent]);
      this.o.sink.messageChanged(row.ownerId, row.key, row.conversationId);
    }
    this.armAckTimer();
  }

  applyVerdict(
    sent: Sent,
    index: number,
    verdict: Verdict,
    detail: string,
    transport: 'ws' | 'rest',
    ambiguous = false,
  ): void {
    const now = this.o.clock.now();
    const row = sent.row;
    switch (verdict.kind) {
      case 'withdrawn': {
        // Answered MESSAGE_DELETED: the server used the send's number up and created nothing.
        this.o.metrics.sendAttempt(transport, 'failed');
        this.inflight.splice(index, 1);
        this.queue = this.queue.filter((r) => r.key !== row.key);
        this.o.writes.push(() => withdrawMessage(this.o.db, row.ownerId, row.key));
        this.o.sink.messageChanged(row.ownerId, row.key, row.conversationId);
        this.armAckTimer();
        this.pump();
        return;
      }
      case 'reorder': {
        if (index !== 0) return;
        this.reorders += 1;
        if (this.reorders > MAX_REORDERS) {
          this.applyVerdict(sent, index, { kind: 'retry', code: 'SERVER_ERROR', retryAfterMs: null }, detail, transport);
          return;
        }
        this.nextClientSeq = verdict.expectedClientSeq ?? sent.clientSeq ?? this.nextClientSeq;
        this.counterConfirmed = false;
        this.requeue(0);
        this.pump();
        return;
      }
      case 'auth': {
        this.o.metrics.sendAttempt(transport, 'retry');
        this.o.metrics.deliveryFailed(verdict.code, false);
        this.host.pauseForAuth();
        this.restBusy = false;
        this.o.log.warn(`outbox: paused until signed in again (${verdict.code})`);
        return;
      }
      case 'retry': {
        if (index !== 0) return;
        const spent = isBudgetSpent(row.firstAttemptAt ?? now, now, this.o.timing.retryBudgetMs);
        if (spent) {
          // This attempt ends the message: counted as failed here, and as expired by `expire`.
          this.o.metrics.sendAttempt(transport, 'failed');
          this.requeue(0);
          this.queue.shift();
          this.host.records.expire(row, now);
          this.pump();
          return;
        }
        const delay = retryDelay(this.failures, this.o.timing, this.o.random, verdict.retryAfterMs);
        if (transport === 'rest') this.o.metrics.httpRetry(httpRetryReason(verdict.code));
        this.failures += 1;
        this.serverWaitUntil = verdict.retryAfterMs !== null ? now + verdict.retryAfterMs : null;
        const errorId = newErrorId();
        const state: OutboxState = ambiguous || row.state === 'confirming' ? 'confirming' : 'saved';
        this.host.records.record(row, state, now, now + delay, transport, 'retry', { code: verdict.code, message: describeError(verdict.code, verdict.retryAfterMs ?? undefined), id: errorId }, true, verdict.retryAfterMs);
        this.o.log.info(`outbox: retry in ${delay} ms after ${verdict.code} [${errorId}]`);
        // The server refused the head, so it took none of the numbers behind it either.
        if (sent.clientSeq !== null) this.nextClientSeq = sent.clientSeq;
        this.requeue(0);
        if (this.queue[0]?.key === row.key) {
          this.queue[0] = { ...row, state, attempts: row.attempts + 1, firstAttemptAt: row.firstAttemptAt ?? now };
        }
        if (verdict.code === 'RATE_LIMITED') {
          this.o.sink.notify('RATE_LIMITED', { messageKey: row.key, ...(verdict.retryAfterMs !== null ? { retryAfterMs: delay } : {}) });
        }
        this.wait(delay);
        return;
      }
      case 'fail': {
        const errorId = newErrorId();
        const message = detail ? `${describeError(verdict.code)} (${detail})` : describeError(verdict.code);
        this.host.records.record(row, 'failed', now, null, transport, 'failed', { code: verdict.code, message, id: errorId }, true);
        this.o.log.warn(`outbox: message failed with ${verdict.code} [${errorId}]`);
        this.o.sink.notify(verdict.code, { messageKey: row.key });
        this.inflight.splice(index, 1);
        if (sent.clientSeq !== null) {
          // The server did not use this number: the sends behind it are renumbered from it.
          this.nextClientSeq = sent.clientSeq;
          this.requeue(index);
        }
        this.armAckTimer();
        this.pump();
        return;
      }
    }
  }

  /** Gives up on in-flight sends from `from` on: back to the front of the queue, in order. */
  requeue(from: number): void {
    const back = this.inflight.splice(from).map((s) => s.row);
    this.queue = [...back, ...this.queue];
    this.epoch += 1;
    if (this.ackTimer && this.inflight.length === 0) {
      this.o.clock.clearTimeout(this.ackTimer);
      this.ackTimer = null;
    }
  }

  /**
   * The user's "Send now": the backoff still to run is skipped, except for the part the server
   * named (Retry-After), which would only be refused again. Returns when the lane sends next:
   * now, or the server's time; null when it was not waiting.
   */
  sendNow(now: number): number | null {
    if (this.waitTimer === null) return null;
    const head = this.queue[0];
    const at = this.serverWaitUntil !== null && this.serverWaitUntil > now ? this.serverWaitUntil : now;
    if (head) this.o.writes.push(() => setNextAttemptAt(this.o.db, head.key, at));
    if (at > now) {
      this.wait(at - now);
      return at;
    }
    this.o.clock.clearTimeout(this.waitTimer);
    this.waitTimer = null;
    this.pump();
    return now;
  }

  private wait(delay: number): void {
    if (this.waitTimer) this.o.clock.clearTimeout(this.waitTimer);
    this.waitTimer = this.o.clock.setTimeout(() => {
      this.waitTimer = null;
      this.pump();
    }, delay);
  }

  /**
   * One timer per lane, armed for the oldest send in flight. It is not re-armed on every ack:
   * when it fires it looks at the head of that moment and waits for the rest of its time.
   */
  armAckTimer(): void {
    const head = this.inflight[0];
    // REST requests carry their own timeout (the link's).
    if (!head || this.host.session()?.mode === 'rest') {
      if (this.ackTimer) this.o.clock.clearTimeout(this.ackTimer);
      this.ackTimer = null;
      return;
    }
    if (this.ackTimer) return;
    this.checkAckAfter(head.sentAt + this.o.timing.ackTimeoutMs - this.o.clock.now());
  }

  private checkAckAfter(delayMs: number): void {
    this.ackTimer = this.o.clock.setTimeout(() => {
      this.ackTimer = null;
      if (this.host.currentLane(this.conversationId) !== this) return;
      const head = this.inflight[0];
      if (!head || this.host.session()?.mode === 'rest') return;
      const remaining = head.sentAt + this.o.timing.ackTimeoutMs - this.o.clock.now();
      if (remaining > 0) this.checkAckAfter(remaining);
      else this.ackTimedOut(head);
    }, Math.max(0, delayMs));
  }

  /** No answer in time: the send may or may not have arrived. Resend with the same key. */
  private ackTimedOut(head: Sent): void {
    const now = this.o.clock.now();
    const errorId = newErrorId();
    this.o.log.warn(`outbox: no ack within ${this.o.timing.ackTimeoutMs} ms; resending to confirm [${errorId}]`);
    for (const sent of this.inflight.slice(1)) {
      this.o.writes.push(() => setState(this.o.db, sent.row.key, 'confirming'));
      this.o.sink.messageChanged(sent.row.ownerId, sent.row.key, this.conversationId);
    }
    const delay = retryDelay(this.failures, this.o.timing, this.o.random, null);
    this.failures += 1;
    this.serverWaitUntil = null;
    this.host.records.record(head.row, 'confirming', now, now + delay, 'ws', 'lost', { code: 'TIMEOUT', message: describeError('TIMEOUT'), id: errorId }, true);
    if (head.clientSeq !== null) this.nextClientSeq = head.clientSeq;
    // Some of those sends may have been accepted: the counter is a guess again.
    this.counterConfirmed = false;
    const unanswered = this.inflight.length;
    this.requeue(0);
    // As stored: every one of them may be on the server now.
    for (let i = 0; i < unanswered; i += 1) {
      const row = this.queue[i];
      if (row) this.queue[i] = { ...row, state: 'confirming', ...(i === 0 ? { firstAttemptAt: row.firstAttemptAt ?? now } : {}) };
    }
    this.wait(delay);
  }
}
