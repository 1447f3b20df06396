import type { Migration } from './types';

/**
 * Edits and deletes made on the server (docs/protocol.md §3.7). A message keeps its place when
 * it is deleted: its text is cleared and `deleted_at` set, so the thread shows a placeholder.
 * `updated_seq` is the server's change counter at the message's last change, so a late or
 * repeated change never overwrites a newer one. Per conversation, `changes_seq` is the last
 * change applied (the change feed's cursor) and `changes_head` the server's counter as last seen.
 */
export const migration0006: Migration = {
  version: 6,
  name: 'message-changes',
  up(db) {
    db.exec(`
      ALTER TABLE messages ADD COLUMN edited_at INTEGER;
      ALTER TABLE messages ADD COLUMN deleted_at INTEGER;
      ALTER TABLE messages ADD COLUMN updated_seq INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE conversations ADD COLUMN changes_seq INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE conversations ADD COLUMN changes_head INTEGER NOT NULL DEFAULT 0;
    `);
  },
};
