/**
 * Edits and deletes (docs/protocol.md §3.7), applied to stored messages: the one way the edited
 * and deleted state is written, whether the change came from the server (live, a page, the change
 * feed) or is the user's own edit or delete the server just took (store/own-messages.ts). Each
 * change is a state (the message's text, when it was edited, whether it is deleted), never a
 * delta, so applying one twice or out of order is harmless: a change older than the stored
 * one (lower `updated_seq`) is ignored, and a deleted message stays deleted.
 */
import type { DB } from './database';
import { stmt } from './statements';

export type MessageChange = Readonly<{
  serverId: string;
  /** The current text; null when the server did not send it (legacy Nova), so it is kept. */
  text: string | null;
  /** Undefined: not said (kept); null: never edited. */
  editedAt?: number | null | undefined;
  deletedAt?: number | null | undefined;
  /** The server's change counter at this change; undefined from servers without the feed. */
  updatedSeq?: number | undefined;
}>;

export type StoredState = Readonly<{
  key: string;
  text: string;
  edited_at: number | null;
  deleted_at: number | null;
  updated_seq: number;
}>;

/** A change to a row already found (by server id or by key). */
export type RowChange = Omit<MessageChange, 'serverId'>;

/** Writes `change` over `row` when it is news; answers whether the row changed. */
export function applyChangeToRow(db: DB, ownerId: string, row: StoredState, change: RowChange): boolean {
  if (change.updatedSeq !== undefined && change.updatedSeq < row.updated_seq) return false;
  const deletedAt = row.deleted_at ?? change.deletedAt ?? null;
  const text = deletedAt !== null ? '' : (change.text ?? row.text);
  const editedAt = change.editedAt === undefined ? row.edited_at : (change.editedAt ?? row.edited_at);
  const updatedSeq = Math.max(row.updated_seq, change.updatedSeq ?? 0);
  if (text === row.text && editedAt === row.edited_at && deletedAt === row.deleted_at && updatedSeq === row.updated_seq) return false;
  stmt(db, 'UPDATE messages SET text = ?, edited_at = ?, deleted_at = ?, updated_seq = ? WHERE owner_id = ? AND key = ?').run(
    text,
    editedAt,
    deletedAt,
    updatedSeq,
    ownerId,
    row.key,
  );
  return true;
}

/** As applyMessageChange, for a message found by its key (own messages, whatever the server calls them). */
export function applyChangeByKey(db: DB, ownerId: string, key: string, change: RowChange): boolean {
  const row = stmt(db, 'SELECT key, text, edited_at, deleted_at, updated_seq FROM messages WHERE owner_id = ? AND key = ?').get(
    ownerId,
    key,
  ) as StoredState | undefined;
  return row ? applyChangeToRow(db, ownerId, row, change) : false;
}

export function storedState(db: DB, ownerId: string, serverId: string): StoredState | null {
  const row = stmt(
    db,
    'SELECT key, text, edited_at, deleted_at, updated_seq FROM messages WHERE owner_id = ? AND server_id = ?',
  ).get(ownerId, serverId) as StoredState | undefined;
  return row ?? null;
}

export type ChangeOutcome = Readonly<{ key: string | null; known: boolean }>;

/** Applies a change to the message it names; `known` is false when the cache does not hold it. */
export function applyMessageChange(db: DB, ownerId: string, change: MessageChange): ChangeOutcome {
  const row = storedState(db, ownerId, change.serverId);
  if (!row) return { key: null, known: false };
  return { key: applyChangeToRow(db, ownerId, row, change) ? row.key : null, known: true };
}

export type ChangeCursor = Readonly<{ applied: number; head: number }>;

export function getChangeCursor(db: DB, ownerId: string, conversationId: string): ChangeCursor {
  const row = stmt(db, 'SELECT changes_seq, changes_head FROM conversations WHERE owner_id = ? AND id = ?').get(
    ownerId,
    conversationId,
  ) as { changes_seq: number; changes_head: number } | undefined;
  return { applied: row?.changes_seq ?? 0, head: row?.changes_head ?? 0 };
}

/** The last change applied; the server's head is at least that. */
export function setChangesApplied(db: DB, ownerId: string, conversationId: string, seq: number): void {
  stmt(
    db,
    'UPDATE conversations SET changes_seq = MAX(changes_seq, ?), changes_head = MAX(changes_head, ?) WHERE owner_id = ? AND id = ?',
  ).run(seq, seq, ownerId, conversationId);
}

export function raiseChangesHead(db: DB, ownerId: string, conversationId: string, head: number): void {
  stmt(db, 'UPDATE conversations SET changes_head = MAX(changes_head, ?) WHERE owner_id = ? AND id = ?').run(
    head,
    ownerId,
    conversationId,
  );
}
