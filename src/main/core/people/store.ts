/**
 * People in the local store (migration 0006): members with names and read markers, the user's
 * own read marker as other devices move it, and conversations made here that wait for the server.
 * Plain functions that take `db` first, like the rest of the store.
 */
import type { Conversation } from '../../../shared/protocol';
import type { Member } from '../../../shared/people';
import type { DB } from '../store/database';
import { upsertConversation } from '../store/messages';
import { stmt } from '../store/statements';

/** A conversation as the server describes it (list, creation answer, `conversation_created`). */
export function saveServerConversation(db: DB, ownerId: string, c: Conversation): void {
  upsertConversation(db, ownerId, {
    id: c.id,
    ...(c.type !== undefined ? { type: c.type } : {}),
    ...(typeof c.name === 'string' ? { name: c.name } : {}),
    ...(c.last_seq !== undefined ? { lastSeq: c.last_seq } : {}),
    ...(c.unread_count !== undefined ? { unreadCount: c.unread_count } : {}),
  });
  stmt(db, 'UPDATE conversations SET member_count = ? WHERE owner_id = ? AND id = ?').run(c.member_count, ownerId, c.id);
  if (c.members !== undefined) {
    replaceMembers(
      db,
      ownerId,
      c.id,
      c.members.map((m) => ({ userId: m.user_id, displayName: m.display_name, lastReadSeq: m.last_read_seq })),
    );
  }
  // Read on another device while this one was away: the unread count follows the server's marker.
  if (c.last_read_seq !== undefined) raiseOwnReadSeq(db, ownerId, c.id, c.last_read_seq);
}

export function replaceMembers(db: DB, ownerId: string, conversationId: string, members: readonly Member[]): void {
  stmt(db, 'DELETE FROM conversation_members WHERE owner_id = ? AND conversation_id = ?').run(ownerId, conversationId);
  const insert = stmt(
    db,
    `INSERT OR REPLACE INTO conversation_members (owner_id, conversation_id, user_id, display_name, last_read_seq, position)
     VALUES (?, ?, ?, ?, ?, ?)`,
  );
  members.forEach((m, position) => insert.run(ownerId, conversationId, m.userId, m.displayName, m.lastReadSeq, position));
}

export function listMembers(db: DB, ownerId: string, conversationId: string): Member[] {
  const rows = stmt(
    db,
    `SELECT user_id, display_name, last_read_seq FROM conversation_members
     WHERE owner_id = ? AND conversation_id = ? ORDER BY position`,
  ).all(ownerId, conversationId) as { user_id: string; display_name: string; last_read_seq: number }[];
  return rows.map((r) => ({ userId: r.user_id, displayName: r.display_name, lastReadSeq: r.last_read_seq }));
}

/** Another member read up to `seq` (forward only). True when the marker moved. */
export function raiseMemberReadSeq(db: DB, ownerId: string, conversationId: string, userId: string, seq: number): boolean {
  return (
    stmt(
      db,
      `UPDATE conversation_members SET last_read_seq = ?
       WHERE owner_id = ? AND conversation_id = ? AND user_id = ? AND last_read_seq < ?`,
    ).run(seq, ownerId, conversationId, userId, seq).changes > 0
  );
}

/** The user read up to `seq` somewhere (forward only). True when the marker moved. */
export function raiseOwnReadSeq(db: DB, ownerId: string, conversationId: string, seq: number): boolean {
  return (
    stmt(db, 'UPDATE conversations SET read_seq = ? WHERE owner_id = ? AND id = ? AND read_seq < ?').run(
      seq,
      ownerId,
      conversationId,
      seq,
    ).changes > 0
  );
}

export type ConversationPeople = Readonly<{
  members: Member[];
  memberCount: number | null;
  creation: 'pending' | 'failed' | null;
}>;

