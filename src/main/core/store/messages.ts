/**
 * The local message cache: conversations, messages and the per-conversation sync cursor.
 * Plain functions that take `db` first; callers group them into transactions.
 */
import type { DB } from './database';
import { applyChangeToRow, type StoredState } from './message-changes';
import { stmt } from './statements';
import { timelineOf } from './timeline';

/** `sort_seq` of a message the server has not numbered yet: after every real sequence number. */
export const PENDING_SORT_SEQ = Number.MAX_SAFE_INTEGER;

/** `cancel_pending`, `edit_pending`: asked offline of a message that may be on the server; never sent meanwhile (store/intents.ts). */
export type OutboxState = 'saved' | 'confirming' | 'failed' | 'expired' | 'held' | 'cancel_pending' | 'edit_pending';

export type MessageRecord = Readonly<{
  id: number;
  key: string;
  conversationId: string;
  serverId: string | null;
  seq: number | null;
  sortSeq: number;
  senderId: string;
  text: string;
  composedAt: number;
  /** Null once the server has the message (no outbox row). */
  outboxState: OutboxState | null;
  errorCode: string | null;
  errorMessage: string | null;
  errorId: string | null;
  /** When the text last changed on the server (an edit, ours or the sender's); null when never. */
  editedAt?: number | null;
  /** When it was deleted on the server: the text is gone, the place in the thread stays; null while it stands. */
  deletedAt?: number | null;
}>;

export type MessageRow = {
  id: number;
  key: string;
  conversation_id: string;
  server_id: string | null;
  seq: number | null;
  sort_seq: number;
  sender_id: string;
  text: string;
  composed_at: number;
  state: OutboxState | null;
  error_code: string | null;
  error_message: string | null;
  error_id: string | null;
  edited_at: number | null;
  deleted_at: number | null;
};

export const MESSAGE_COLUMNS = `m.id, m.key, m.conversation_id, m.server_id, m.seq, m.sort_seq, m.sender_id, m.text,
  m.composed_at, o.state, o.error_code, o.error_message, o.error_id, m.edited_at, m.deleted_at`;

export function toMessageRecord(row: MessageRow): MessageRecord {
  return {
    id: row.id,
    key: row.key,
    conversationId: row.conversation_id,
    serverId: row.server_id,
    seq: row.seq,
    sortSeq: row.sort_seq,
    senderId: row.sender_id,
    text: row.text,
    composedAt: row.composed_at,
    outboxState: row.state,
    errorCode: row.error_code,
    errorMessage: row.error_message,
    errorId: row.error_id,
    editedAt: row.edited_at,
    deletedAt: row.deleted_at,
  };
}

// ---- Conversations -------------------------------------------------------------------------

export type ConversationInput = Readonly<{
  id: string;
  type?: 'direct' | 'group';
  name?: string;
  lastSeq?: number;
  unreadCount?: number;
}>;

/** Inserts or refreshes conversations from the server's list; local cursors are kept. */
export function upsertConversation(db: DB, ownerId: string, input: ConversationInput): void {
  stmt(
    db,
    `INSERT INTO conversations (owner_id, id, type, name, last_seq, server_unread) VALUES (?, ?, ?, ?, ?, ?)
     ON CONFLICT (owner_id, id) DO UPDATE SET
       type = COALESCE(?, type), name = COALESCE(?, name),
       last_seq = MAX(last_seq, excluded.last_seq), server_unread = COALESCE(excluded.server_unread, server_unread)`,
  ).run(
    ownerId,
    input.id,
    input.type ?? 'direct',
    input.name ?? '',
    input.lastSeq ?? 0,
    input.unreadCount ?? null,
    input.type ?? null,
    input.name ?? null,
  );
}

/** A conversation known only because the user wrote to it (legacy Nova has no list route). */
export function ensureConversation(db: DB, ownerId: string, conversationId: string): void {
  stmt(db, 'INSERT OR IGNORE INTO conversations (owner_id, id) VALUES (?, ?)').run(ownerId, conversationId);
}

export type ConversationRecord = Readonly<{
  id: string;
  type: 'direct' | 'group';
  name: string;
  lastSeq: number;
  contiguousSeq: number;
  readSeq: number;
}>;

type ConversationRow = {
  id: string;
  type: 'direct' | 'group';
  name: string;
  last_seq: number;
  contiguous_seq: number;
  read_seq: number;
};

