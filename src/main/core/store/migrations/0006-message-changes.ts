import type { Migration } from './types';

/**
 * Own messages after they are written. `edited_at` and `deleted_at` hold what the server says of
 * an edit or delete (the text itself is replaced or cleared in `text`).
 *
 * A message's delivery timeline (its attempts, the ack) outlives its outbox row: it moves to the
 * message when the server acknowledges it, so "what happened to this message?" has an answer
 * after delivery too. Timelines are dropped with age; the partial index holds only messages that
 * still have one, so the pruning never visits the rest of the cache.
 */
export const migration0006: Migration = {
  version: 6,
  name: 'message-changes-and-timeline',
  up(db) {
    db.exec(`
      ALTER TABLE messages ADD COLUMN timeline TEXT;
      ALTER TABLE messages ADD COLUMN edited_at INTEGER;
      ALTER TABLE messages ADD COLUMN deleted_at INTEGER;
      CREATE INDEX messages_timeline ON messages (composed_at) WHERE timeline IS NOT NULL;
    `);
  },
};
