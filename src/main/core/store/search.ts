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

/** `newest`: the newest matches first; `best`: the best matches first, the newer of two alike first. */
export type SearchOrder = 'best' | 'newest';

/**
 * How many of the newest matches `best` ranks. A word in most messages would otherwise cost a
 * score for every one of them; beyond this many, the older matches of such a word are the
 * ones a user is least likely to look for (see docs/decisions.md).
 */
export const RANKED_MATCHES = 1_000;

/**
 * Two scores in the same band (within ~15 % of each other) count as alike, and the newer
 * message goes first: short chat messages differ in length and repeats more than in meaning.
 */
const BAND_STEP = Math.log(1.15);

/** bm25 (lower is better, negative) → a band, higher is better. */
export function scoreBand(score: number): number {
  return Math.floor(Math.log(Math.max(-score, 1e-9)) / BAND_STEP);
}

/**
 * Matches in the user's messages, `limit` of them: newest first (by row id, the order they were
 * stored in, which FTS5 walks without sorting), or best first (bm25 over the text column, in
 * bands, the newer first within one, over the newest RANKED_MATCHES matches). Deleted messages
 * have no text and so never match. Within one conversation (its scope token intersected with
 * the words) or across all the user's.
 */
export function searchMessages(
  db: DB,
  ownerId: string,
  query: string,
  conversationId: string | null,
  limit: number,
  order: SearchOrder = 'newest',
): SearchRow[] {
  const match = conversationId === null ? query : `${query} AND ${scopeTerm(conversationId)}`;
  const scope = conversationId === null ? '' : 'AND m.conversation_id = @conversation';
  const params = { match, owner: ownerId, conversation: conversationId ?? '', limit };
  if (order === 'newest') {
    return stmt(
      db,
      `SELECT ${SEARCH_COLUMNS} FROM messages_fts JOIN messages m ON m.id = messages_fts.rowid
       WHERE messages_fts MATCH @match AND m.owner_id = @owner ${scope} ORDER BY messages_fts.rowid DESC LIMIT @limit`,
    ).all(params) as SearchRow[];
  }
  // Scores first (cheap), snippets then for the rows shown only (each costs a pass over its text).
  const scored = stmt(
    db,
    `SELECT m.id, bm25(messages_fts, 1.0, 0.0) FROM messages_fts JOIN messages m ON m.id = messages_fts.rowid
     WHERE messages_fts MATCH @match AND m.owner_id = @owner ${scope} ORDER BY messages_fts.rowid DESC LIMIT @ranked`,
  )
    .raw()
    .all({ ...params, ranked: Math.max(RANKED_MATCHES, limit) }) as Array<[number, number]>;
  const ranked = scored
    .map(([id, score]) => ({ id, band: scoreBand(score) }))
    .sort((a, b) => b.band - a.band || b.id - a.id)
    .slice(0, limit);
  const rows = stmt(
    db,
    `SELECT ${SEARCH_COLUMNS} FROM messages_fts JOIN messages m ON m.id = messages_fts.rowid
     WHERE messages_fts MATCH ? AND messages_fts.rowid IN (SELECT value FROM json_each(?))`,
  ).all(match, JSON.stringify(ranked.map((r) => r.id))) as SearchRow[];
  const byId = new Map(rows.map((row) => [row.id, row]));
  return ranked.map((r) => byId.get(r.id)).filter((row): row is SearchRow => row !== undefined);
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
