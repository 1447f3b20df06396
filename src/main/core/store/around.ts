/**
 * The stretch of a conversation around one message, for jumping to a search result: a few
 * messages before it, and everything after it up to the newest (bounded), so the thread shows
 * it in place with no hole between it and the present.
 */
import type { DB } from './database';
import { MESSAGE_COLUMNS, toMessageRecord, type MessageRecord, type MessageRow, type PageCursor } from './messages';
import { stmt } from './statements';

export type AroundPage = Readonly<{
  messages: MessageRecord[];
  /** Where the next older page starts; null at the start of the cache. */
  older: PageCursor | null;
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
  const newerRows = stmt(
    db,
    `SELECT ${MESSAGE_COLUMNS} FROM messages m LEFT JOIN outbox o ON o.key = m.key
     WHERE m.owner_id = ? AND m.conversation_id = ? AND (m.sort_seq, m.id) >= (?, ?)
     ORDER BY m.sort_seq, m.id LIMIT ?`,
  ).all(ownerId, conversationId, target.sort_seq, target.id, maxAfter + 1) as MessageRow[];
  const hasOlder = olderRows.length > before;
  const older = olderRows.slice(0, before).reverse().map(toMessageRecord);
  const reachesNewest = newerRows.length <= maxAfter;
  const messages = [...older, ...newerRows.slice(0, maxAfter).map(toMessageRecord)];
  const oldest = messages[0];
  return { messages, older: hasOlder && oldest ? { sortSeq: oldest.sortSeq, id: oldest.id } : null, reachesNewest };
}
