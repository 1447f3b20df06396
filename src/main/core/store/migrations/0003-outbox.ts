import type { Migration } from './types';

/**
 * The durable outbox: one row per own message the server has not acknowledged. The message
 * text lives in `messages`; a row leaves this table in the same transaction that records the
 * server's id and sequence number.
 */
export const migration0003: Migration = {
  version: 3,
  name: 'outbox',
  up(db) {
    db.exec(`
      CREATE TABLE outbox (
        -- compose order: FIFO per conversation follows it. AUTOINCREMENT, because a plain rowid
        -- reuses the ids of rows deleted at the end, and a new message would sort before sent ones
        id               INTEGER PRIMARY KEY AUTOINCREMENT,
        key              TEXT NOT NULL UNIQUE,
        owner_id         TEXT NOT NULL,
        conversation_id  TEXT NOT NULL,
        size_bytes       INTEGER NOT NULL,
        composed_at      INTEGER NOT NULL,
        -- saved | confirming | failed | expired | held
        state            TEXT NOT NULL,
        attempts         INTEGER NOT NULL DEFAULT 0,
        first_attempt_at INTEGER,
        next_attempt_at  INTEGER,
        error_code       TEXT,
        error_message    TEXT,
        error_id         TEXT,
        -- the user chose to send it although it was held
        confirmed        INTEGER NOT NULL DEFAULT 0,
        -- the last few attempts as JSON, for the outbox panel
        history          TEXT NOT NULL DEFAULT '[]'
      ) STRICT;
      CREATE INDEX outbox_lane ON outbox (owner_id, conversation_id, id);

      -- per user and conversation: the last client_seq the server acknowledged from this device
      CREATE TABLE client_seqs (
        owner_id        TEXT NOT NULL,
        conversation_id TEXT NOT NULL,
        acked           INTEGER NOT NULL,
        PRIMARY KEY (owner_id, conversation_id)
      ) STRICT;
    `);
  },
};