function toConversation(row: ConversationRow): ConversationRecord {
  return {
    id: row.id,
    type: row.type,
    name: row.name,
    lastSeq: row.last_seq,
    contiguousSeq: row.contiguous_seq,
    readSeq: row.read_seq,
  };
}

export function listConversations(db: DB, ownerId: string): ConversationRecord[] {
  const rows = stmt(
    db,
    'SELECT id, type, name, last_seq, contiguous_seq, read_seq FROM conversations WHERE owner_id = ? ORDER BY id',
  ).all(ownerId) as ConversationRow[];
  return rows.map(toConversation);
}

export function getConversation(db: DB, ownerId: string, conversationId: string): ConversationRecord | null {
  const row = stmt(
    db,
    'SELECT id, type, name, last_seq, contiguous_seq, read_seq FROM conversations WHERE owner_id = ? AND id = ?',
  ).get(ownerId, conversationId) as ConversationRow | undefined;
  return row ? toConversation(row) : null;
}

export type ConversationOverview = Readonly<{
  conversation: ConversationRecord;
  last: MessageRecord | null;
  unreadCount: number;
  pendingCount: number;
}>;

/** What the conversation list shows: last message, unread and pending counts, all from the cache. */
export function conversationOverview(db: DB, ownerId: string, conversationId: string): ConversationOverview | null {
  const conversation = getConversation(db, ownerId, conversationId);
  if (!conversation) return null;
  const lastRow = stmt(
    db,
    `SELECT ${MESSAGE_COLUMNS} FROM messages m LEFT JOIN outbox o ON o.key = m.key
     WHERE m.owner_id = ? AND m.conversation_id = ? ORDER BY m.sort_seq DESC, m.id DESC LIMIT 1`,
  ).get(ownerId, conversationId) as MessageRow | undefined;
  const unreadCount = stmt(
    db,
    `SELECT COUNT(*) FROM messages WHERE owner_id = ? AND conversation_id = ? AND sort_seq > ?
       AND sort_seq < ? AND sender_id <> ?`,
  )
    .pluck()
    .get(ownerId, conversationId, conversation.readSeq, PENDING_SORT_SEQ, ownerId) as number;
  // As countWaiting: the lane index counts the rows, the partial index finds the stopped ones,
  // so a conversation with thousands queued costs no row reads (this runs on every change event).
  const pendingCount = stmt(
    db,
    `SELECT (SELECT COUNT(*) FROM outbox WHERE owner_id = @owner AND conversation_id = @conversation)
       - (SELECT COUNT(*) FROM outbox INDEXED BY outbox_stopped
          WHERE owner_id = @owner AND state IN ('failed', 'expired') AND conversation_id = @conversation)`,
  )
    .pluck()
    .get({ owner: ownerId, conversation: conversationId }) as number;
  return { conversation, last: lastRow ? toMessageRecord(lastRow) : null, unreadCount, pendingCount };
}

export function markConversationRead(db: DB, ownerId: string, conversationId: string): number {
  const conversation = getConversation(db, ownerId, conversationId);
  if (!conversation) return 0;
  const top = stmt(
    db,
    'SELECT MAX(seq) FROM messages WHERE owner_id = ? AND conversation_id = ? AND seq IS NOT NULL',
  )
    .pluck()
    .get(ownerId, conversationId) as number | null;
  const readSeq = Math.max(conversation.readSeq, top ?? 0);
  stmt(db, 'UPDATE conversations SET read_seq = ?, server_unread = 0 WHERE owner_id = ? AND id = ?').run(
    readSeq,
    ownerId,
    conversationId,
  );
  return readSeq;
}

/**
 * Moves the resync cursor over every stored message that follows it without a hole, and
 * returns the new cursor. With gap-free numbering, what lies beyond a hole must be fetched.
 */
export function advanceContiguous(db: DB, ownerId: string, conversationId: string): number {
  const conversation = getConversation(db, ownerId, conversationId);
  if (!conversation) return 0;
  let cursor = conversation.contiguousSeq;
  const next = stmt(
    db,
    'SELECT 1 FROM messages WHERE owner_id = ? AND conversation_id = ? AND sort_seq = ? LIMIT 1',
  ).pluck();
  // Bounded by the stored messages: each step needs a row.
  while (next.get(ownerId, conversationId, cursor + 1) !== undefined) cursor += 1;
  if (cursor !== conversation.contiguousSeq) {
    stmt(db, 'UPDATE conversations SET contiguous_seq = ? WHERE owner_id = ? AND id = ?').run(
      cursor,
      ownerId,
      conversationId,
    );
  }
  return cursor;
}

