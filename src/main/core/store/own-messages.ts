/**
 * What the user does to their own messages after writing them, in the store: withdraw one the
 * server never took, change the text of one still queued, and record a server edit or delete.
 */
import type { DB } from './database';
import { applyChangeByKey } from './message-changes';
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

/**
 * The server edited a message (ours, by us): its text is the new one from now on. Written as any
 * other edit is (message-changes.ts), so a deleted message stays deleted and a newer change from
 * elsewhere (higher `updated_seq`) is not overwritten.
 */
export function recordEdit(db: DB, ownerId: string, key: string, text: string, editedAt: number | null, updatedSeq?: number): void {
  applyChangeByKey(db, ownerId, key, { text, editedAt, updatedSeq });
}

/** The server deleted it for everyone: the text goes, the place in the thread stays. */
export function recordDelete(db: DB, ownerId: string, key: string, deletedAt: number, updatedSeq?: number): void {
  applyChangeByKey(db, ownerId, key, { text: null, deletedAt, updatedSeq });
}
