/**
 * What the user does to their own messages after writing them, in the store: withdraw one the
 * server never took, change the text of one still queued, and record a server edit or delete.
 */
import type { DB } from './database';
import { MESSAGE_COLUMNS, toMessageRecord, type MessageRecord, type MessageRow } from './messages';
import { stmt } from './statements';

export function getOwnMessage(db: DB, ownerId: string, key: string): MessageRecord | null {
  const row = stmt(
    db,
    `SELECT ${MESSAGE_COLUMNS} FROM messages m LEFT JOIN outbox o ON o.key = m.key AND o.owner_id = m.owner_id
     WHERE m.owner_id = ? AND m.key = ?`,
  ).get(ownerId, key) as MessageRow | undefined;
  return row ? toMessageRecord(row) : null;
}

/**
 * Removes a message the server does not have and never will (withdrawn): its outbox row, in
 * whatever state, and the optimistic message. False when it is already gone or was delivered.
 */
export function withdrawMessage(db: DB, ownerId: string, key: string): boolean {
  return db.transaction(() => {
    const removed = stmt(db, 'DELETE FROM outbox WHERE key = ? AND owner_id = ?').run(key, ownerId);
    if (removed.changes === 0) return false;
    stmt(db, 'DELETE FROM messages WHERE owner_id = ? AND key = ? AND server_id IS NULL').run(ownerId, key);
    return true;
  })();
}

/** A queued message gets new text in place: the send that goes out carries only this one. */
export function editQueuedText(db: DB, ownerId: string, key: string, text: string, sizeBytes: number): boolean {
  return db.transaction(() => {
    const changed = stmt(db, 'UPDATE outbox SET size_bytes = ? WHERE key = ? AND owner_id = ?').run(sizeBytes, key, ownerId);
    if (changed.changes === 0) return false;
    stmt(db, 'UPDATE messages SET text = ? WHERE owner_id = ? AND key = ?').run(text, ownerId, key);
    return true;
  })();
}

/** The server edited a message (ours, by us): its text is the new one from now on. */
export function recordEdit(db: DB, ownerId: string, key: string, text: string, editedAt: number | null): void {
  stmt(db, 'UPDATE messages SET text = ?, edited_at = COALESCE(?, edited_at) WHERE owner_id = ? AND key = ?').run(
    text,
    editedAt,
    ownerId,
    key,
  );
}

/** The server deleted it for everyone: the text goes, the place in the thread stays. */
export function recordDelete(db: DB, ownerId: string, key: string, deletedAt: number): void {
  stmt(db, "UPDATE messages SET text = '', deleted_at = COALESCE(deleted_at, ?) WHERE owner_id = ? AND key = ?").run(
    deletedAt,
    ownerId,
    key,
  );
}
