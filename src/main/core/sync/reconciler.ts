/**
 * Incoming messages and resync. Live `message` frames, sync replays and REST history pages all
 * end in `upsertIncoming`: matched by server id, then (own messages) by idempotency key, so a
 * message is one row whichever of frame, page and ack arrives first.
 *
 * With gap-free numbering (`gapless_seq`) a live frame beyond the cursor + 1 means something
 * was missed: a sync from the cursor fetches it. Live frames that arrive while a conversation
 * syncs are buffered and merged by sequence number once the sync is done.
 */
import type { Message, ServerFrameOf } from '../../../shared/protocol';
import type { Clock, TimerHandle } from '../clock';
import type { ServerCapabilities, ServerLink } from '../link';
import type { Logger } from '../logging';
import type { DuplicateSource, Metrics, ResyncResult } from '../metrics';
import { SERVER_BODIES } from '../server-data';
import type { DB } from '../store/database';
import {
  advanceContiguous,
  getConversation,
  raiseCursor,
  raiseLastSeq,
  upsertIncoming,
  type IncomingMessage,
} from '../store/messages';
import type { WriteQueue } from '../store/write-queue';
import type { SyncStatus } from '../../../shared/own-messages';
import type { RetryTiming } from '../outbox/policy';
import { CatchUp } from './catch-up';

export interface ReconcileSink {
  messageChanged(ownerId: string, key: string, conversationId: string): void;
  /** An own queued message turned out to be on the server already. */
  deliveredElsewhere(ownerId: string, conversationId: string, key: string): void;
  /** A message from someone else was stored for the first time (committed). */
  received?(message: IncomingMessage, key: string, source: IncomingSource): void;
}

export type ReconcilerOptions = Readonly<{
  db: DB;
  writes: WriteQueue;
  link: ServerLink;
  clock: Clock;
  log: Logger;
  syncTimeoutMs: number;
  sink: ReconcileSink;
  metrics: Metrics;
  /** Backoff between tries of a failed resync, and who hears which conversations are behind. */
  retry: RetryTiming;
  random: () => number;
  onStatus: (status: SyncStatus) => void;
}>;

type Session = Readonly<{ ownerId: string; gapless: boolean; wsSync: boolean; legacy: boolean }>;

type SyncRun = {
  readonly conversationId: string;
  readonly buffer: IncomingMessage[];
  done: Promise<boolean>;
  /** Resolves the wait for the current `sync_complete`. */
  complete: ((frame: { lastSeq: number; hasMore: boolean } | null) => void) | null;
  timer: TimerHandle | null;
};

/** WebSocket sync pages (the server caps them at 500) and REST pages (Nova caps at 200). */
const WS_SYNC_LIMIT = 500;
const REST_PAGE_LIMIT = 200;
/** Bounds a sync against a server that ignores `after_seq` (legacy Nova returns the same page). */
const MAX_PAGES = 10_000;

/** A server message (frame, sync replay or history item; parsed at the link) as the store takes it. */
export function toIncoming(conversationId: string, message: Message): IncomingMessage {
  const createdAt = message.created_at !== undefined ? Date.parse(message.created_at) : NaN;
  return {
    conversationId,
    serverId: message.id,
    senderId: message.sender_id,
    seq: message.sequence_number,
    text: message.plaintext ?? null,
    createdAt: Number.isNaN(createdAt) ? null : createdAt,
    idempotencyKey: message.idempotency_key ?? null,
    editedAt: parseTime(message.edited_at),
    deletedAt: parseTime(message.deleted_at),
    updatedSeq: message.updated_seq,
  };
}

/** A timestamp the server may leave out (undefined: not said) or clear (null). */
export function parseTime(value: string | null | undefined): number | null | undefined {
  if (value === undefined || value === null) return value;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : at;
}

/**
 * Where incoming messages came from, for the duplicate count: a live frame, a resync (replayed
 * frame or history page after the cursor), or an older-history page fetched while scrolling.
 */
export type IncomingSource = Extract<DuplicateSource, 'live' | 'sync' | 'rest'>;

