import type { Migration } from './types';

/**
 * People: each conversation's members as the server names them, with their read markers ("Seen"),
 * and conversations made here that the server has not created yet. A queued creation holds the
 * key it is replayed with, so the server makes it once however many times it is sent; messages
 * written to it wait under its local id (`local:…`), which becomes the server's id in one
 * transaction when the answer comes.
 */
export const migration0007: Migration = {
  version: 7,
  name: 'people',
  up(db) {
    db.exec(`
      CREATE TABLE conversation_members (
        owner_id        TEXT NOT NULL,
        conversation_id TEXT NOT NULL,
        user_id         TEXT NOT NULL,
        display_name    TEXT NOT NULL,
        last_read_seq   INTEGER NOT NULL DEFAULT 0,
        -- the server's member order: a direct conversation is named after the other one
        position        INTEGER NOT NULL,
        PRIMARY KEY (owner_id, conversation_id, user_id)
      ) STRICT;

      CREATE TABLE conversation_creations (
        owner_id        TEXT NOT NULL,
        -- the local id messages are queued under until the server answers
        local_id        TEXT NOT NULL,
        client_key      TEXT NOT NULL,
        type            TEXT NOT NULL,
        name            TEXT NOT NULL DEFAULT '',
        -- JSON [{id, displayName}]: the people, named as the user picked them
        people          TEXT NOT NULL,
        -- pending | failed
        state           TEXT NOT NULL DEFAULT 'pending',
        -- requests that may have reached the server: without replay keys (legacy Nova) one is the limit
        attempts        INTEGER NOT NULL DEFAULT 0,
        error_code      TEXT,
        created_at      INTEGER NOT NULL,
        PRIMARY KEY (owner_id, local_id)
      ) STRICT;

      ALTER TABLE conversations ADD COLUMN member_count INTEGER;
    `);
  },
};