/** Without gap-free numbering (legacy Nova) the cursor is simply the highest number seen. */
export function raiseCursor(db: DB, ownerId: string, conversationId: string, seq: number): void {
  stmt(
    db,
    'UPDATE conversations SET contiguous_seq = MAX(contiguous_seq, ?), last_seq = MAX(last_seq, ?) WHERE owner_id = ? AND id = ?',
  ).run(seq, seq, ownerId, conversationId);
}

export function raiseLastSeq(db: DB, ownerId: string, conversationId: string, seq: number): void {
  stmt(db, 'UPDATE conversations SET last_seq = MAX(last_seq, ?) WHERE owner_id = ? AND id = ?').run(
    seq,
    ownerId,
    conversationId,
  );
}

// ---- Messages ------------------------------------------------------------------------------

export function insertOwnMessage(
  db: DB,
  input: Readonly<{ ownerId: string; conversationId: string; key: string; text: string; composedAt: number }>,
): number {
  const result = stmt(
    db,
    `INSERT INTO messages (owner_id, conversation_id, key, server_id, seq, sort_seq, sender_id, text, composed_at)
     VALUES (?, ?, ?, NULL, NULL, ?, ?, ?, ?)`,
  ).run(input.ownerId, input.conversationId, input.key, PENDING_SORT_SEQ, input.ownerId, input.text, input.composedAt);
  return Number(result.lastInsertRowid);
}

/**
 * Records the server's id and number on an own message. A copy that arrived first as a plain
 * broadcast (legacy Nova echoes without the idempotency key) is folded into it: one row per message.
 */
export function recordServerIdentity(
  db: DB,
  ownerId: string,
  key: string,
  serverId: string,
  seq: number,
  timeline: string | null = null,
): boolean {
  stmt(db, 'DELETE FROM messages WHERE owner_id = ? AND server_id = ? AND key <> ?').run(ownerId, serverId, key);
  return setIdentity(db, ownerId, key, serverId, seq, timeline);
}

/** The server's id and number on an own row, and its delivery timeline when one is given: one row write. */
function setIdentity(db: DB, ownerId: string, key: string, serverId: string, seq: number, timeline: string | null): boolean {
  const result = stmt(
    db,
    'UPDATE messages SET server_id = ?, seq = ?, sort_seq = ?, timeline = COALESCE(?, timeline) WHERE owner_id = ? AND key = ?',
  ).run(serverId, seq, seq, timeline, ownerId, key);
  return result.changes > 0;
}

export type IncomingMessage = Readonly<{
  conversationId: string;
  serverId: string;
  senderId: string;
  seq: number;
  /** Legacy Nova never sends content. */
  text: string | null;
  createdAt: number | null;
  idempotencyKey: string | null;
  /** Edit and delete state (docs/protocol.md §3.7); absent from servers that do not send it. */
  editedAt?: number | null | undefined;
  deletedAt?: number | null | undefined;
  updatedSeq?: number | undefined;
}>;

export type UpsertResult = Readonly<{
  /** The key of the row that changed, or null when the message was already stored as it is. */
  changedKey: string | null;
  /** True when the message was an own, still-queued one: the server has it, so it left the outbox. */
  delivered: boolean;
  /**
   * `new`: a row was written for it; `matched`: it upgraded or edited a stored row; `duplicate`:
   * the same message was stored already, so nothing changed (a replayed or repeated frame).
   */
  outcome: 'new' | 'matched' | 'duplicate';
}>;

/**
 * Stores a message from the server (live frame, sync page or history page). Matched by server
 * id first, then, for own messages, by idempotency key, so an optimistic row is upgraded in place.
 */
