/**
 * The full-text index on real SQLite: migration 9 over an existing cache (indexed later, in
 * batches, with progress), the triggers that keep it in step with every write (incoming,
 * edits, deletes, folds), and the query the user's words become.
 */
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { migrate, schemaVersion, type DB } from '../../../src/main/core/store/database';
import { applyMessageChange } from '../../../src/main/core/store/message-changes';
import { upsertIncoming, recordServerIdentity, insertOwnMessage } from '../../../src/main/core/store/messages';
import { MIGRATIONS } from '../../../src/main/core/store/migrations';
import { recordDelete, recordEdit } from '../../../src/main/core/store/own-messages';
import { indexNextBatch, indexPending, indexProgress, searchMessages, toFtsQuery } from '../../../src/main/core/store/search';
import { toSnippetParts } from '../../../src/main/core/search';

let db: DB | null = null;
afterEach(() => db?.close());

const OWNER = 'u1';

function incoming(database: DB, seq: number, text: string, conversationId = 'c1'): void {
  upsertIncoming(database, OWNER, { conversationId, serverId: `s${conversationId}-${seq}`, senderId: 'bob', seq, text, createdAt: seq, idempotencyKey: null }, 0);
}

function find(database: DB, words: string, conversationId: string | null = null): string[] {
  const query = toFtsQuery(words);
  if (query === null) return [];
  // New rows wait to be indexed in batches; the core indexes them before every search.
  indexPending(database, 1_000);
  return searchMessages(database, OWNER, query, conversationId, 50).map((row) => row.key);
}

/** FTS5's own check that the index matches the text in `messages`, row for row. */
function expectIndexConsistent(database: DB): void {
  expect(() => database.prepare("INSERT INTO messages_fts (messages_fts, rank) VALUES ('integrity-check', 1)").run()).not.toThrow();
}

describe('search migration (9) over an existing cache', () => {
  it('indexes nothing in the migration, then every old row once in background batches with progress; edits and deletes in between stay right', () => {
    db = new Database(':memory:');
    migrate(db, MIGRATIONS, 8);
    for (let seq = 1; seq <= 25; seq += 1) incoming(db, seq, `old message number ${seq} about apples`);
    migrate(db, MIGRATIONS, 9);
    expect(schemaVersion(db)).toBe(9);
    // The migration itself is quick: nothing old is searchable yet.
    expect(find(db, 'apples')).toEqual([]);
    expect(indexProgress(db)).toEqual({ indexed: 0, total: 25 });
    // Written after the migration: searchable at once, through the trigger.
    incoming(db, 26, 'fresh news about apples');
    expect(find(db, 'apples')).toEqual(['sc1-26']);
    // An old row edited and another deleted before the pass reaches them.
    applyMessageChange(db, OWNER, { serverId: 'sc1-3', text: 'old message three about pears', editedAt: 5, updatedSeq: 1 });
    applyMessageChange(db, OWNER, { serverId: 'sc1-4', text: '', deletedAt: 6, updatedSeq: 2 });
    const progress: number[] = [];
    while (indexNextBatch(db, 10)) progress.push(indexProgress(db).indexed);
    progress.push(indexProgress(db).indexed);
    expect(progress).toEqual([10, 20, 25]);
    expect(indexProgress(db)).toEqual({ indexed: 25, total: 25 });
    expect(indexNextBatch(db, 10)).toBe(false);
    const apples = find(db, 'apples');
    expect(apples).toHaveLength(24);
    expect(apples).not.toContain('sc1-3');
    expect(apples).not.toContain('sc1-4');
    expect(find(db, 'pears')).toEqual(['sc1-3']);
    expectIndexConsistent(db);
  });

  it('a fresh database has nothing to index in the background', () => {
    db = new Database(':memory:');
    migrate(db, MIGRATIONS, 9);
    expect(indexProgress(db)).toEqual({ indexed: 0, total: 0 });
    expect(indexNextBatch(db, 100)).toBe(false);
  });
});

