/**
 * Saved intents (migration 0010): a cancel or an edit the user made offline of a message that may
 * already be on the server. Saving one parks the outbox row in `cancel_pending` / `edit_pending`
 * (never loaded by a lane) in the same transaction; settling or undoing it ends both together.
 */
import type { DB } from './database';
import type { OutboxState } from './messages';
import { stmt } from './statements';

export type IntentKind = 'cancel' | 'edit';

export type IntentRecord = Readonly<{
  ownerId: string;
  key: string;
  conversationId: string;
  kind: IntentKind;
  /** Edit: the new text. */
  text: string | null;
  previousText: string;
  previousState: OutboxState;
  createdAt: number;
  attempts: number;
  errorCode: string | null;
}>;

type IntentRow = {
  owner_id: string;
  key: string;
  conversation_id: string;
  kind: IntentKind;
  text: string | null;
  previous_text: string;
  previous_state: OutboxState;
  created_at: number;
  attempts: number;
  error_code: string | null;
};

function toIntent(row: IntentRow): IntentRecord {
  return {
    ownerId: row.owner_id,
    key: row.key,
    conversationId: row.conversation_id,
    kind: row.kind,
    text: row.text,
    previousText: row.previous_text,
    previousState: row.previous_state,
    createdAt: row.created_at,
    attempts: row.attempts,
    errorCode: row.error_code,
  };
}

export function isIntentState(state: OutboxState): boolean {
  return state === 'cancel_pending' || state === 'edit_pending';
}

export function getIntent(db: DB, ownerId: string, key: string): IntentRecord | null {
  const row = stmt(db, 'SELECT * FROM message_intents WHERE owner_id = ? AND key = ?').get(ownerId, key) as IntentRow | undefined;
  return row ? toIntent(row) : null;
}

/** Oldest first, so edits reach the server in the order they were made. */
export function listIntents(db: DB, ownerId: string): IntentRecord[] {
  return (stmt(db, 'SELECT * FROM message_intents WHERE owner_id = ? ORDER BY created_at, key').all(ownerId) as IntentRow[]).map(toIntent);
}

export type SaveIntentInput = Readonly<{
  ownerId: string;
  key: string;
  conversationId: string;
  kind: IntentKind;
  text: string | null;
  /** The message's text and the row's state now; kept from the first intent when one replaces another. */
  currentText: string;
  currentState: OutboxState;
  at: number;
}>;

/**
 * Saves (or replaces) the intent and parks the row, in one transaction. The thread shows what
 * the user asked for: the new text of an edit, the text before any edit for a cancel. False when
 * the row has left the outbox meanwhile.
 */
export function saveIntent(db: DB, input: SaveIntentInput): boolean {
  return db.transaction(() => {
    const existing = getIntent(db, input.ownerId, input.key);
    const previousText = existing?.previousText ?? input.currentText;
    const previousState = existing?.previousState ?? input.currentState;
    const shown = input.kind === 'edit' && input.text !== null ? input.text : previousText;
    const parked = stmt(db, 'UPDATE outbox SET state = ?, size_bytes = ? WHERE key = ? AND owner_id = ?').run(
      `${input.kind}_pending`,
      Buffer.byteLength(shown, 'utf8'),
      input.key,
      input.ownerId,
    );
    if (parked.changes === 0) return false;
    stmt(db, 'UPDATE messages SET text = ? WHERE owner_id = ? AND key = ?').run(shown, input.ownerId, input.key);
    stmt(
      db,
      `INSERT INTO message_intents (owner_id, key, conversation_id, kind, text, previous_text, previous_state, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (owner_id, key) DO UPDATE SET kind = excluded.kind, text = excluded.text, attempts = 0, error_code = NULL`,
    ).run(input.ownerId, input.key, input.conversationId, input.kind, input.text, previousText, previousState, input.at);
    return true;
  })();
}

/**
 * Ends the intent and puts the row back in the lanes' hands with `text` (the previous text for
 * an undo or a refusal, the new one after the server took the edit as `pending`). A row that left
 * the outbox meanwhile (delivered) keeps its message as it is.
 */
export function releaseIntent(db: DB, ownerId: string, key: string, text: string): boolean {
  return db.transaction(() => {
    const intent = getIntent(db, ownerId, key);
    if (!intent) return false;
    stmt(db, 'DELETE FROM message_intents WHERE owner_id = ? AND key = ?').run(ownerId, key);
    const restored = stmt(
      db,
      "UPDATE outbox SET state = ?, size_bytes = ? WHERE key = ? AND owner_id = ? AND state IN ('cancel_pending', 'edit_pending')",
    ).run(intent.previousState, Buffer.byteLength(text, 'utf8'), key, ownerId);
    if (restored.changes > 0) stmt(db, 'UPDATE messages SET text = ? WHERE owner_id = ? AND key = ?').run(text, ownerId, key);
    return true;
  })();
}

/** Settled: the row itself was ended by the settlement (withdrawn or delivered). */
export function dropIntent(db: DB, ownerId: string, key: string): void {
  stmt(db, 'DELETE FROM message_intents WHERE owner_id = ? AND key = ?').run(ownerId, key);
}

/** A settlement that failed and will be tried again. */
export function noteIntentFailure(db: DB, ownerId: string, key: string, code: string): void {
  stmt(db, 'UPDATE message_intents SET attempts = attempts + 1, error_code = ? WHERE owner_id = ? AND key = ?').run(code, ownerId, key);
}