export function upsertIncoming(db: DB, ownerId: string, input: IncomingMessage, now: number): UpsertResult {
  const byServerId = stmt(
    db,
    'SELECT key, text, edited_at, deleted_at, updated_seq FROM messages WHERE owner_id = ? AND server_id = ?',
  ).get(ownerId, input.serverId) as StoredState | undefined;
  if (byServerId) {
    // A page or frame carries the message's current state: an edit or delete made since it was stored.
    if (applyChangeToRow(db, ownerId, byServerId, input)) {
      return { changedKey: byServerId.key, delivered: false, outcome: 'matched' };
    }
    return { changedKey: null, delivered: false, outcome: 'duplicate' };
  }
  if (input.idempotencyKey !== null && input.senderId === ownerId) {
    // No row holds this server id (looked up above), so there is no broadcast copy to fold in:
    // the own row takes the identity directly (the echo of every message we send comes here).
    const key = input.idempotencyKey;
    const history = stmt(db, 'SELECT history FROM outbox WHERE key = ? AND owner_id = ?').pluck().get(key, ownerId) as
      | string
      | undefined;
    // The echo came before the ack: it is the server's word that it has the message.
    const timeline = history === undefined ? null : timelineOf(history, { at: now, transport: 'ws', outcome: 'acked', code: null });
    if (setIdentity(db, ownerId, key, input.serverId, input.seq, timeline)) {
      if (history !== undefined) stmt(db, 'DELETE FROM outbox WHERE key = ? AND owner_id = ?').run(key, ownerId);
      return { changedKey: key, delivered: history !== undefined, outcome: 'matched' };
    }
  }
  ensureConversation(db, ownerId, input.conversationId);
  const key = input.senderId === ownerId && input.idempotencyKey !== null ? input.idempotencyKey : input.serverId;
  const inserted = stmt(
    db,
    `INSERT INTO messages (owner_id, conversation_id, key, server_id, seq, sort_seq, sender_id, text, composed_at,
       edited_at, deleted_at, updated_seq)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
  ).run(
    ownerId,
    input.conversationId,
    key,
    input.serverId,
    input.seq,
    input.seq,
    input.senderId,
    input.deletedAt != null ? '' : (input.text ?? ''),
    input.createdAt ?? now,
    input.editedAt ?? null,
    input.deletedAt ?? null,
    input.updatedSeq ?? 0,
  );
  return { changedKey: key, delivered: false, outcome: inserted.changes > 0 ? 'new' : 'duplicate' };
}

export type PageCursor = Readonly<{ sortSeq: number; id: number }>;

export function encodeCursor(cursor: PageCursor): string {
  return Buffer.from(`${cursor.sortSeq}:${cursor.id}`).toString('base64url');
}

export function decodeCursor(text: string): PageCursor | null {
  const match = /^(\d+):(\d+)$/.exec(Buffer.from(text, 'base64url').toString());
  if (!match) return null;
  return { sortSeq: Number(match[1]), id: Number(match[2]) };
}

/**
 * One page of a conversation, oldest first, ending just before `before` (newest page when
 * null). Keyset paging on (sort_seq, id): each page costs the same however deep the history.
 */
export function listMessagePage(
  db: DB,
  ownerId: string,
  conversationId: string,
  before: PageCursor | null,
  limit: number,
): Readonly<{ messages: MessageRecord[]; older: PageCursor | null }> {
  const rows = (
    before === null
      ? stmt(
          db,
          `SELECT ${MESSAGE_COLUMNS} FROM messages m LEFT JOIN outbox o ON o.key = m.key
           WHERE m.owner_id = ? AND m.conversation_id = ? ORDER BY m.sort_seq DESC, m.id DESC LIMIT ?`,
        ).all(ownerId, conversationId, limit + 1)
      : stmt(
          db,
          `SELECT ${MESSAGE_COLUMNS} FROM messages m LEFT JOIN outbox o ON o.key = m.key
           WHERE m.owner_id = ? AND m.conversation_id = ? AND (m.sort_seq, m.id) < (?, ?)
           ORDER BY m.sort_seq DESC, m.id DESC LIMIT ?`,
        ).all(ownerId, conversationId, before.sortSeq, before.id, limit + 1)
  ) as MessageRow[];
  const hasMore = rows.length > limit;
  const page = rows.slice(0, limit).map(toMessageRecord).reverse();
  const oldest = page[0];
  return { messages: page, older: hasMore && oldest ? { sortSeq: oldest.sortSeq, id: oldest.id } : null };
}

/** The lowest sequence number stored for a conversation, to ask the server for older history. */
export function oldestStoredSeq(db: DB, ownerId: string, conversationId: string): number | null {
  return stmt(
    db,
    'SELECT MIN(seq) FROM messages WHERE owner_id = ? AND conversation_id = ? AND seq IS NOT NULL',
  )
    .pluck()
    .get(ownerId, conversationId) as number | null;
}