describe('the index follows every write', () => {
  it('edits replace the indexed words, deletes remove them, folded duplicates leave nothing behind', () => {
    db = new Database(':memory:');
    migrate(db, MIGRATIONS, 9);
    incoming(db, 1, 'the quarterly report is late');
    incoming(db, 2, 'see you at the café tomorrow');
    expect(find(db, 'quarterly')).toEqual(['sc1-1']);
    applyMessageChange(db, OWNER, { serverId: 'sc1-1', text: 'the annual report is late', editedAt: 1, updatedSeq: 1 });
    expect(find(db, 'quarterly')).toEqual([]);
    expect(find(db, 'annual')).toEqual(['sc1-1']);
    applyMessageChange(db, OWNER, { serverId: 'sc1-1', text: '', deletedAt: 2, updatedSeq: 2 });
    expect(find(db, 'report')).toEqual([]);
    // Diacritics fold: "cafe" finds "café".
    expect(find(db, 'cafe')).toEqual(['sc1-2']);
    // An own message first seen as a broadcast copy, then folded into the own row.
    insertOwnMessage(db, { ownerId: OWNER, conversationId: 'c1', key: 'own-1', text: 'bring umbrellas', composedAt: 3 });
    upsertIncoming(db, OWNER, { conversationId: 'c1', serverId: 'srv-own', senderId: 'other-copy', seq: 3, text: 'bring umbrellas', createdAt: 3, idempotencyKey: null }, 0);
    expect(find(db, 'umbrellas').sort()).toEqual(['own-1', 'srv-own']);
    recordServerIdentity(db, OWNER, 'own-1', 'srv-own', 3);
    expect(find(db, 'umbrellas')).toEqual(['own-1']);
    expectIndexConsistent(db);
  });
});

describe('rows waiting to be indexed', () => {
  it('a send pays no index write: new rows wait, and edits or deletes before their batch leave the index right', () => {
    db = new Database(':memory:');
    migrate(db, MIGRATIONS, 9);
    incoming(db, 1, 'waiting one about kites');
    incoming(db, 2, 'waiting two about kites');
    incoming(db, 3, 'waiting three about kites');
    const indexed = (): number => (db as DB).prepare("SELECT COUNT(*) FROM messages_fts WHERE messages_fts MATCH 'kites'").pluck().get() as number;
    expect(indexed()).toBe(0);
    expect(db.prepare('SELECT COUNT(*) FROM search_pending').pluck().get()).toBe(3);
    applyMessageChange(db, OWNER, { serverId: 'sc1-2', text: 'waiting two about boats', editedAt: 1, updatedSeq: 1 });
    db.prepare("DELETE FROM messages WHERE server_id = 'sc1-3'").run();
    expect(indexPending(db, 1)).toBe(1);
    expect(indexPending(db, 10)).toBe(1);
    expect(indexPending(db, 10)).toBe(0);
    expect(find(db, 'kites')).toEqual(['sc1-1']);
    expect(find(db, 'boats')).toEqual(['sc1-2']);
    expectIndexConsistent(db);
  });
});

describe('own edits and deletes', () => {
  it("the user's own edit and delete (store/own-messages.ts) leave the index right, before and after the row is indexed", () => {
    db = new Database(':memory:');
    migrate(db, MIGRATIONS, 9);
    insertOwnMessage(db, { ownerId: OWNER, conversationId: 'c1', key: 'k1', text: 'own note about pears', composedAt: 1 });
    insertOwnMessage(db, { ownerId: OWNER, conversationId: 'c1', key: 'k2', text: 'own note about plums', composedAt: 2 });
    insertOwnMessage(db, { ownerId: OWNER, conversationId: 'c1', key: 'k3', text: 'own note about figs', composedAt: 3 });
    // k3 is edited while still waiting for its batch; k1 and k2 after they are indexed.
    recordEdit(db, OWNER, 'k3', 'own note about dates', 5);
    expect(find(db, 'own')).toEqual(['k3', 'k2', 'k1']);
    recordServerIdentity(db, OWNER, 'k1', 's1', 1);
    recordEdit(db, OWNER, 'k1', 'own note about apricots', 10, 4);
    recordDelete(db, OWNER, 'k2', 11, 5);
    // A stale edit (lower updated_seq) is not written, and a deleted message stays deleted.
    recordEdit(db, OWNER, 'k1', 'own note about pears again', 9, 3);
    recordEdit(db, OWNER, 'k2', 'own note about plums again', 12, 6);
    expect(find(db, 'pears')).toEqual([]);
    expect(find(db, 'apricots')).toEqual(['k1']);
    expect(find(db, 'plums')).toEqual([]);
    expect(find(db, 'figs')).toEqual([]);
    expect(find(db, 'dates')).toEqual(['k3']);
    expect(db.prepare("SELECT text, deleted_at FROM messages WHERE key = 'k2'").get()).toEqual({ text: '', deleted_at: 11 });
    expectIndexConsistent(db);
  });
});

