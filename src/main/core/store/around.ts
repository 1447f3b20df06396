/**
 * The stretch of a conversation around one message, for jumping to a search result or to the
 * first unread message, and the pages after it: a few messages before it and a page after it,
 * then newer pages until the thread meets the newest message. Keyset paging on (sort_seq, id),
 * as the older pages, so the two directions meet without a hole or a repeat.
 */
import type { DB } from './database';
import { MESSAGE_COLUMNS, PENDING_SORT_SEQ, toMessageRecord, type MessageRecord, type MessageRow, type PageCursor } from './messages';
import { stmt } from './statements';

export type AroundPage = Readonly<{
  messages: MessageRecord[];
  /** Where the next older page starts; null at the start of the cache. */
  older: PageCursor | null;
  /** Where the next newer page starts (after this page's newest); null when the page reaches the newest message. */
  newer: PageCursor | null;
  /** The page runs up to the newest message; false when `maxAfter` stopped it first. */
  reachesNewest: boolean;
}>;

export function messagesAround(
  db: DB,
  ownerId: string,
  conversationId: string,
  key: string,
  before: number,
  maxAfter: number,
): AroundPage | null {
  const target = stmt(db, 'SELECT sort_seq, id FROM messages WHERE owner_id = ? AND conversation_id = ? AND key = ?').get(
    ownerId,
    conversationId,
    key,
  ) as { sort_seq: number; id: number } | undefined;
  if (!target) return null;
  const olderRows = stmt(
    db,
    `SELECT ${MESSAGE_COLUMNS} FROM messages m LEFT JOIN outbox o ON o.key = m.key
     WHERE m.owner_id = ? AND m.conversation_id = ? AND (m.sort_seq, m.id) < (?, ?)
     ORDER BY m.sort_seq DESC, m.id DESC LIMIT ?`,
  ).all(ownerId, conversationId, target.sort_seq, target.id, before + 1) as MessageRow[];
  const after = newerRows(db, ownerId, conversationId, { sortSeq: target.sort_seq, id: target.id - 1 }, maxAfter);
  const hasOlder = olderRows.length > before;
  const older = olderRows.slice(0, before).reverse().map(toMessageRecord);
  const messages = [...older, ...after.messages];
  const oldest = messages[0];
  return {
    messages,
    older: hasOlder && oldest ? { sortSeq: oldest.sortSeq, id: oldest.id } : null,
    newer: after.newer,
    reachesNewest: after.newer === null,
  };
}

/**
 * Up to `limit` messages after `after` (exclusive), oldest first; `newer` is null when they
 * reach the newest message.
 */
export function newerRows(
  db: DB,
  ownerId: string,
  conversationId: string,
  after: PageCursor,
  limit: number,
): Readonly<{ messages: MessageRecord[]; newer: PageCursor | null }> {
  const rows = stmt(
    db,
    `SELECT ${MESSAGE_COLUMNS} FROM messages m LEFT JOIN outbox o ON o.key = m.key
     WHERE m.owner_id = ? AND m.conversation_id = ? AND (m.sort_seq, m.id) > (?, ?)
     ORDER BY m.sort_seq, m.id LIMIT ?`,
  ).all(ownerId, conversationId, after.sortSeq, after.id, limit + 1) as MessageRow[];
  const messages = rows.slice(0, limit).map(toMessageRecord);
  const newest = messages[messages.length - 1];
  return { messages, newer: rows.length > limit && newest ? { sortSeq: newest.sortSeq, id: newest.id } : null };
}

/** The first message from someone else after the read marker `afterSeq`: where "New messages" goes. */
export function firstUnreadKey(db: DB, ownerId: string, conversationId: string, afterSeq: number): string | null {
  return (
    (stmt(
      db,
      `SELECT key FROM messages WHERE owner_id = ? AND conversation_id = ? AND sort_seq > ? AND sort_seq < ? AND sender_id <> ?
       ORDER BY sort_seq, id LIMIT 1`,
    )
      .pluck()
      .get(ownerId, conversationId, afterSeq, PENDING_SORT_SEQ, ownerId) as string | undefined) ?? null
  );
}
