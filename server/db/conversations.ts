/** Conversations and their members: creation (once per client key), membership, read markers. */
import { randomUUID } from 'node:crypto';
import { stmt, type DB } from './statements';

export type ConversationRow = Readonly<{
  id: string;
  type: 'direct' | 'group';
  name: string | null;
  last_seq: number;
  created_at: string;
  updated_at: string;
  last_updated_seq: number;
}>;

export function createConversation(
  db: DB,
  c: { type: 'direct' | 'group'; name: string | null; memberIds: ReadonlyArray<string>; now: string },
): ConversationRow {
  const id = randomUUID();
  db.transaction(() => {
    stmt(
      db,
      'INSERT INTO conversations (id, type, name, created_at, updated_at) VALUES (?, ?, ?, ?, ?)',
    ).run(id, c.type, c.name, c.now, c.now);
    const add = stmt(db, 'INSERT OR IGNORE INTO members (conversation_id, user_id, joined_at) VALUES (?, ?, ?)');
    for (const m of c.memberIds) add.run(id, m, c.now);
  })();
  const row = getConversation(db, id);
  if (!row) throw new Error('createConversation: row vanished');
  return row;
}

export type CreateOnceInput = Readonly<{
  creatorId: string;
  type: 'direct' | 'group';
  name: string | null;
  memberIds: ReadonlyArray<string>;
  /** The creator's key for this creation, or null. */
  clientKey: string | null;
  /** A direct conversation between the same two people is answered rather than made again. */
  reuseDirect: boolean;
  now: string;
}>;

export type CreateOnceOutcome =
  | { kind: 'created'; conversation: ConversationRow }
  | { kind: 'existing'; conversation: ConversationRow }
  /** The key was used before for a different request: not a replay. */
  | { kind: 'key_conflict' };

/** What a creation asked for, compared when its key comes again. */
function creationRequest(c: CreateOnceInput): string {
  return JSON.stringify({ type: c.type, name: c.name, members: [...c.memberIds].sort() });
}

/**
 * Creates a conversation exactly once per (creator, client key): one transaction looks the key
 * up, finds an existing direct conversation, or creates, and records the key.
 */
export function createConversationOnce(db: DB, c: CreateOnceInput): CreateOnceOutcome {
  return db
    .transaction((): CreateOnceOutcome => {
      const request = creationRequest(c);
      if (c.clientKey !== null) {
        const prior = stmt(db, 'SELECT conversation_id, request FROM conversation_keys WHERE user_id = ? AND client_key = ?').get(
          c.creatorId,
          c.clientKey,
        ) as { conversation_id: string; request: string } | undefined;
        if (prior) {
          const conversation = prior.request === request ? getConversation(db, prior.conversation_id) : undefined;
          return conversation ? { kind: 'existing', conversation } : { kind: 'key_conflict' };
        }
      }
      const [a, b] = c.memberIds;
      const direct =
        c.reuseDirect && c.type === 'direct' && a !== undefined && b !== undefined
          ? findDirectConversation(db, a, b)
          : undefined;
      const outcome: CreateOnceOutcome = direct
        ? { kind: 'existing', conversation: direct }
        : { kind: 'created', conversation: createConversation(db, c) };
      if (c.clientKey !== null) {
        stmt(
          db,
          'INSERT INTO conversation_keys (user_id, client_key, conversation_id, request, created_at) VALUES (?, ?, ?, ?, ?)',
        ).run(c.creatorId, c.clientKey, outcome.conversation.id, request, c.now);
      }
      return outcome;
    })
    .immediate();
}

export function getConversation(db: DB, id: string): ConversationRow | undefined {
  return stmt(db, 'SELECT * FROM conversations WHERE id = ?').get(id) as ConversationRow | undefined;
}

export function findDirectConversation(db: DB, a: string, b: string): ConversationRow | undefined {
  return stmt(
    db,
    `SELECT c.* FROM conversations c
       JOIN members ma ON ma.conversation_id = c.id AND ma.user_id = ?
       JOIN members mb ON mb.conversation_id = c.id AND mb.user_id = ?
     WHERE c.type = 'direct' LIMIT 1`,
  ).get(a, b) as ConversationRow | undefined;
}

export function isMember(db: DB, conversationId: string, userId: string): boolean {
  return (
    stmt(db, 'SELECT 1 FROM members WHERE conversation_id = ? AND user_id = ?').get(
      conversationId,
      userId,
    ) !== undefined
  );
}

export function memberIds(db: DB, conversationId: string): string[] {
  return (
    stmt(db, 'SELECT user_id FROM members WHERE conversation_id = ? ORDER BY joined_at, user_id')
      .pluck()
      .all(conversationId) as string[]
  );
}

export type MemberRow = Readonly<{ user_id: string; display_name: string; last_read_seq: number }>;

/** Members in the order of memberIds, with the name their fellow members see. */
export function conversationMembers(db: DB, conversationId: string): MemberRow[] {
  return stmt(
    db,
    `SELECT m.user_id, COALESCE(u.display_name, u.username) AS display_name, m.last_read_seq
     FROM members m JOIN users u ON u.id = m.user_id
     WHERE m.conversation_id = ? ORDER BY m.joined_at, m.user_id`,
  ).all(conversationId) as MemberRow[];
}

export function countConversationsOf(db: DB, userId: string): number {
  return stmt(db, 'SELECT COUNT(*) FROM members WHERE user_id = ?').pluck().get(userId) as number;
}

export function listConversationsOf(
  db: DB,
  userId: string,
  limit: number,
  offset: number,
): ConversationRow[] {
  return stmt(
    db,
    `SELECT c.* FROM conversations c JOIN members m ON m.conversation_id = c.id
     WHERE m.user_id = ? ORDER BY c.updated_at DESC, c.id LIMIT ? OFFSET ?`,
  ).all(userId, limit, offset) as ConversationRow[];
}

export function lastMessageId(db: DB, conversationId: string): string | null {
  const id = stmt(
    db,
    'SELECT id FROM messages WHERE conversation_id = ? ORDER BY sequence_number DESC LIMIT 1',
  )
    .pluck()
    .get(conversationId) as string | undefined;
  return id ?? null;
}

export function unreadCount(db: DB, conversationId: string, userId: string): number {
  return stmt(
    db,
    `SELECT COUNT(*) FROM messages msg JOIN members m
       ON m.conversation_id = msg.conversation_id AND m.user_id = ?
     WHERE msg.conversation_id = ? AND msg.sequence_number > m.last_read_seq
       AND msg.sender_id != ? AND msg.deleted_at IS NULL`,
  )
    .pluck()
    .get(userId, conversationId, userId) as number;
}

/** Read markers only move forward; returns the marker after the update. */
export function markRead(db: DB, conversationId: string, userId: string, seq: number): number {
  stmt(
    db,
    'UPDATE members SET last_read_seq = MAX(last_read_seq, ?) WHERE conversation_id = ? AND user_id = ?',
  ).run(seq, conversationId, userId);
  return stmt(db, 'SELECT last_read_seq FROM members WHERE conversation_id = ? AND user_id = ?')
    .pluck()
    .get(conversationId, userId) as number;
}

export function markDelivered(db: DB, conversationId: string, userId: string, seq: number): void {
  stmt(
    db,
    'UPDATE members SET last_delivered_seq = MAX(last_delivered_seq, ?) WHERE conversation_id = ? AND user_id = ?',
  ).run(seq, conversationId, userId);
}
