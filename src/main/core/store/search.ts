/**
 * Full-text search over the local cache (the FTS5 index of migration 9), and the background
 * pass that indexes what a cache held before the index existed. Everything here reads only
 * the local database, so it works offline.
 */
import type { DB } from './database';
import { stmt } from './statements';

/** Marks around each hit in a snippet: private-use characters, split apart before they leave the core. */
export const HIT_START = '\uE000';
export const HIT_END = '\uE001';

/** A word or phrase must hold a letter or digit: the tokenizer drops everything else. */
const HAS_WORD = /[\p{L}\p{N}]/u;

/**
 * What the user typed → an FTS5 query that cannot be a syntax error. `"quoted words"` match as
 * a phrase; every other word matches as a prefix (`meet` finds "meeting", as people expect
 * while typing); a trailing `*` is allowed and means the same. All terms must match.
 */
export function toFtsQuery(input: string): string | null {
  const terms: string[] = [];
  for (const match of input.matchAll(/"([^"]*)"?|(\S+)/g)) {
    const phrase = match[1];
    const word = match[2];
    if (phrase !== undefined) {
      if (HAS_WORD.test(phrase)) terms.push(`"${phrase.replaceAll('"', '""')}"`);
    } else if (word !== undefined) {
      const bare = word.replace(/\*+$/, '');
      if (HAS_WORD.test(bare)) terms.push(`"${bare.replaceAll('"', '""')}"*`);
    }
  }
  // Only the text column: the conversation tokens must never match what the user typed.
  return terms.length > 0 ? `text : (${terms.join(' AND ')})` : null;
}

/** The token a message's conversation is indexed under (migration 9: "c" and the id's UTF-8 in hex). */
export function scopeTerm(conversationId: string): string {
  return `scope : "c${Buffer.from(conversationId, 'utf8').toString('hex')}"`;
}

export type SearchRow = Readonly<{
  id: number;
  key: string;
  conversation_id: string;
  server_id: string | null;
  sender_id: string;
  seq: number | null;
  composed_at: number;
  snippet: string;
}>;

const SEARCH_COLUMNS = `m.id, m.key, m.conversation_id, m.server_id, m.sender_id, m.seq, m.composed_at,
  snippet(messages_fts, 0, char(57344), char(57345), '…', 16) AS snippet`;

/**
 * The newest matches first (by row id: the order they were stored in, which FTS5 walks without
 * sorting). Deleted messages have no text and so never match. Within one conversation (its
 * scope token intersected with the words) or across all the user's.
 */
export function searchMessages(
  db: DB,
  ownerId: string,
  query: string,
  conversationId: string | null,
  limit: number,
): SearchRow[] {
  if (conversationId === null) {
    return stmt(
      db,
      `SELECT ${SEARCH_COLUMNS} FROM messages_fts JOIN messages m ON m.id = messages_fts.rowid
       WHERE messages_fts MATCH ? AND m.owner_id = ? ORDER BY messages_fts.rowid DESC LIMIT ?`,
    ).all(query, ownerId, limit) as SearchRow[];
  }
  return stmt(
    db,
    `SELECT ${SEARCH_COLUMNS} FROM messages_fts JOIN messages m ON m.id = messages_fts.rowid
     WHERE messages_fts MATCH ? AND m.owner_id = ? AND m.conversation_id = ? ORDER BY messages_fts.rowid DESC LIMIT ?`,
  ).all(`${query} AND ${scopeTerm(conversationId)}`, ownerId, conversationId, limit) as SearchRow[];
}

/**
 * Indexes rows written since the last call (they wait in `search_pending`), up to `batch` of
 * them; answers how many. Runs inside the caller's transaction when there is one.
 */
export function indexPending(db: DB, batch: number): number {
  const ids = stmt(db, 'SELECT id FROM search_pending ORDER BY id LIMIT ?').pluck().all(batch) as number[];
  if (ids.length === 0) return 0;
  const list = JSON.stringify(ids);
  stmt(
    db,
    `INSERT INTO messages_fts (rowid, text, scope)
     SELECT id, text, 'c' || hex(conversation_id) FROM messages WHERE id IN (SELECT value FROM json_each(?))`,
  ).run(list);
  stmt(db, 'DELETE FROM search_pending WHERE id IN (SELECT value FROM json_each(?))').run(list);
  return ids.length;
}

export function hasPending(db: DB): boolean {
  return stmt(db, 'SELECT EXISTS (SELECT 1 FROM search_pending)').pluck().get() === 1;
}

export type IndexProgress = Readonly<{ indexed: number; total: number }>;

/** How much of the cache the background pass has indexed (all of it: indexed === total). */
export function indexProgress(db: DB): IndexProgress {
  const state = stmt(db, 'SELECT upto, done FROM search_index WHERE id = 1').get() as { upto: number; done: number } | undefined;
  if (!state) return { indexed: 0, total: 0 };
  const count = stmt(db, 'SELECT COUNT(*) FROM messages WHERE id <= ?').pluck();
  const total = count.get(state.upto) as number;
  return { indexed: state.done >= state.upto ? total : (count.get(state.done) as number), total };
}

/**
 * Indexes the next `batch` rows left from before the index existed, in one transaction, and
 * answers whether rows are left. Rows written since are indexed by the triggers.
 */
export function indexNextBatch(db: DB, batch: number): boolean {
  return db.transaction(() => {
    const state = stmt(db, 'SELECT upto, done FROM search_index WHERE id = 1').get() as { upto: number; done: number } | undefined;
    if (!state || state.done >= state.upto) return false;
    const last = stmt(db, 'SELECT id FROM messages WHERE id > ? AND id <= ? ORDER BY id LIMIT 1 OFFSET ?')
      .pluck()
      .get(state.done, state.upto, batch - 1) as number | undefined;
    const end = last ?? state.upto;
    stmt(
      db,
      "INSERT INTO messages_fts (rowid, text, scope) SELECT id, text, 'c' || hex(conversation_id) FROM messages WHERE id > ? AND id <= ?",
    ).run(state.done, end);
    stmt(db, 'UPDATE search_index SET done = ? WHERE id = 1').run(end);
    return end < state.upto;
  })();
}
