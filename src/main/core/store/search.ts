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
 * How many of the newest matches `best` ranks. Ranking more costs more than the search budget
 * (docs/decisions.md); beyond this many, the older matches of a common word are the ones a user
 * is least likely to be looking for.
 */
export const RANKED_MATCHES = 100;

/** Two densities within ~15 % of each other count as alike, and the newer message goes first. */
const BAND_STEP = Math.log(1.15);

const WORD = /[\p{L}\p{N}\p{M}]+/gu;
const ASCII = /^[\x20-\x7e]*$/;

/** A word as the index compares it: diacritics removed, case folded (the common ASCII case cheaply). */
function fold(word: string): string {
  return ASCII.test(word) ? word.toLowerCase() : word.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();
}

/** The words of a text as the index's tokenizer sees them (unicode61, diacritics removed, folded). */
function tokens(text: string): string[] {
  return (text.match(WORD) ?? []).map(fold).filter((token) => token.length > 0);
}

/** The terms of a query toFtsQuery built (its text part, without the scope): each quoted string, and whether it is a prefix. */
function ftsTerms(query: string): Array<Readonly<{ words: string[]; isPrefix: boolean }>> {
  return [...query.matchAll(/"((?:[^"]|"")*)"(\*?)/g)]
    .map((match) => ({ words: tokens((match[1] ?? '').replaceAll('""', '"')), isPrefix: match[2] === '*' }));
}

/**
 * How much of a message the query's words make up (0–1]: what bm25 weighs for one query, without
 * the pass over every match that bm25 makes to weigh the words against each other.
 */
export function matchDensity(text: string, terms: ReturnType<typeof ftsTerms>): number {
  const words = tokens(text);
  if (words.length === 0) return 0;
  let hits = 0;
  for (const word of words) if (isHitWord(word, terms)) hits += 1;
  return hits / words.length;
}

/** A density → its band, higher is better. */
export function densityBand(density: number): number {
  return Math.floor(Math.log(Math.max(density, 1e-9)) / BAND_STEP);
}

/**
 * Matches in the user's messages, `limit` of them: newest first (by row id, the order they were
 * stored in, which FTS5 walks without sorting), or best first (by how much of the message the
 * words make up, in bands, the newer first within one, over the newest RANKED_MATCHES matches).
 * Deleted messages have no text and so never match. Within one conversation (its scope token
 * intersected with the words) or across all the user's.
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
  // One walk: the texts, scored and cut into snippets here. FTS5's bm25() and snippet() each cost
  // a pass the budget has no room for (bm25 counts every match of every word first).
  const candidates = stmt(
    db,
    `SELECT m.id, m.key, m.conversation_id, m.server_id, m.sender_id, m.seq, m.composed_at, m.text
     FROM messages_fts JOIN messages m ON m.id = messages_fts.rowid
     WHERE messages_fts MATCH @match AND m.owner_id = @owner ${scope} ORDER BY messages_fts.rowid DESC LIMIT @ranked`,
  ).all({ ...params, ranked: Math.max(RANKED_MATCHES, limit) }) as Array<Omit<SearchRow, 'snippet'> & { text: string }>;
  const terms = ftsTerms(query);
  return candidates
    .map((row) => ({ row, band: densityBand(matchDensity(row.text, terms)) }))
    .sort((a, b) => b.band - a.band || b.row.id - a.row.id)
    .slice(0, limit)
    .map(({ row: { text, ...row } }) => ({ ...row, snippet: snippetOf(text, terms) }));
}

const SNIPPET_TOKENS = 16;

type Span = { start: number; end: number; hit: boolean };

/** The words of a text where they stand in it, each marked when the query matches it. */
function hitSpans(text: string, terms: ReturnType<typeof ftsTerms>): Span[] {
  const spans: Span[] = [];
  const word = new RegExp(WORD.source, 'gu');
  for (let match = word.exec(text); match !== null; match = word.exec(text)) {
    spans.push({ start: match.index, end: word.lastIndex, hit: isHitWord(fold(match[0]), terms) });
  }
  return spans;
}

function isHitWord(word: string, terms: ReturnType<typeof ftsTerms>): boolean {
  return terms.some((term) => term.words.some((w, i) => (term.isPrefix && i === term.words.length - 1 ? word.startsWith(w) : word === w)));
}

/**
 * As FTS5's snippet(): the stretch of at most 16 words with the most hits, each hit between
 * HIT_START and HIT_END, '…' where the text goes on.
 */
export function snippetOf(text: string, terms: ReturnType<typeof ftsTerms>): string {
  const spans = hitSpans(text, terms);
  let from = 0;
  if (spans.length > SNIPPET_TOKENS) {
    let hits = 0;
    for (let i = 0; i < SNIPPET_TOKENS; i += 1) if (spans[i]?.hit) hits += 1;
    let best = hits;
    for (let start = 1; start + SNIPPET_TOKENS <= spans.length; start += 1) {
      hits += (spans[start + SNIPPET_TOKENS - 1]?.hit ? 1 : 0) - (spans[start - 1]?.hit ? 1 : 0);
      if (hits >= best) {
        best = hits;
        from = start;
      }
    }
    // The last stretch with the most hits (a hit near the end then shows what led to it), and a
    // word or two before the first hit when it would open the snippet.
    const firstHit = spans.slice(from, from + SNIPPET_TOKENS).findIndex((span) => span.hit);
    if (firstHit === 0) from = Math.max(0, from - 2);
  }
  const shown = spans.slice(from, from + SNIPPET_TOKENS);
  const first = shown[0];
  if (!first) return text;
  let out = from > 0 ? '…' : text.slice(0, first.start);
  let at = first.start;
  for (const span of shown) {
    if (!span.hit) continue;
    out += `${text.slice(at, span.start)}${HIT_START}${text.slice(span.start, span.end)}${HIT_END}`;
    at = span.end;
  }
  const end = shown[shown.length - 1]?.end ?? at;
  out += text.slice(at, end);
  at = end;
  return out + (from + SNIPPET_TOKENS < spans.length ? '…' : text.slice(at));
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
