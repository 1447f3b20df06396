import type { Migration } from './types';

/**
 * Offline full-text search: an FTS5 index over the messages' text (external content: the text
 * is stored once, in `messages`). Triggers keep it in step with every write path (incoming,
 * own, edits, deletes, folded duplicates), so no caller has to remember it.
 *
 * Besides the text, each row indexes one token naming its conversation (`scope`: "c" and the
 * id in hex, so any id is one token), so a search within a conversation is an intersection of
 * two doclists instead of a walk through every match in every conversation.
 *
 * A cache that already holds messages is not indexed here: that could take seconds inside the
 * migration, before the window shows. `search_index` records the rows left to index (ids in
 * (done, upto]); the core indexes them in the background, in batches, with progress. Until a
 * row is indexed the update and delete triggers leave it alone (FTS5's external-content delete
 * must be given exactly what was indexed), and the background pass indexes its current text.
 * Rows written later wait in `search_pending` the same way until the next batch (at most a
 * fraction of a second; a search indexes them first).
 */
export const migration0009: Migration = {
  version: 9,
  name: 'search',
  up(db) {
    db.exec(`
      CREATE VIEW messages_search AS SELECT id, text, 'c' || hex(conversation_id) AS scope FROM messages;
      CREATE VIRTUAL TABLE messages_fts USING fts5(
        text, scope, content = 'messages_search', content_rowid = 'id',
        tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3 4'
      );
      CREATE TABLE search_index (
        id   INTEGER PRIMARY KEY CHECK (id = 1),
        upto INTEGER NOT NULL,
        done INTEGER NOT NULL
      ) STRICT;
      INSERT INTO search_index (id, upto, done) VALUES (1, (SELECT COALESCE(MAX(id), 0) FROM messages), 0);
      -- New rows wait here and are indexed in batches (store/search.ts indexPending), so a send
      -- pays one small insert in its transaction, not an FTS segment write.
      CREATE TABLE search_pending (id INTEGER PRIMARY KEY) STRICT;

      -- New rows always have ids above upto (AUTOINCREMENT never reuses one).
      CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
        INSERT INTO search_pending (id) VALUES (new.id);
      END;
      -- Rows indexed (neither in the old range nor pending) leave the index as they were indexed.
      CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
        INSERT INTO messages_fts (messages_fts, rowid, text, scope)
          SELECT 'delete', old.id, old.text, 'c' || hex(old.conversation_id)
          WHERE (old.id > (SELECT upto FROM search_index) OR old.id <= (SELECT done FROM search_index))
            AND NOT EXISTS (SELECT 1 FROM search_pending WHERE id = old.id);
        DELETE FROM search_pending WHERE id = old.id;
      END;
      CREATE TRIGGER messages_fts_update AFTER UPDATE OF text, conversation_id ON messages
      WHEN (old.id > (SELECT upto FROM search_index) OR old.id <= (SELECT done FROM search_index))
        AND NOT EXISTS (SELECT 1 FROM search_pending WHERE id = old.id) BEGIN
        INSERT INTO messages_fts (messages_fts, rowid, text, scope) VALUES ('delete', old.id, old.text, 'c' || hex(old.conversation_id));
        INSERT INTO messages_fts (rowid, text, scope) VALUES (new.id, new.text, 'c' || hex(new.conversation_id));
      END;
    `);
  },
};