/** Incoming messages waiting for the next batched write, grouped as they arrived. */
type IncomingGroup = {
  readonly ownerId: string;
  readonly gapless: boolean;
  readonly detectGaps: boolean;
  readonly source: IncomingSource;
  readonly messages: IncomingMessage[];
};

/** Own deliveries waiting for the next batched write: the highest number per conversation. */
type OwnDelivery = { readonly ownerId: string; readonly conversationId: string; readonly gapless: boolean; seq: number };

export class Reconciler {
  private session: Session | null = null;
  private readonly runs = new Map<string, SyncRun>();
  private readonly incoming: IncomingGroup[] = [];
  private readonly ownDeliveries = new Map<string, OwnDelivery>();
  private readonly catchUp: CatchUp;

  constructor(private readonly o: ReconcilerOptions) {
    this.catchUp = new CatchUp({ clock: o.clock, random: o.random, timing: o.retry, metrics: o.metrics, log: o.log, onStatus: o.onStatus });
  }

  /** Conversations still catching up after a failed resync. */
  status(): SyncStatus {
    return this.catchUp.status();
  }

  connected(capabilities: ServerCapabilities, ownerId: string): void {
    this.cancelAll();
    this.session = {
      ownerId,
      gapless: capabilities.features.has('gapless_seq'),
      wsSync: capabilities.mode === 'compat' && capabilities.features.has('ws_sync'),
      legacy: capabilities.mode === 'legacy',
    };
  }

  disconnected(): void {
    this.cancelAll();
    this.catchUp.clear();
    this.session = null;
  }

  isSyncing(conversationId: string): boolean {
    return this.runs.has(conversationId);
  }

  /** A `message` frame, live or a sync replay. */
  handleMessageFrame(frame: ServerFrameOf<'message'>): void {
    const incoming = toIncoming(frame.conversation_id, frame.message);
    const ownerId = this.session?.ownerId ?? this.o.link.currentUserId();
    if (ownerId === null) return;
    const run = this.runs.get(incoming.conversationId);
    const replay = frame.replay === true;
    if (run && !replay) {
      run.buffer.push(incoming);
      return;
    }
    this.apply(ownerId, [incoming], run === undefined, replay ? 'sync' : 'live');
  }

  handleSyncComplete(frame: ServerFrameOf<'sync_complete'>): void {
    this.runs.get(frame.conversation_id)?.complete?.({ lastSeq: frame.last_seq, hasMore: frame.has_more });
  }

  /**
   * Stores messages from the server. `detectGaps` is off for sync pages: they fill gaps, and
   * what they leave open is the next page's business.
   */
  apply(ownerId: string, messages: readonly IncomingMessage[], detectGaps: boolean, source: IncomingSource): void {
    const gapless = this.session?.gapless ?? false;
    // One write per batch, however many frames arrive in it: the cursor moves once per conversation.
    const last = this.incoming.at(-1);
    if (last && last.ownerId === ownerId && last.gapless === gapless && last.detectGaps === detectGaps && last.source === source) {
      last.messages.push(...messages);
      return;
    }
    this.incoming.push({ ownerId, gapless, detectGaps, source, messages: [...messages] });
    if (this.incoming.length > 1) return;
    // Taken once: a batch that failed is replayed write by write, and must find them again.
    let groups: IncomingGroup[] | null = null;
    this.o.writes.push(() => {
      groups ??= this.incoming.splice(0);
      for (const group of groups) this.store(group);
    });
  }

