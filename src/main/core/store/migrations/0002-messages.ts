import type { Migration } from './types';

/**
 * The local cache: conversations with their sync cursor, and messages (own and others').
 * Every row carries `owner_id`, the signed-in user it belongs to, so two accounts on one
 * machine never see or send each other's data.
 */
export const migration0002: Migration = {
  version: 2,
  name: 'messages',
  up(db) {
    db.exec(`
      CREATE TABLE conversations (
        owner_id        TEXT NOT NULL,
        id              TEXT NOT NULL,
        type            TEXT NOT NULL DEFAULT 'direct',
        name            TEXT NOT NULL DEFAULT '',
        -- the server's head as last reported
        last_seq        INTEGER NOT NULL DEFAULT 0,
        -- every message up to here is stored locally: the cursor a resync continues from
        contiguous_seq  INTEGER NOT NULL DEFAULT 0,
        read_seq        INTEGER NOT NULL DEFAULT 0,
        server_unread   INTEGER,
        PRIMARY KEY (owner_id, id)
      ) STRICT;

      CREATE TABLE messages (
        -- insert order breaks ties between pending messages; never reused (AUTOINCREMENT)
        id              INTEGER PRIMARY KEY AUTOINCREMENT,
        owner_id        TEXT NOT NULL,
        conversation_id TEXT NOT NULL,
        -- own messages: the client id (the idempotency key); others': the server id
        key             TEXT NOT NULL,
        server_id       TEXT,
        seq             INTEGER,
        -- seq, or a number above every seq while the server has not numbered it yet, so one
        -- index orders sent and pending messages for keyset paging
        sort_seq        INTEGER NOT NULL,
        sender_id       TEXT NOT NULL,
        text            TEXT NOT NULL,
        composed_at     INTEGER NOT NULL
      ) STRICT;
      CREATE UNIQUE INDEX messages_key ON messages (owner_id, key);
      CREATE UNIQUE INDEX messages_server_id ON messages (owner_id, server_id) WHERE server_id IS NOT NULL;
      CREATE INDEX messages_page ON messages (owner_id, conversation_id, sort_seq, id);
    `);
  },
};
