/**
 * The durable outbox. A row exists from the moment `messages:send` returns until the server
 * acknowledges the message (or the user discards it); its text lives in `messages`.
 */
import type { DB } from './database';
import {
  ensureConversation,
  insertOwnMessage,
  recordServerIdentity,
  type MessageRecord,
  type OutboxState,
} from './messages';
import { stmt } from './statements';
import { TIMELINE_KEPT, timelineOf } from './timeline';

export type AttemptRecord = Readonly<{
  at: number;
  transport: 'ws' | 'rest';
  outcome: 'acked' | 'duplicate' | 'retry' | 'failed' | 'lost';
  code: string | null;
  /** The error id of this attempt (the same id is in the log line); absent in rows written before it was kept. */
  errorId?: string | null;
  /** The wait the server named (Retry-After), in ms. */
  waitMs?: number | null;
  /** A send before or at this attempt may have reached the server (its answer was lost). */
  mayHaveLanded?: boolean;
}>;

export type OutboxRecord = Readonly<{
  id: number;
  key: string;
  ownerId: string;
  conversationId: string;
  text: string;
  sizeBytes: number;
  composedAt: number;
  state: OutboxState;
  attempts: number;
  firstAttemptAt: number | null;
  nextAttemptAt: number | null;
  errorCode: string | null;
  errorMessage: string | null;
  errorId: string | null;
  confirmed: boolean;
  history: readonly AttemptRecord[];
}>;

type OutboxRow = {
  id: number;
  key: string;
  owner_id: string;
  conversation_id: string;
  text: string;
  size_bytes: number;
  composed_at: number;
  state: OutboxState;
  attempts: number;
  first_attempt_at: number | null;
  next_attempt_at: number | null;
  error_code: string | null;
  error_message: string | null;
  error_id: string | null;
  confirmed: number;
  history: string;
};

const COLUMNS = `o.id, o.key, o.owner_id, o.conversation_id, m.text, o.size_bytes, o.composed_at, o.state,
  o.attempts, o.first_attempt_at, o.next_attempt_at, o.error_code, o.error_message, o.error_id, o.confirmed, o.history`;

function toRecord(row: OutboxRow): OutboxRecord {
  return {
    id: row.id,
    key: row.key,
    ownerId: row.owner_id,
    conversationId: row.conversation_id,
    text: row.text,
    sizeBytes: row.size_bytes,
    composedAt: row.composed_at,
    state: row.state,
    attempts: row.attempts,
    firstAttemptAt: row.first_attempt_at,
    nextAttemptAt: row.next_attempt_at,
    errorCode: row.error_code,
    errorMessage: row.error_message,
    errorId: row.error_id,
    confirmed: row.confirmed === 1,
    history: JSON.parse(row.history) as AttemptRecord[],
  };
}

export type EnqueueInput = Readonly<{
  ownerId: string;
  conversationId: string;
  key: string;
  text: string;
  sizeBytes: number;
  composedAt: number;
}>;

/**
 * Writes the message and its outbox row in one transaction. With `synchronous = FULL` the
 * commit has reached the disk when this returns, which is what "saved" promises.
 */
export function enqueueMessage(db: DB, input: EnqueueInput, conversationKnown = false): void {
  let enqueue = enqueueTransactions.get(db);
  if (!enqueue) {
    // Built once per database: wrapping a fresh transaction per message cost a fifth of its CPU time.
    enqueue = db.transaction((row: EnqueueInput, known: boolean) => {
      if (!known) ensureConversation(db, row.ownerId, row.conversationId);
      insertOwnMessage(db, row);
      stmt(
        db,
        `INSERT INTO outbox (key, owner_id, conversation_id, size_bytes, composed_at, state)
         VALUES (?, ?, ?, ?, ?, 'saved')`,
      ).run(row.key, row.ownerId, row.conversationId, row.sizeBytes, row.composedAt);
    });
    enqueueTransactions.set(db, enqueue);
  }
  enqueue(input, conversationKnown);
}

const enqueueTransactions = new WeakMap<DB, (row: EnqueueInput, known: boolean) => void>();

export type ChangedMessage = Readonly<{ message: MessageRecord; outbox: OutboxRecord | null }>;

/**
 * Messages and their outbox rows for a batch of keys, in one query: what the renderer's change
 * events carry. Keys with no message (discarded) are absent from the map. Rows come back as
 * arrays (half the cost of objects when thousands of messages change during a drain).
 */
