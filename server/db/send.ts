/**
 * The message-send path: one immediate transaction per send checks the key, the intent and the
 * device's client_seq, takes the conversation's next sequence number and inserts the row.
 */
import { randomUUID } from 'node:crypto';
import { getIntent, getMessageByKey, type IntentRow } from './message-keys';
import type { MessageRow } from './messages';
import { stmt, type DB } from './statements';

export type SendInput = Readonly<{
  conversationId: string;
  senderId: string;
  plaintext: string;
  idempotencyKey: string | null;
  clientSeq: number | null;
  deviceId: string | null;
  now: string;
}>;

export type SendOutcome =
  | { kind: 'accepted'; message: MessageRow }
  | { kind: 'duplicate'; message: MessageRow }
  /** The sender reused a key in another conversation: not a retry, so not deduplicated. */
  | { kind: 'key_conflict' }
  | { kind: 'out_of_order'; expected: number }
  /**
   * The key names a deleted message, or a send withdrawn by key before it landed: nothing is
   * created. (A withdrawn send's first arrival uses up its client_seq, as the send would have.)
   */
  | { kind: 'deleted' };

/** Devices that send client_seq without a device_id share this one slot per user. */
export const DEFAULT_DEVICE_ID = 'default';

/**
 * Checks and moves the per-device counter; the expected number when `clientSeq` is not it.
 * A send without client_seq touches nothing.
 */
function takeClientSeq(db: DB, input: SendInput): number | null {
  if (input.clientSeq === null) return null;
  const deviceId = input.deviceId ?? DEFAULT_DEVICE_ID;
  const last =
    (stmt(db, 'SELECT last_client_seq FROM client_seqs WHERE user_id = ? AND device_id = ? AND conversation_id = ?')
      .pluck()
      .get(input.senderId, deviceId, input.conversationId) as number | undefined) ?? 0;
  if (input.clientSeq !== last + 1) return last + 1;
  stmt(
    db,
    `INSERT INTO client_seqs (user_id, device_id, conversation_id, last_client_seq) VALUES (?, ?, ?, ?)
     ON CONFLICT (user_id, device_id, conversation_id) DO UPDATE SET last_client_seq = excluded.last_client_seq`,
  ).run(input.senderId, deviceId, input.conversationId, input.clientSeq);
  return null;
}

export function sendMessage(db: DB, input: SendInput): SendOutcome {
  return db
    .transaction((): SendOutcome => {
      let plaintext = input.plaintext;
      let intent: IntentRow | undefined;
      if (input.idempotencyKey !== null) {
        const prior = getMessageByKey(db, input.senderId, input.idempotencyKey);
        if (prior) {
          if (prior.conversation_id !== input.conversationId) return { kind: 'key_conflict' };
          return prior.deleted_at !== null ? { kind: 'deleted' } : { kind: 'duplicate', message: prior };
        }
        intent = getIntent(db, input.senderId, input.idempotencyKey);
        if (intent && intent.conversation_id !== input.conversationId) return { kind: 'key_conflict' };
        if (intent?.action === 'withdraw') {
          // Answered like the send that landed and was then deleted: its number is used up once.
          if (intent.client_seq !== null || input.clientSeq === null) return { kind: 'deleted' };
          const expected = takeClientSeq(db, input);
          if (expected !== null) return { kind: 'out_of_order', expected };
          stmt(db, 'UPDATE message_key_intents SET client_seq = ? WHERE sender_id = ? AND idempotency_key = ?').run(
            input.clientSeq,
            input.senderId,
            input.idempotencyKey,
          );
          return { kind: 'deleted' };
        }
        // an edit asked for before the send landed: the message lands with the new text
        if (intent?.action === 'edit' && intent.plaintext !== null) plaintext = intent.plaintext;
      }
      const expected = takeClientSeq(db, input);
      if (expected !== null) return { kind: 'out_of_order', expected };
      const deviceId = input.clientSeq !== null ? (input.deviceId ?? DEFAULT_DEVICE_ID) : input.deviceId;
      const seq = stmt(
        db,
        'UPDATE conversations SET last_seq = last_seq + 1, updated_at = ? WHERE id = ? RETURNING last_seq',
      )
        .pluck()
        .get(input.now, input.conversationId) as number | undefined;
      if (seq === undefined) throw new Error(`sendMessage: no conversation ${input.conversationId}`);
      const message: MessageRow = {
        id: randomUUID(),
        conversation_id: input.conversationId,
        sender_id: input.senderId,
        sequence_number: seq,
        plaintext,
        idempotency_key: input.idempotencyKey,
        client_seq: input.clientSeq,
        device_id: deviceId,
        created_at: input.now,
        edited_at: null,
        deleted_at: null,
        updated_seq: 0,
      };
      insertMessageRow(db, message);
      if (intent) {
        stmt(db, 'DELETE FROM message_key_intents WHERE sender_id = ? AND idempotency_key = ?').run(
          input.senderId,
          input.idempotencyKey,
        );
      }
      return { kind: 'accepted', message };
    })
    .immediate();
}

function insertMessageRow(db: DB, m: MessageRow): void {
  stmt(
    db,
    `INSERT INTO messages (id, conversation_id, sender_id, sequence_number, plaintext, idempotency_key,
       client_seq, device_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  ).run(
    m.id,
    m.conversation_id,
    m.sender_id,
    m.sequence_number,
    m.plaintext,
    m.idempotency_key,
    m.client_seq,
    m.device_id,
    m.created_at,
  );
}

/**
 * Real Nova (da4f975d): one global BIGSERIAL for sequence numbers (gaps within a
 * conversation) and a global idempotency index (a repeat returns the original, whoever sent it).
 */
export function sendMessageLegacy(db: DB, input: SendInput): SendOutcome {
  return db
    .transaction((): SendOutcome => {
      if (input.idempotencyKey !== null) {
        const prior = stmt(db, 'SELECT * FROM messages WHERE idempotency_key = ? LIMIT 1').get(
          input.idempotencyKey,
        ) as MessageRow | undefined;
        if (prior) return { kind: 'duplicate', message: prior };
      }
      // Nova's BIGSERIAL, emulated: one counter over every conversation
      const seq = stmt(db, 'SELECT COALESCE(MAX(sequence_number), 0) + 1 FROM messages').pluck().get() as number;
      stmt(db, 'UPDATE conversations SET last_seq = ?, updated_at = ? WHERE id = ?').run(
        seq,
        input.now,
        input.conversationId,
      );
      const message: MessageRow = {
        id: randomUUID(),
        conversation_id: input.conversationId,
        sender_id: input.senderId,
        sequence_number: seq,
        plaintext: input.plaintext,
        idempotency_key: input.idempotencyKey,
        client_seq: null,
        device_id: null,
        created_at: input.now,
        edited_at: null,
        deleted_at: null,
        updated_seq: 0,
      };
      insertMessageRow(db, message);
      return { kind: 'accepted', message };
    })
    .immediate();
}