export function conversationPeople(db: DB, ownerId: string, conversationId: string): ConversationPeople {
  const row = stmt(
    db,
    `SELECT c.member_count AS member_count, k.state AS state FROM conversations c
     LEFT JOIN conversation_creations k ON k.owner_id = c.owner_id AND k.local_id = c.id
     WHERE c.owner_id = ? AND c.id = ?`,
  ).get(ownerId, conversationId) as { member_count: number | null; state: 'pending' | 'failed' | null } | undefined;
  return { members: listMembers(db, ownerId, conversationId), memberCount: row?.member_count ?? null, creation: row?.state ?? null };
}

/** The direct conversation with this person, stored or waiting to be created, if there is one. */
export function findDirectWith(db: DB, ownerId: string, userId: string): string | null {
  const found = stmt(
    db,
    `SELECT c.id FROM conversations c JOIN conversation_members m
       ON m.owner_id = c.owner_id AND m.conversation_id = c.id AND m.user_id = ?
     WHERE c.owner_id = ? AND c.type = 'direct'
     ORDER BY c.id LIMIT 1`,
  )
    .pluck()
    .get(userId, ownerId) as string | undefined;
  return found ?? null;
}

// ---- Conversations made here ---------------------------------------------------------------

export type CreationPerson = Readonly<{ id: string; displayName: string }>;

export type CreationRecord = Readonly<{
  localId: string;
  clientKey: string;
  type: 'direct' | 'group';
  name: string;
  people: CreationPerson[];
  state: 'pending' | 'failed';
  attempts: number;
  errorCode: string | null;
  createdAt: number;
}>;

type CreationRow = {
  local_id: string;
  client_key: string;
  type: 'direct' | 'group';
  name: string;
  people: string;
  state: 'pending' | 'failed';
  attempts: number;
  error_code: string | null;
  created_at: number;
};

function toCreation(row: CreationRow): CreationRecord {
  return {
    localId: row.local_id,
    clientKey: row.client_key,
    type: row.type,
    name: row.name,
    people: JSON.parse(row.people) as CreationPerson[],
    state: row.state,
    attempts: row.attempts,
    errorCode: row.error_code,
    createdAt: row.created_at,
  };
}