  private store({ ownerId, gapless, detectGaps, source, messages }: IncomingGroup): void {
    const { metrics } = this.o;
    // The highest number per conversation: one cursor update each, not one per message.
    const touched = new Map<string, number>();
    for (const message of messages) {
      const result = upsertIncoming(this.o.db, ownerId, message, this.o.clock.now());
      // Counted once the write commits: a batch that rolls back is replayed write by write.
      if (result.outcome === 'duplicate') this.o.writes.afterCommit(() => metrics.duplicateDropped(source));
      else if (result.outcome === 'new' && message.senderId !== ownerId) {
        const key = result.changedKey ?? message.serverId;
        this.o.writes.afterCommit(() => {
          metrics.messageReceived();
          this.o.sink.received?.(message, key, source);
        });
      }
      if (result.delivered) this.o.writes.afterCommit(() => metrics.delivered());
      if (result.changedKey !== null) {
        const key = result.changedKey;
        this.o.writes.afterCommit(() => this.o.sink.messageChanged(ownerId, key, message.conversationId));
      }
      if (result.delivered && result.changedKey !== null) {
        const key = result.changedKey;
        this.o.writes.afterCommit(() => this.o.sink.deliveredElsewhere(ownerId, message.conversationId, key));
      }
      touched.set(message.conversationId, Math.max(touched.get(message.conversationId) ?? 0, message.seq));
    }
    for (const [conversationId, seq] of touched) {
      if (!gapless) raiseCursor(this.o.db, ownerId, conversationId, seq);
      else raiseLastSeq(this.o.db, ownerId, conversationId, seq);
    }
    if (!gapless) return;
    for (const conversationId of touched.keys()) {
      const cursor = advanceContiguous(this.o.db, ownerId, conversationId);
      const head = getConversation(this.o.db, ownerId, conversationId)?.lastSeq ?? 0;
      if (detectGaps && head > cursor) {
        this.o.writes.afterCommit(() => {
          metrics.sequenceGap();
          this.o.log.info(`sync: gap after ${cursor}, syncing`);
          void this.sync(conversationId);
        });
      }
    }
  }

  /** Own acks move the cursor too (once per conversation per batch): the message is stored with its number. */
  recordOwnDelivery(ownerId: string, conversationId: string, seq: number): void {
    const id = `${ownerId}\u0000${conversationId}`;
    const pending = this.ownDeliveries.get(id);
    if (pending) {
      pending.seq = Math.max(pending.seq, seq);
      return;
    }
    this.ownDeliveries.set(id, { ownerId, conversationId, gapless: this.session?.gapless ?? false, seq });
    if (this.ownDeliveries.size > 1) return;
    let deliveries: OwnDelivery[] | null = null;
    this.o.writes.push(() => {
      deliveries ??= this.takeOwnDeliveries();
      for (const delivery of deliveries) {
        if (delivery.gapless) {
          raiseLastSeq(this.o.db, delivery.ownerId, delivery.conversationId, delivery.seq);
          advanceContiguous(this.o.db, delivery.ownerId, delivery.conversationId);
        } else {
          raiseCursor(this.o.db, delivery.ownerId, delivery.conversationId, delivery.seq);
        }
      }
    });
  }

  private takeOwnDeliveries(): OwnDelivery[] {
    const taken = [...this.ownDeliveries.values()];
    this.ownDeliveries.clear();
    return taken;
  }

  /**
   * Fetches everything after the conversation's cursor. Resolves true when it reached the
   * server's head, false when it gave up (disconnect, timeout, error): callers go on either way.
   */
  sync(conversationId: string): Promise<boolean> {
    const existing = this.runs.get(conversationId);
    if (existing) return existing.done;
    const session = this.session;
    if (!session) return Promise.resolve(false);
    const run: SyncRun = { conversationId, buffer: [], done: Promise.resolve(false), complete: null, timer: null };
    this.runs.set(conversationId, run);
    const startedAt = this.o.clock.now();
    this.catchUp.attempted();
    run.done = (async () => {
      let result: ResyncResult = 'failed';
      try {
        result = session.wsSync ? await this.syncOverSocket(session, run) : await this.syncOverRest(session, run);
      } catch (error) {
        this.o.log.warn(`sync: failed (${error instanceof Error ? error.message : String(error)})`);
      } finally {
        if (this.runs.get(conversationId) === run) this.runs.delete(conversationId);
        if (run.buffer.length > 0 && this.session === session) {
          const buffered = [...run.buffer].sort((a, b) => a.seq - b.seq);
          this.apply(session.ownerId, buffered, true, 'live');
        }
      }
      this.o.metrics.resync(result, (this.o.clock.now() - startedAt) / 1000);
      // Tried again only while this connection lasts; a reconnect resyncs everything anyway. A
      // `partial` sync made no progress on a server that will not give more: trying again would not.
      if (this.session === session) {
        if (result === 'failed') this.catchUp.failed(conversationId, () => void this.sync(conversationId));
        else this.catchUp.succeeded(conversationId);
      }
      return result === 'complete';
    })();
    return run.done;
  }