export function loadChanged(db: DB, ownerId: string, keys: readonly string[]): Map<string, ChangedMessage> {
  const rows = stmt(db, CHANGED_SQL).raw(true).all(ownerId, JSON.stringify(keys)) as ChangedTuple[];
  const changed = new Map<string, ChangedMessage>();
  for (const [id, key, conversationId, serverId, seq, sortSeq, senderId, text, composedAt, state, errorCode, errorMessage, errorId, outboxId, sizeBytes, outboxComposedAt, attempts, firstAttemptAt, nextAttemptAt, confirmed, history, editedAt, deletedAt] of rows) {
    const message: MessageRecord = { id, key, conversationId, serverId, seq, sortSeq, senderId, text, composedAt, outboxState: state, errorCode, errorMessage, errorId, editedAt, deletedAt };
    const outbox: OutboxRecord | null =
      outboxId === null || state === null
        ? null
        : {
            id: outboxId,
            key,
            ownerId,
            conversationId,
            text,
            sizeBytes: sizeBytes ?? 0,
            composedAt: outboxComposedAt ?? composedAt,
            state,
            attempts: attempts ?? 0,
            firstAttemptAt,
            nextAttemptAt,
            errorCode,
            errorMessage,
            errorId,
            confirmed: confirmed === 1,
            history: JSON.parse(history ?? '[]') as AttemptRecord[],
          };
    changed.set(key, { message, outbox });
  }
  return changed;
}

const CHANGED_SQL = `SELECT m.id, m.key, m.conversation_id, m.server_id, m.seq, m.sort_seq, m.sender_id, m.text,
    m.composed_at, o.state, o.error_code, o.error_message, o.error_id, o.id, o.size_bytes, o.composed_at,
    o.attempts, o.first_attempt_at, o.next_attempt_at, o.confirmed, o.history, m.edited_at, m.deleted_at
  FROM messages m LEFT JOIN outbox o ON o.key = m.key AND o.owner_id = m.owner_id
  WHERE m.owner_id = ? AND m.key IN (SELECT value FROM json_each(?))`;

/** One row of CHANGED_SQL, column by column. */
type ChangedTuple = [
  number, string, string, string | null, number | null, number, string, string, number,
  OutboxState | null, string | null, string | null, string | null,
  number | null, number | null, number | null, number | null, number | null, number | null, number | null, string | null,
  number | null, number | null,
];

/** Everything in the outbox, every user: the caps protect the disk, not an account. */
export function outboxTotals(db: DB): Readonly<{ count: number; bytes: number }> {
  const row = stmt(db, 'SELECT COUNT(*) AS count, COALESCE(SUM(size_bytes), 0) AS bytes FROM outbox').get() as {
    count: number;
    bytes: number;
  };
  return row;
}

/** Messages still on their way (not failed or expired), for the quit guard and the banner. */
export function countWaiting(db: DB, ownerId: string | null): number {
  // Counted without visiting the rows (0.01 ms instead of 3 ms at 10,000): the whole table's count
  // is read from the b-tree, other owners' rows (usually none) come off by index range, and the
  // stopped ones (failed, expired) by their partial index (migration 0004).
  if (ownerId === null) {
    return stmt(
      db,
      "SELECT (SELECT COUNT(*) FROM outbox) - (SELECT COUNT(*) FROM outbox WHERE state IN ('failed', 'expired'))",
    )
      .pluck()
      .get() as number;
  }
  return stmt(
    db,
    `SELECT (SELECT COUNT(*) FROM outbox) - (SELECT COUNT(*) FROM outbox WHERE owner_id < @owner)
       - (SELECT COUNT(*) FROM outbox WHERE owner_id > @owner)
       - (SELECT COUNT(*) FROM outbox WHERE owner_id = @owner AND state IN ('failed', 'expired'))`,
  )
    .pluck()
    .get({ owner: ownerId }) as number;
}

export function getOutboxItem(db: DB, key: string): OutboxRecord | null {
  const row = stmt(db, `SELECT ${COLUMNS} FROM outbox o JOIN messages m ON m.key = o.key AND m.owner_id = o.owner_id WHERE o.key = ?`).get(
    key,
  ) as OutboxRow | undefined;
  return row ? toRecord(row) : null;
}

export function listOutbox(db: DB, ownerId: string): OutboxRecord[] {
  const rows = stmt(
    db,
    `SELECT ${COLUMNS} FROM outbox o JOIN messages m ON m.key = o.key AND m.owner_id = o.owner_id
     WHERE o.owner_id = ? ORDER BY o.id`,
  ).all(ownerId) as OutboxRow[];
  return rows.map(toRecord);
}

/** Conversations with something to deliver for this user. */
export function conversationsWithDeliverable(db: DB, ownerId: string): string[] {
  return stmt(
    db,
    "SELECT DISTINCT conversation_id FROM outbox WHERE owner_id = ? AND state IN ('saved', 'confirming')",
  )
    .pluck()
    .all(ownerId) as string[];
}

/** The next deliverable rows of one conversation in compose order, after `afterId`. */
export function loadLane(db: DB, ownerId: string, conversationId: string, afterId: number, limit: number): OutboxRecord[] {
  const rows = stmt(
    db,
    `SELECT ${COLUMNS} FROM outbox o JOIN messages m ON m.key = o.key AND m.owner_id = o.owner_id
     WHERE o.owner_id = ? AND o.conversation_id = ? AND o.id > ? AND o.state IN ('saved', 'confirming')
     ORDER BY o.id LIMIT ?`,
  ).all(ownerId, conversationId, afterId, limit) as OutboxRow[];
  return rows.map(toRecord);
}

/**
 * Puts rows composed long before the connection came back on hold, so nothing goes out an
 * hour later without the user saying so. Returns the keys held.
 */