/** The conversation (named after its people) and its creation, in one transaction. */
export function insertCreation(db: DB, ownerId: string, creation: Omit<CreationRecord, 'state' | 'attempts' | 'errorCode'>): void {
  db.transaction(() => {
    stmt(db, 'INSERT INTO conversations (owner_id, id, type, name, member_count) VALUES (?, ?, ?, ?, ?)').run(
      ownerId,
      creation.localId,
      creation.type,
      creation.name,
      creation.people.length + 1,
    );
    replaceMembers(
      db,
      ownerId,
      creation.localId,
      creation.people.map((p) => ({ userId: p.id, displayName: p.displayName, lastReadSeq: 0 })),
    );
    stmt(
      db,
      `INSERT INTO conversation_creations (owner_id, local_id, client_key, type, name, people, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
    ).run(ownerId, creation.localId, creation.clientKey, creation.type, creation.name, JSON.stringify(creation.people), creation.createdAt);
  })();
}

export function getCreation(db: DB, ownerId: string, localId: string): CreationRecord | null {
  const row = stmt(db, 'SELECT * FROM conversation_creations WHERE owner_id = ? AND local_id = ?').get(ownerId, localId) as
    | CreationRow
    | undefined;
  return row ? toCreation(row) : null;
}

export function listPendingCreations(db: DB, ownerId: string): CreationRecord[] {
  const rows = stmt(
    db,
    "SELECT * FROM conversation_creations WHERE owner_id = ? AND state = 'pending' ORDER BY created_at, local_id",
  ).all(ownerId) as CreationRow[];
  return rows.map(toCreation);
}

/** Counted before the request leaves: a crash after sending must still count it. */
export function noteCreationAttempt(db: DB, ownerId: string, localId: string): void {
  stmt(db, 'UPDATE conversation_creations SET attempts = attempts + 1 WHERE owner_id = ? AND local_id = ?').run(ownerId, localId);
}

/** The user asks again: a fresh start, as if just queued (the key stays, so a compat server still answers once). */
export function restartCreation(db: DB, ownerId: string, localId: string): boolean {
  return (
    stmt(
      db,
      "UPDATE conversation_creations SET state = 'pending', error_code = NULL, attempts = 0 WHERE owner_id = ? AND local_id = ? AND state = 'failed'",
    ).run(ownerId, localId).changes > 0
  );
}

export type DiscardedMessage = Readonly<{ key: string; text: string; composedAt: number }>;

/**
 * The user gives up on a refused creation: the local conversation, its people and every message
 * written to it go in one transaction. Answers those messages (oldest first) so their text can be
 * handed back, or null when the creation is not a refused one of this user.
 */
export function discardFailedCreation(db: DB, ownerId: string, localId: string): DiscardedMessage[] | null {
  return db.transaction(() => {
    const state = stmt(db, 'SELECT state FROM conversation_creations WHERE owner_id = ? AND local_id = ?').pluck().get(ownerId, localId) as
      | string
      | undefined;
    if (state !== 'failed') return null;
    const messages = stmt(
      db,
      'SELECT key, text, composed_at AS composedAt FROM messages WHERE owner_id = ? AND conversation_id = ? ORDER BY sort_seq, id',
    ).all(ownerId, localId) as DiscardedMessage[];
    stmt(db, 'DELETE FROM outbox WHERE owner_id = ? AND conversation_id = ?').run(ownerId, localId);
    stmt(db, 'DELETE FROM messages WHERE owner_id = ? AND conversation_id = ?').run(ownerId, localId);
    stmt(db, 'DELETE FROM client_seqs WHERE owner_id = ? AND conversation_id = ?').run(ownerId, localId);
    dropLocalConversation(db, ownerId, localId);
    return messages;
  })();
}

/** The local conversation's row, its people and its creation: what both a discard and a resolve end with. */
function dropLocalConversation(db: DB, ownerId: string, localId: string): void {
  stmt(db, 'DELETE FROM conversation_members WHERE owner_id = ? AND conversation_id = ?').run(ownerId, localId);
  stmt(db, 'DELETE FROM conversations WHERE owner_id = ? AND id = ?').run(ownerId, localId);
  stmt(db, 'DELETE FROM conversation_creations WHERE owner_id = ? AND local_id = ?').run(ownerId, localId);
}

export function failCreation(db: DB, ownerId: string, localId: string, code: string): void {
  stmt(db, "UPDATE conversation_creations SET state = 'failed', error_code = ? WHERE owner_id = ? AND local_id = ?").run(
    code,
    ownerId,
    localId,
  );
}

/**
 * The server created (or found) the conversation: everything queued under the local id moves to
 * the server's id in one transaction, and the creation is done. A conversation the cache already
 * had (a direct one found again) keeps its row; the local one goes.
 */
export function resolveCreation(db: DB, ownerId: string, localId: string, conversation: Conversation): void {
  db.transaction(() => {
    const local = stmt(db, 'SELECT type, name FROM conversations WHERE owner_id = ? AND id = ?').get(ownerId, localId) as
      | { type: 'direct' | 'group'; name: string }
      | undefined;
    stmt(db, 'UPDATE messages SET conversation_id = ? WHERE owner_id = ? AND conversation_id = ?').run(conversation.id, ownerId, localId);
    stmt(db, 'UPDATE outbox SET conversation_id = ? WHERE owner_id = ? AND conversation_id = ?').run(conversation.id, ownerId, localId);
    // Legacy Nova names nobody: the people the user picked keep naming the conversation.
    if (conversation.members === undefined) {
      stmt(db, 'UPDATE OR REPLACE conversation_members SET conversation_id = ? WHERE owner_id = ? AND conversation_id = ?').run(
        conversation.id,
        ownerId,
        localId,
      );
    }
    dropLocalConversation(db, ownerId, localId);
    // Legacy Nova's answer has no type or name: what the user chose stands.
    saveServerConversation(db, ownerId, {
      ...(local ? { type: local.type, name: local.name } : {}),
      ...conversation,
    });
  })();
}