  private cursor(ownerId: string, conversationId: string): number {
    this.o.writes.flush();
    return getConversation(this.o.db, ownerId, conversationId)?.contiguousSeq ?? 0;
  }

  /** `partial`: the server still had more but the cursor stopped moving (or the page bound was hit). */
  private async syncOverSocket(session: Session, run: SyncRun): Promise<ResyncResult> {
    for (let page = 0; page < MAX_PAGES; page += 1) {
      const after = this.cursor(session.ownerId, run.conversationId);
      let settle: (frame: { lastSeq: number; hasMore: boolean } | null) => void = () => undefined;
      const answer = new Promise<{ lastSeq: number; hasMore: boolean } | null>((resolve) => {
        settle = resolve;
        run.complete = resolve;
        run.timer = this.o.clock.setTimeout(() => resolve(null), this.o.syncTimeoutMs);
      });
      const sent = this.o.link.sendFrame({
        type: 'sync',
        conversation_id: run.conversationId,
        after_seq: after,
        limit: WS_SYNC_LIMIT,
      });
      if (!sent) settle(null);
      const result = await answer;
      if (run.timer) this.o.clock.clearTimeout(run.timer);
      run.timer = null;
      run.complete = null;
      if (!result || this.session !== session) return 'failed';
      this.o.writes.push(() => raiseLastSeq(this.o.db, session.ownerId, run.conversationId, result.lastSeq));
      const reached = this.cursor(session.ownerId, run.conversationId);
      if (!result.hasMore || reached <= after) return reached >= result.lastSeq || !result.hasMore ? 'complete' : 'partial';
    }
    return 'partial';
  }

  private async syncOverRest(session: Session, run: SyncRun): Promise<ResyncResult> {
    for (let page = 0; page < MAX_PAGES; page += 1) {
      const after = this.cursor(session.ownerId, run.conversationId);
      const path = `/conversations/${encodeURIComponent(run.conversationId)}/messages?after_seq=${after}&limit=${REST_PAGE_LIMIT}`;
      const response = await this.o.link.requestParsed(SERVER_BODIES.messagePage, 'GET', path);
      if (this.session !== session) return 'failed';
      if (response.status !== 200 || response.value === null) {
        this.o.log.warn(`sync: history answered ${response.status}`);
        return 'failed';
      }
      const items = response.value.items.map((item) => toIncoming(run.conversationId, item));
      // Legacy Nova ignores after_seq and always answers its oldest 200: keep only what is new.
      const fresh = items.filter((item) => item.seq > after);
      for (let stale = items.length - fresh.length; stale > 0; stale -= 1) this.o.metrics.duplicateDropped('sync');
      if (fresh.length > 0) this.apply(session.ownerId, fresh, false, 'sync');
      const reached = this.cursor(session.ownerId, run.conversationId);
      if (response.value.received < REST_PAGE_LIMIT || reached <= after) return 'complete';
    }
    return 'partial';
  }

  /** Older history than the cache holds, for scrolling back (compat servers honour before_seq). */
  async fetchOlder(ownerId: string, conversationId: string, beforeSeq: number, limit: number): Promise<number> {
    const session = this.session;
    if (!session || session.legacy) return 0;
    const path = `/conversations/${encodeURIComponent(conversationId)}/messages?before_seq=${beforeSeq}&limit=${Math.min(limit, REST_PAGE_LIMIT)}`;
    const response = await this.o.link.requestParsed(SERVER_BODIES.messagePage, 'GET', path);
    if (response.status !== 200 || response.value === null) return 0;
    const items = response.value.items.map((item) => toIncoming(conversationId, item)).filter((item) => item.seq < beforeSeq);
    if (items.length > 0) this.apply(ownerId, items, false, 'rest');
    this.o.writes.flush();
    return items.length;
  }

  private cancelAll(): void {
    for (const run of this.runs.values()) {
      if (run.timer) this.o.clock.clearTimeout(run.timer);
      run.complete?.(null);
    }
    this.runs.clear();
  }
}
