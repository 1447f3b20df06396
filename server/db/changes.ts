/** Edits and deletes, by id or by idempotency key, each a step of the conversation's change counter. */
import { getIntent, getMessageByKey } from './message-keys';
import { getMessage, type MessageRow } from './messages';
import { stmt, type DB } from './statements';

export type ChangeOutcome =
  | { kind: 'changed'; message: MessageRow }
  /** An edit to the text the message already has, or a delete of a deleted message. */
  | { kind: 'unchanged'; message: MessageRow }
  | { kind: 'deleted'; message: MessageRow };

/** One step of the conversation's change counter, taken by the message. */
function stampChange(db: DB, m: MessageRow): number {
  const n = stmt(db, 'UPDATE conversations SET last_updated_seq = last_updated_seq + 1 WHERE id = ? RETURNING last_updated_seq')
    .pluck()
    .get(m.conversation_id) as number;
  stmt(db, 'UPDATE messages SET updated_seq = ? WHERE id = ?').run(n, m.id);
  return n;
}

function reread(db: DB, id: string): MessageRow {
  const m = getMessage(db, id);
  if (!m) throw new Error(`message ${id} vanished`);
  return m;
}

/** Edits a live message; a deleted one stays deleted. Same text: nothing moves, nothing to tell. */
export function editMessage(db: DB, id: string, plaintext: string, now: string): ChangeOutcome {
  return db
    .transaction((): ChangeOutcome => {
      const m = reread(db, id);
      if (m.deleted_at !== null) return { kind: 'deleted', message: m };
      if (m.plaintext === plaintext) return { kind: 'unchanged', message: m };
      stmt(db, 'UPDATE messages SET plaintext = ?, edited_at = ? WHERE id = ?').run(plaintext, now, id);
      stampChange(db, m);
      return { kind: 'changed', message: reread(db, id) };
    })
    .immediate();
}

/** Soft delete (text cleared); deleting a deleted message changes nothing. */
export function deleteMessage(db: DB, id: string, now: string): ChangeOutcome {
  return db
    .transaction((): ChangeOutcome => {
      const m = reread(db, id);
      if (m.deleted_at !== null) return { kind: 'unchanged', message: m };
      stmt(db, "UPDATE messages SET deleted_at = ?, plaintext = '' WHERE id = ?").run(now, id);
      stampChange(db, m);
      return { kind: 'changed', message: reread(db, id) };
    })
    .immediate();
}

/** Messages changed after `afterUpdatedSeq`, each once in its current state, by change order. */
export function listChanges(db: DB, conversationId: string, afterUpdatedSeq: number, limit: number): MessageRow[] {
  return stmt(
    db,
    `SELECT * FROM messages WHERE conversation_id = ? AND updated_seq > ?
     ORDER BY updated_seq ASC LIMIT ?`,
  ).all(conversationId, afterUpdatedSeq, limit) as MessageRow[];
}

export type KeyedChangeOutcome =
  /** The message had landed: the change was made to it (or it was already so). */
  | { kind: 'message'; outcome: ChangeOutcome }
  /** Not landed yet: the intent is recorded, and the send honours it when it lands. */
  | { kind: 'recorded' }
  /** Not landed, and withdrawn before: an edit cannot bring it back. */
  | { kind: 'withdrawn' }
  /** The key belongs to a message or intent of another conversation. */
  | { kind: 'key_conflict' }
  /** `onlyIfAbsent`: the message had landed and was left as it is. */
  | { kind: 'present'; message: MessageRow };

/**
 * Edits (plaintext) or withdraws (null) the sender's message by idempotency key, whether or not
 * its send has landed. One transaction with the send's, so a send and a change racing each
 * other end the same whichever comes first.
 */
export function changeMessageByKey(
  db: DB,
  c: { conversationId: string; senderId: string; key: string; plaintext: string | null; now: string; onlyIfAbsent?: boolean },
): KeyedChangeOutcome {
  return db
    .transaction((): KeyedChangeOutcome => {
      const m = getMessageByKey(db, c.senderId, c.key);
      if (m) {
        if (m.conversation_id !== c.conversationId) return { kind: 'key_conflict' };
        if (c.onlyIfAbsent) return { kind: 'present', message: m };
        return {
          kind: 'message',
          outcome: c.plaintext === null ? deleteMessage(db, m.id, c.now) : editMessage(db, m.id, c.plaintext, c.now),
        };
      }
      const intent = getIntent(db, c.senderId, c.key);
      if (intent && intent.conversation_id !== c.conversationId) return { kind: 'key_conflict' };
      if (intent?.action === 'withdraw') return { kind: c.plaintext === null ? 'recorded' : 'withdrawn' };
      stmt(
        db,
        `INSERT INTO message_key_intents (sender_id, idempotency_key, conversation_id, action, plaintext, updated_at)
         VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (sender_id, idempotency_key) DO UPDATE SET
           action = excluded.action, plaintext = excluded.plaintext, updated_at = excluded.updated_at`,
      ).run(c.senderId, c.key, c.conversationId, c.plaintext === null ? 'withdraw' : 'edit', c.plaintext, c.now);
      return { kind: 'recorded' };
    })
    .immediate();
}