describe('queries', () => {
  it('words match as prefixes, quoted words as a phrase, all terms must match; scoped to one conversation or all', () => {
    db = new Database(':memory:');
    migrate(db, MIGRATIONS, 9);
    incoming(db, 1, 'meeting moved to Thursday', 'c1');
    incoming(db, 2, 'Thursday meeting is cancelled', 'c1');
    incoming(db, 3, 'the meeting room is booked', 'c2');
    expect(find(db, 'meet')).toEqual(['sc2-3', 'sc1-2', 'sc1-1']);
    expect(find(db, 'meet', 'c1')).toEqual(['sc1-2', 'sc1-1']);
    expect(find(db, '"meeting moved"')).toEqual(['sc1-1']);
    expect(find(db, '"moved meeting"')).toEqual([]);
    expect(find(db, 'thurs meeting')).toEqual(['sc1-2', 'sc1-1']);
    expect(find(db, 'thu*')).toEqual(['sc1-2', 'sc1-1']);
    // Any conversation id is one scope token: dashes, spaces and non-ASCII letters included.
    incoming(db, 4, 'meeting in the odd one', 'ü-1 x');
    incoming(db, 5, 'meeting in its neighbour', 'ü-1');
    expect(find(db, 'meeting', 'ü-1 x')).toEqual(['sü-1 x-4']);
    expect(find(db, 'meeting', 'ü-1')).toEqual(['sü-1-5']);
    // The scope tokens are not text: typing one finds nothing.
    expect(find(db, 'c6331')).toEqual([]);
    // Another user's rows are never found.
    upsertIncoming(db, 'u2', { conversationId: 'c1', serverId: 'x', senderId: 'bob', seq: 9, text: 'meeting for u2', createdAt: 1, idempotencyKey: null }, 0);
    expect(find(db, 'u2')).toEqual([]);
  });

  it('whatever is typed becomes a valid query or none: operators, quotes and punctuation are plain text', () => {
    db = new Database(':memory:');
    migrate(db, MIGRATIONS, 9);
    incoming(db, 1, 'NEAR AND OR NOT "quoted" col:umn (paren) a*b');
    for (const typed of ['NEAR(', 'AND', 'OR NOT', '"quoted', '"', 'col:umn', '(paren)', '*', '-', '^a', 'a*b', '""""']) {
      const query = toFtsQuery(typed);
      if (query === null) continue;
      expect(() => searchMessages(db as DB, OWNER, query, null, 10)).not.toThrow();
    }
    expect(toFtsQuery('  ')).toBeNull();
    expect(toFtsQuery('- * "" ')).toBeNull();
    expect(find(db, 'near')).toEqual(['sc1-1']);
    expect(find(db, '(paren)')).toEqual(['sc1-1']);
  });

  it('snippets come back as parts, the matched words marked', () => {
    expect(toSnippetParts('see \uE000you\uE001 at \uE000noon\uE001')).toEqual([
      { text: 'see ', hit: false },
      { text: 'you', hit: true },
      { text: ' at ', hit: false },
      { text: 'noon', hit: true },
    ]);
    expect(toSnippetParts('plain')).toEqual([{ text: 'plain', hit: false }]);
    expect(toSnippetParts('\uE000open')).toEqual([{ text: 'open', hit: true }]);
  });
});
