/**
 * Offline search: the `search:*` and `messages:around` handlers, and the background pass that
 * indexes a cache which held messages before the index existed (in batches between other work,
 * with `search:progress` after each). Reads the local database only: it answers offline too.
 */
import type { Res } from '../../../shared/contract';
import { AppError } from '../../../shared/errors';
import type { SearchHit, SearchIndexStatus, SnippetPart } from '../../../shared/search';
import type { CoreEventBus } from '../events';
import type { Logger } from '../logging';
import { firstUnreadKey, messagesAround, newerRows, type AroundPage } from '../store/around';
import type { DB } from '../store/database';
import { decodeCursor, encodeCursor } from '../store/messages';
import { HIT_END, HIT_START, hasPending, indexNextBatch, indexPending, indexProgress, searchMessages, toFtsQuery, type SearchOrder } from '../store/search';
import type { WriteQueue } from '../store/write-queue';
import { toMessageView } from '../outbox/views';

export type SearchServiceOptions = Readonly<{
  db: DB;
  writes: WriteQueue;
  events: CoreEventBus;
  log: Logger;
  currentUserId: () => string | null;
  /** Keys of sends in flight, so a jumped-to page shows them as "sending". */
  sending: () => ReadonlySet<string>;
  /** Rows per background transaction: small enough that a send waits at most a few ms. */
  indexBatch?: number;
}>;

const DEFAULT_LIMIT = 50;
const DEFAULT_INDEX_BATCH = 2_000;
/** New messages wait at most this long to be indexed (a search indexes them first anyway). */
const PENDING_INTERVAL_MS = 1_000;
/**
 * Messages shown before a jumped-to one, and at most after it (up to the newest). The thread
 * pages on both ways from there, so this is one page, not the whole way to the present.
 */
const AROUND_BEFORE = 25;
const AROUND_MAX_AFTER = 100;
const NEWER_PAGE = 100;

/** `snippet()` output with its hit marks → parts the window highlights without parsing. */
export function toSnippetParts(snippet: string): SnippetPart[] {
  const parts: SnippetPart[] = [];
  let rest = snippet;
  while (rest.length > 0) {
    const start = rest.indexOf(HIT_START);
    if (start < 0) {
      parts.push({ text: rest, hit: false });
      break;
    }
    if (start > 0) parts.push({ text: rest.slice(0, start), hit: false });
    const end = rest.indexOf(HIT_END, start + 1);
    const stop = end < 0 ? rest.length : end;
    parts.push({ text: rest.slice(start + 1, stop), hit: true });
    rest = end < 0 ? '' : rest.slice(end + 1);
  }
  return parts.filter((part) => part.text.length > 0);
}

export class SearchService {
  private indexing: NodeJS.Immediate | null = null;
  private pendingTimer: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(private readonly o: SearchServiceOptions) {}

  /** Kept once the pass is done: searches then cost no count. */
  private finished: SearchIndexStatus | null = null;

  status(): SearchIndexStatus {
    if (this.finished) return this.finished;
    const progress = indexProgress(this.o.db);
    const status = { ...progress, done: progress.indexed >= progress.total };
    if (status.done) this.finished = status;
    return status;
  }

  /** Starts the background pass when rows are left to index; a no-op otherwise. */
  start(): void {
    // New rows are indexed in the write queue's batches (one transaction for many), never in
    // the transaction that saves a message the user just sent.
    this.pendingTimer = setInterval(() => {
      if (!hasPending(this.o.db)) return;
      this.o.writes.push(() => void indexPending(this.o.db, this.o.indexBatch ?? DEFAULT_INDEX_BATCH));
    }, PENDING_INTERVAL_MS);
    this.pendingTimer.unref();
    if (this.status().done) return;
    this.o.log.info(`search: indexing ${this.status().total} cached messages in the background`);
    this.schedule();
  }

  stop(): void {
    this.stopped = true;
    if (this.pendingTimer) clearInterval(this.pendingTimer);
    this.pendingTimer = null;
    if (this.indexing) clearImmediate(this.indexing);
    this.indexing = null;
  }

  /** Indexes what waits (new rows), so a search sees every message stored so far. */
  private indexWaiting(): void {
    this.o.writes.flush();
    if (!hasPending(this.o.db)) return;
    this.o.db.transaction(() => {
      while (indexPending(this.o.db, DEFAULT_INDEX_BATCH) > 0);
    })();
  }

