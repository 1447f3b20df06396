import type { Migration } from './types';

/**
 * What the user asked of a message that may already be on the server while there was no
 * connection to ask the server: cancel it, or give it new text. The click counts at once and
 * survives a restart; the server is asked by the message's key at the next connect
 * (outbox/intents.ts). Meanwhile the outbox row's state is `cancel_pending` or `edit_pending`, so
 * no lane sends it; `previous_state` and `previous_text` are what an undo (or an edit the server
 * answers `pending`) puts back.
 */
export const migration0010: Migration = {
  version: 10,
  name: 'message-intents',
  up(db) {
    db.exec(`
      CREATE TABLE message_intents (
        owner_id        TEXT NOT NULL,
        key             TEXT NOT NULL,
        conversation_id TEXT NOT NULL,
        -- cancel | edit
        kind            TEXT NOT NULL,
        -- edit: the new text; null for a cancel
        text            TEXT,
        previous_text   TEXT NOT NULL,
        previous_state  TEXT NOT NULL,
        created_at      INTEGER NOT NULL,
        -- settlements tried and answered with a failure, and the last failure's code
        attempts        INTEGER NOT NULL DEFAULT 0,
        error_code      TEXT,
        PRIMARY KEY (owner_id, key)
      ) STRICT;
    `);
  },
};
