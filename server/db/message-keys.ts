/**
 * A sender's idempotency keys: the message a key landed as, and the edit or withdrawal asked for
 * by key before the send landed (honoured by the send, recorded by a change by key).
 */
import { stmt, type DB } from './statements';
import type { MessageRow } from './messages';

export type IntentRow = Readonly<{
  conversation_id: string;
  action: 'edit' | 'withdraw';
  plaintext: string | null;
  client_seq: number | null;
}>;

export function getIntent(db: DB, senderId: string, key: string): IntentRow | undefined {
  return stmt(
    db,
    'SELECT conversation_id, action, plaintext, client_seq FROM message_key_intents WHERE sender_id = ? AND idempotency_key = ?',
  ).get(senderId, key) as IntentRow | undefined;
}

export function getMessageByKey(db: DB, senderId: string, key: string): MessageRow | undefined {
  return stmt(db, 'SELECT * FROM messages WHERE sender_id = ? AND idempotency_key = ?').get(senderId, key) as
    | MessageRow
    | undefined;
}
