import type { Migration } from './types';

/**
 * Edits and deletes made on the server (docs/protocol.md §3.7), whoever made them. The edited and
 * deleted state itself lives in the columns 0006 added (`edited_at`, `deleted_at`); this adds what
 * orders changes and resumes the change feed. `updated_seq` is the server's change counter at the
 * message's last change, so a late or repeated change never overwrites a newer one. Per
 * conversation, `changes_seq` is the last change applied (the change feed's cursor) and
 * `changes_head` the server's counter as last seen.
 */
export const migration0008: Migration = {
  version: 8,
  name: 'change-feed',
  up(db) {
    db.exec(`
      ALTER TABLE messages ADD COLUMN updated_seq INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE conversations ADD COLUMN changes_seq INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE conversations ADD COLUMN changes_head INTEGER NOT NULL DEFAULT 0;
    `);
  },
};