  private schedule(): void {
    if (this.stopped) return;
    // One batch per turn of the event loop: IPC, frames and sends go in between.
    this.indexing = setImmediate(() => {
      this.indexing = null;
      let more = false;
      try {
        more = indexNextBatch(this.o.db, this.o.indexBatch ?? DEFAULT_INDEX_BATCH);
      } catch (error) {
        this.o.log.error('search: background indexing failed; search covers new messages only', error);
        return;
      }
      const status = this.status();
      this.o.events.emit('search:progress', status);
      if (more) this.schedule();
      else this.o.log.info(`search: indexed ${status.total} cached messages`);
    });
  }

  search(query: string, conversationId: string | null, limit = DEFAULT_LIMIT, order: SearchOrder = 'best'): Res<'search:messages'> {
    const ownerId = this.o.currentUserId();
    if (ownerId === null) throw new AppError('NOT_SIGNED_IN');
    const fts = toFtsQuery(query);
    const index = this.status();
    if (fts === null) return { hits: [], hasMore: false, index };
    // Reads see the messages still waiting in the write batch, and the rows not indexed yet.
    this.indexWaiting();
    const rows = searchMessages(this.o.db, ownerId, fts, conversationId, limit + 1, order);
    const hits: SearchHit[] = rows.slice(0, limit).map((row) => ({
      key: row.key,
      conversationId: row.conversation_id,
      senderId: row.sender_id,
      isOwn: row.sender_id === ownerId,
      seq: row.seq,
      composedAt: row.composed_at,
      snippet: toSnippetParts(row.snippet),
    }));
    return { hits, hasMore: rows.length > limit, index };
  }

  around(conversationId: string, key: string): Res<'messages:around'> {
    const ownerId = this.owner();
    const page = messagesAround(this.o.db, ownerId, conversationId, key, AROUND_BEFORE, AROUND_MAX_AFTER);
    if (!page) throw new AppError('NOT_FOUND', 'That message is no longer in this conversation.');
    return this.aroundView(ownerId, page);
  }

  /** The stretch around the first message from others after the read marker, when there is one. */
  unread(conversationId: string, afterSeq: number): Res<'messages:unread'> {
    const ownerId = this.owner();
    const key = firstUnreadKey(this.o.db, ownerId, conversationId, afterSeq);
    const page = key === null ? null : messagesAround(this.o.db, ownerId, conversationId, key, AROUND_BEFORE, AROUND_MAX_AFTER);
    if (key === null || page === null) return { firstUnreadKey: null, messages: [], olderCursor: null, newerCursor: null, reachesNewest: true };
    return { firstUnreadKey: key, ...this.aroundView(ownerId, page) };
  }

  /** The page after a jumped-to stretch; `newerCursor` null once it reaches the newest message. */
  newer(conversationId: string, cursorText: string, limit = NEWER_PAGE): Res<'messages:newer'> {
    const ownerId = this.owner();
    const cursor = decodeCursor(cursorText);
    if (!cursor) throw new AppError('INVALID_REQUEST', 'That page cursor is not valid.');
    const page = newerRows(this.o.db, ownerId, conversationId, cursor, limit);
    const sending = this.o.sending();
    return {
      messages: page.messages.map((record) => toMessageView(ownerId, record, sending)),
      newerCursor: page.newer ? encodeCursor(page.newer) : null,
    };
  }

  private owner(): string {
    const ownerId = this.o.currentUserId();
    if (ownerId === null) throw new AppError('NOT_SIGNED_IN');
    this.o.writes.flush();
    return ownerId;
  }

  private aroundView(ownerId: string, page: AroundPage): Res<'messages:around'> {
    const sending = this.o.sending();
    return {
      messages: page.messages.map((record) => toMessageView(ownerId, record, sending)),
      olderCursor: page.older ? encodeCursor(page.older) : null,
      newerCursor: page.newer ? encodeCursor(page.newer) : null,
      reachesNewest: page.reachesNewest,
    };
  }

  readonly handlers = {
    'search:messages': (
      req: Readonly<{ query: string; conversationId?: string | null | undefined; limit?: number | undefined; order?: SearchOrder | undefined }>,
    ) => Promise.resolve(this.search(req.query, req.conversationId ?? null, req.limit, req.order)),
    'search:status': () => Promise.resolve(this.status()),
    'messages:around': (req: Readonly<{ conversationId: string; key: string }>) => Promise.resolve(this.around(req.conversationId, req.key)),
    'messages:unread': (req: Readonly<{ conversationId: string; afterSeq: number }>) => Promise.resolve(this.unread(req.conversationId, req.afterSeq)),
    'messages:newer': (req: Readonly<{ conversationId: string; newerCursor: string; limit?: number | undefined }>) =>
      Promise.resolve(this.newer(req.conversationId, req.newerCursor, req.limit)),
  };
}
