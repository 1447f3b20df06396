import type { Migration } from './types';

/**
 * Offline full-text search: an FTS5 index over the messages' text (external content: the text
 * is stored once, in `messages`). Triggers keep it in step with every write path (incoming,
 * own, edits, deletes, folded duplicates), so no caller has to remember it.
 *
 * A cache that already holds messages is not indexed here: that could take seconds inside the
 * migration, before the window shows. `search_index` records the rows left to index (ids in
 * (done, upto]); the core indexes them in the background, in batches, with progress. Until a
 * row is indexed the update and delete triggers leave it alone (FTS5's external-content delete
 * must be given exactly what was indexed), and the background pass indexes its current text.
 */
export const migration0007: Migration = {
  version: 7,
  name: 'search',
  up(db) {
    db.exec(`
      CREATE VIRTUAL TABLE messages_fts USING fts5(
        text, content = 'messages', content_rowid = 'id',
        tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3'
      );
      CREATE TABLE search_index (
        id   INTEGER PRIMARY KEY CHECK (id = 1),
        upto INTEGER NOT NULL,
        done INTEGER NOT NULL
      ) STRICT;
      INSERT INTO search_index (id, upto, done) VALUES (1, (SELECT COALESCE(MAX(id), 0) FROM messages), 0);

      -- New rows always have ids above upto (AUTOINCREMENT never reuses one).
      CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
        INSERT INTO messages_fts (rowid, text) VALUES (new.id, new.text);
      END;
      CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages
      WHEN old.id > (SELECT upto FROM search_index) OR old.id <= (SELECT done FROM search_index) BEGIN
        INSERT INTO messages_fts (messages_fts, rowid, text) VALUES ('delete', old.id, old.text);
      END;
      CREATE TRIGGER messages_fts_update AFTER UPDATE OF text ON messages
      WHEN old.id > (SELECT upto FROM search_index) OR old.id <= (SELECT done FROM search_index) BEGIN
        INSERT INTO messages_fts (messages_fts, rowid, text) VALUES ('delete', old.id, old.text);
        INSERT INTO messages_fts (rowid, text) VALUES (new.id, new.text);
      END;
    `);
  },
};
