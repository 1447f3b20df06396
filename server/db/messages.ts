/** Reading messages: one by id, a page by sequence number, a text search. */
import { stmt, type DB } from './statements';

export type MessageRow = Readonly<{
  id: string;
  conversation_id: string;
  sender_id: string;
  sequence_number: number;
  plaintext: string;
  idempotency_key: string | null;
  client_seq: number | null;
  device_id: string | null;
  created_at: string;
  edited_at: string | null;
  deleted_at: string | null;
  updated_seq: number;
}>;

export function getMessage(db: DB, id: string): MessageRow | undefined {
  return stmt(db, 'SELECT * FROM messages WHERE id = ?').get(id) as MessageRow | undefined;
}

/** Ascending page strictly between the two cursors; `beforeSeq` pages backwards from the newest. */
export function listMessages(
  db: DB,
  conversationId: string,
  q: { afterSeq?: number; beforeSeq?: number; limit: number },
): MessageRow[] {
  const after = q.afterSeq ?? -1;
  const before = q.beforeSeq ?? Number.MAX_SAFE_INTEGER;
  if (q.afterSeq === undefined && q.beforeSeq !== undefined) {
    // newest `limit` messages below the cursor, still returned ascending
    const rows = stmt(
      db,
      `SELECT * FROM messages WHERE conversation_id = ? AND sequence_number < ?
       ORDER BY sequence_number DESC LIMIT ?`,
    ).all(conversationId, before, q.limit) as MessageRow[];
    return rows.reverse();
  }
  return stmt(
    db,
    `SELECT * FROM messages WHERE conversation_id = ? AND sequence_number > ? AND sequence_number < ?
     ORDER BY sequence_number ASC LIMIT ?`,
  ).all(conversationId, after, before, q.limit) as MessageRow[];
}

export function searchMessages(
  db: DB,
  conversationId: string,
  q: { text: string; limit: number; offset: number; oldestFirst: boolean },
): { rows: MessageRow[]; total: number } {
  const like = `%${q.text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
  const where = `conversation_id = ? AND deleted_at IS NULL AND plaintext LIKE ? ESCAPE '\\'`;
  const total = stmt(db, `SELECT COUNT(*) FROM messages WHERE ${where}`)
    .pluck()
    .get(conversationId, like) as number;
  const order = q.oldestFirst ? 'ASC' : 'DESC';
  const rows = stmt(
    db,
    `SELECT * FROM messages WHERE ${where} ORDER BY sequence_number ${order} LIMIT ? OFFSET ?`,
  ).all(conversationId, like, q.limit, q.offset) as MessageRow[];
  return { rows, total };
}
