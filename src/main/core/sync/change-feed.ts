/**
 * Edits and deletes made by others (docs/protocol.md §3.7). Live `message_edited` and
 * `message_deleted` frames are applied as they come; what happened while we were away comes
 * from the change feed (`GET /conversations/:id/changes?after_updated_seq=`), read from each
 * conversation's cursor after its resync, and whenever a live change shows that one was missed.
 *
 * Every change is a state (applying it twice, or a stale one, changes nothing), so a change
 * that arrives by frame and by feed, in either order, ends as one edit.
 */
import type { ServerFrameOf } from '../../../shared/protocol';
import type { ServerCapabilities, ServerLink } from '../link';
import type { Logger } from '../logging';
import { SERVER_BODIES } from '../server-data';
import type { DB } from '../store/database';
import {
  applyMessageChange,
  getChangeCursor,
  raiseChangesHead,
  setChangesApplied,
  type MessageChange,
} from '../store/message-changes';
import type { WriteQueue } from '../store/write-queue';
import { parseTime, toIncoming } from './reconciler';

export type ChangeFeedOptions = Readonly<{
  db: DB;
  writes: WriteQueue;
  link: ServerLink;
  log: Logger;
  /** A stored message now shows another text, an "edited" mark or a deleted placeholder. */
  messageChanged(ownerId: string, key: string, conversationId: string): void;
}>;

type Session = Readonly<{ ownerId: string; feed: boolean }>;

/** The server caps a page at 200 (CHANGES_PAGE_MAX). */
const PAGE_LIMIT = 200;
/** Bounds one catch-up against a server whose cursor never moves. */
const MAX_PAGES = 1_000;

export class ChangeFeed {
  private session: Session | null = null;
  private readonly running = new Map<string, Promise<void>>();
  /** Conversations where a live change showed a gap while a catch-up ran: read again after it. */
  private readonly again = new Set<string>();

  constructor(private readonly o: ChangeFeedOptions) {}

  connected(capabilities: ServerCapabilities, ownerId: string): void {
    this.session = { ownerId, feed: capabilities.features.has('change_feed') };
  }

  disconnected(): void {
    this.session = null;
    this.again.clear();
  }

  /** The server's change counter for a conversation, as the list or a sync told it. */
  noteHead(conversationId: string, head: number | undefined): void {
    const ownerId = this.session?.ownerId ?? this.o.link.currentUserId();
    if (head === undefined || ownerId === null) return;
    this.o.writes.push(() => raiseChangesHead(this.o.db, ownerId, conversationId, head));
  }

  handleEdited(frame: ServerFrameOf<'message_edited'>): void {
    this.live(frame.conversation_id, frame.updated_seq, {
      serverId: frame.message_id,
      text: frame.plaintext ?? null,
      editedAt: parseTime(frame.timestamp),
      updatedSeq: frame.updated_seq,
    });
  }

  handleDeleted(frame: ServerFrameOf<'message_deleted'>): void {
    this.live(frame.conversation_id, frame.updated_seq, {
      serverId: frame.message_id,
      text: '',
      deletedAt: parseTime(frame.timestamp) ?? 0,
      updatedSeq: frame.updated_seq,
    });
  }

  /**
   * A live change: applied at once. With the feed, its number says whether one was missed
   * (above the cursor + 1: read the feed from the cursor). A change to a message the cache does
   * not hold yet leaves the cursor where it is, so the next read brings it again.
   */
  private live(conversationId: string, updatedSeq: number | undefined, change: MessageChange): void {
    const { db, writes } = this.o;
    const ownerId = this.session?.ownerId ?? this.o.link.currentUserId();
    if (ownerId === null) return;
    const feed = this.session?.feed === true && updatedSeq !== undefined;
    writes.push(() => {
      const outcome = applyMessageChange(db, ownerId, change);
      if (outcome.key !== null) {
        const key = outcome.key;
        writes.afterCommit(() => this.o.messageChanged(ownerId, key, conversationId));
      }
      if (!feed || updatedSeq === undefined) return;
      raiseChangesHead(db, ownerId, conversationId, updatedSeq);
      const cursor = getChangeCursor(db, ownerId, conversationId).applied;
      if (outcome.known && updatedSeq === cursor + 1) setChangesApplied(db, ownerId, conversationId, updatedSeq);
      else if (updatedSeq > cursor) writes.afterCommit(() => void this.catchUp(conversationId));
    });
  }

  /**
   * Reads the feed from the conversation's cursor up to the server's head, when the head is
   * above it. One read per conversation at a time; resolves when done or given up (logged).
   */
  catchUp(conversationId: string): Promise<void> {
    const existing = this.running.get(conversationId);
    if (existing) {
      this.again.add(conversationId);
      return existing;
    }
    const session = this.session;
    if (!session?.feed) return Promise.resolve();
    const run = this.read(session, conversationId)
      .catch((error: unknown) => {
        this.o.log.warn(`changes: not read (${error instanceof Error ? error.message : String(error)})`);
      })
      .finally(() => {
        this.running.delete(conversationId);
        if (this.again.delete(conversationId) && this.session === session) void this.catchUp(conversationId);
      });
    this.running.set(conversationId, run);
    return run;
  }

  private async read(session: Session, conversationId: string): Promise<void> {
    const { db, writes, link, log } = this.o;
    const { ownerId } = session;
    for (let page = 0; page < MAX_PAGES; page += 1) {
      writes.flush();
      const cursor = getChangeCursor(db, ownerId, conversationId);
      if (page === 0 && cursor.head <= cursor.applied) return;
      const path = `/conversations/${encodeURIComponent(conversationId)}/changes?after_updated_seq=${cursor.applied}&limit=${PAGE_LIMIT}`;
      const response = await link.requestParsed(SERVER_BODIES.changes, 'GET', path);
      if (this.session !== session) return;
      if (response.status !== 200 || response.value === null) {
        log.warn(`changes: the feed answered ${response.status}`);
        return;
      }
      const body = response.value;
      const last = body.changes.at(-1)?.updated_seq;
      // Done: the page's head is where we are. More: continue after the last item on this page.
      const reached = body.has_more && last !== undefined ? last : body.last_updated_seq;
      writes.push(() => {
        for (const item of body.changes) {
          const incoming = toIncoming(conversationId, item);
          const outcome = applyMessageChange(db, ownerId, { ...incoming, serverId: item.id });
          if (outcome.key !== null) {
            const key = outcome.key;
            writes.afterCommit(() => this.o.messageChanged(ownerId, key, conversationId));
          }
        }
        setChangesApplied(db, ownerId, conversationId, reached);
      });
      writes.flush();
      if (!body.has_more || reached <= cursor.applied) return;
    }
  }
}