export function holdStale(db: DB, ownerId: string, composedBefore: number): string[] {
  return stmt(
    db,
    `UPDATE outbox SET state = 'held', next_attempt_at = NULL
     WHERE owner_id = ? AND state = 'saved' AND confirmed = 0 AND composed_at < ? RETURNING key`,
  )
    .pluck()
    .all(ownerId, composedBefore) as string[];
}

/**
 * The server accepted the message: it leaves the outbox and gets its id and number; its attempt
 * history, with the ack (`ack`) at the end, stays with the message as its timeline.
 */
export function completeDelivery(
  db: DB,
  ownerId: string,
  key: string,
  serverId: string,
  seq: number,
  ack: AttemptRecord | null = null,
): boolean {
  const history = stmt(db, 'DELETE FROM outbox WHERE key = ? AND owner_id = ? RETURNING history').pluck().get(key, ownerId) as
    | string
    | undefined;
  // Gone already: the echo or an earlier ack recorded the same id and number with it.
  if (history === undefined) return false;
  recordServerIdentity(db, ownerId, key, serverId, seq, timelineOf(history, ack));
  return true;
}

export function setState(db: DB, key: string, state: OutboxState): void {
  stmt(db, 'UPDATE outbox SET state = ? WHERE key = ?').run(state, key);
}

/** A "Send now" moved the next attempt (to now, or to the server's named wait). */
export function setNextAttemptAt(db: DB, key: string, at: number): void {
  stmt(db, 'UPDATE outbox SET next_attempt_at = ? WHERE key = ? AND next_attempt_at IS NOT NULL').run(at, key);
}



export type AttemptUpdate = Readonly<{
  key: string;
  state: OutboxState;
  at: number;
  nextAttemptAt: number | null;
  attempt: AttemptRecord;
  error: Readonly<{ code: string; message: string; id: string }> | null;
  /** False for attempts that say nothing about the message (e.g. the socket closed under it). */
  countsAsAttempt: boolean;
}>;

export function recordAttempt(db: DB, update: AttemptUpdate): void {
  const current = stmt(db, 'SELECT history FROM outbox WHERE key = ?').pluck().get(update.key) as string | undefined;
  if (current === undefined) return;
  const history = [...(JSON.parse(current) as AttemptRecord[]), update.attempt].slice(-TIMELINE_KEPT);
  stmt(
    db,
    `UPDATE outbox SET state = ?, attempts = attempts + ?, first_attempt_at = COALESCE(first_attempt_at, ?),
       next_attempt_at = ?, error_code = ?, error_message = ?, error_id = ?, history = ? WHERE key = ?`,
  ).run(
    update.state,
    update.countsAsAttempt ? 1 : 0,
    update.countsAsAttempt ? update.at : null,
    update.nextAttemptAt,
    update.error?.code ?? null,
    update.error?.message ?? null,
    update.error?.id ?? null,
    JSON.stringify(history),
    update.key,
  );
}

/** The user asked to try again: a fresh budget, back in the queue. */
export function resetForRetry(db: DB, key: string): boolean {
  return (
    stmt(
      db,
      `UPDATE outbox SET state = 'saved', attempts = 0, first_attempt_at = NULL, next_attempt_at = NULL,
         error_code = NULL, error_message = NULL, error_id = NULL, confirmed = 1
       WHERE key = ? AND state IN ('failed', 'expired', 'held')`,
    ).run(key).changes > 0
  );
}

export function confirmHeld(db: DB, key: string): boolean {
  return stmt(db, "UPDATE outbox SET state = 'saved', confirmed = 1 WHERE key = ? AND state = 'held'").run(key)
    .changes > 0;
}

/** Removes a message the server never accepted: the outbox row and the optimistic message. */
export function discardMessage(db: DB, ownerId: string, key: string): boolean {
  return db.transaction(() => {
    const removed = stmt(
      db,
      "DELETE FROM outbox WHERE key = ? AND owner_id = ? AND state IN ('failed', 'expired', 'held')",
    ).run(key, ownerId);
    if (removed.changes === 0) return false;
    stmt(db, 'DELETE FROM messages WHERE owner_id = ? AND key = ? AND server_id IS NULL').run(ownerId, key);
    return true;
  })();
}

export function getAckedClientSeq(db: DB, ownerId: string, conversationId: string): number {
  return (
    (stmt(db, 'SELECT acked FROM client_seqs WHERE owner_id = ? AND conversation_id = ?')
      .pluck()
      .get(ownerId, conversationId) as number | undefined) ?? 0
  );
}

export function setAckedClientSeq(db: DB, ownerId: string, conversationId: string, acked: number): void {
  stmt(
    db,
    `INSERT INTO client_seqs (owner_id, conversation_id, acked) VALUES (?, ?, ?)
     ON CONFLICT (owner_id, conversation_id) DO UPDATE SET acked = MAX(acked, excluded.acked)`,
  ).run(ownerId, conversationId, acked);
}

export { outboxDepth, summarizeOutbox, type OutboxDepth, type OutboxSummary } from './outbox-summary';
