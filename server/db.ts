/**
 * SQLite persistence for the reference server. Plain functions taking `db` first; every
 * multi-statement write runs in one synchronous transaction, which is also what makes
 * per-conversation sequence numbers gap-free: better-sqlite3 serialises the whole
 * read-increment-insert, and `.immediate` takes the write lock up front in case another
 * process shares the file.
 */
import Database from 'better-sqlite3';
import type { Database as DB, Statement } from 'better-sqlite3';
import { randomUUID } from 'node:crypto';

export type { DB };

type Migration = Readonly<{ version: number; up: (db: DB) => void }>;

const MIGRATIONS: ReadonlyArray<Migration> = [
  {
    version: 1,
    up: (db) =>
      db.exec(`
        CREATE TABLE users (
          id TEXT PRIMARY KEY,
          email TEXT NOT NULL UNIQUE COLLATE NOCASE,
          username TEXT NOT NULL,
          password_hash TEXT NOT NULL,
          totp_secret TEXT,
          -- bumped by revokeUser: every token carrying an older generation is revoked
          token_generation INTEGER NOT NULL DEFAULT 0,
          created_at TEXT NOT NULL
        );
        CREATE TABLE backup_codes (
          id INTEGER PRIMARY KEY,
          user_id TEXT NOT NULL REFERENCES users(id),
          code_hash TEXT NOT NULL,
          used_at TEXT
        );
        CREATE TABLE conversations (
          id TEXT PRIMARY KEY,
          type TEXT NOT NULL CHECK (type IN ('direct', 'group')),
          name TEXT,
          last_seq INTEGER NOT NULL DEFAULT 0,
          created_at TEXT NOT NULL,
          updated_at TEXT NOT NULL
        );
        CREATE TABLE members (
          conversation_id TEXT NOT NULL REFERENCES conversations(id),
          user_id TEXT NOT NULL REFERENCES users(id),
          role TEXT NOT NULL DEFAULT 'member',
          joined_at TEXT NOT NULL,
          last_read_seq INTEGER NOT NULL DEFAULT 0,
          last_delivered_seq INTEGER NOT NULL DEFAULT 0,
          PRIMARY KEY (conversation_id, user_id)
        );
        CREATE INDEX members_by_user ON members(user_id);
        CREATE TABLE messages (
          id TEXT PRIMARY KEY,
          conversation_id TEXT NOT NULL REFERENCES conversations(id),
          sender_id TEXT NOT NULL REFERENCES users(id),
          sequence_number INTEGER NOT NULL,
          plaintext TEXT NOT NULL,
          idempotency_key TEXT,
          client_seq INTEGER,
          device_id TEXT,
          created_at TEXT NOT NULL,
          edited_at TEXT,
          deleted_at TEXT,
          UNIQUE (conversation_id, sequence_number)
        );
        -- idempotency keys are scoped to the sender (Nova's global scope lets one user's key
        -- collide with another's); this index is also the persisted key store
        CREATE UNIQUE INDEX messages_idempotency ON messages(sender_id, idempotency_key)
          WHERE idempotency_key IS NOT NULL;
        CREATE INDEX messages_by_key ON messages(idempotency_key);
        CREATE TABLE client_seqs (
          user_id TEXT NOT NULL,
          device_id TEXT NOT NULL,
          conversation_id TEXT NOT NULL,
          last_client_seq INTEGER NOT NULL,
          PRIMARY KEY (user_id, device_id, conversation_id)
        );
        CREATE TABLE sessions (
          id TEXT PRIMARY KEY,
          user_id TEXT NOT NULL REFERENCES users(id),
          created_at TEXT NOT NULL,
          revoked_at TEXT
        );
        CREATE TABLE refresh_tokens (
          jti TEXT PRIMARY KEY,
          session_id TEXT NOT NULL REFERENCES sessions(id),
          expires_at INTEGER NOT NULL,
          used_at TEXT
        );
        CREATE TABLE revoked_tokens (
          jti TEXT PRIMARY KEY,
          expires_at INTEGER NOT NULL
        );
        CREATE TABLE login_challenges (
          id TEXT PRIMARY KEY,
          user_id TEXT NOT NULL REFERENCES users(id),
          expires_at INTEGER NOT NULL,
          used_at TEXT
        );
      `),
  },
  {
    version: 2,
    up: (db) =>
      db.exec(`
        -- the last TOTP step accepted per user: a code of that step or an older one is a replay
        ALTER TABLE users ADD COLUMN totp_last_step INTEGER;
        -- wrong codes tried against a challenge; it dies at MAX_CODE_ATTEMPTS
        ALTER TABLE login_challenges ADD COLUMN failed_attempts INTEGER NOT NULL DEFAULT 0;
        -- why a sign-in was ended: 'logout' or 'refresh_reused' (a spent refresh token came back)
        ALTER TABLE sessions ADD COLUMN revoked_reason TEXT;
      `),
  },
  {
    version: 3,
    up: (db) =>
      db.exec(`
        -- the name people see; NULL shows the username
        ALTER TABLE users ADD COLUMN display_name TEXT;
        -- people see (and find) everyone of their own organisation, plus whoever shares a
        -- conversation with them
        ALTER TABLE users ADD COLUMN org_id TEXT NOT NULL DEFAULT 'default';
        CREATE INDEX users_by_org ON users(org_id);
        -- a creation replayed with the same key answers the conversation it made
        CREATE TABLE conversation_keys (
          user_id TEXT NOT NULL REFERENCES users(id),
          client_key TEXT NOT NULL,
          conversation_id TEXT NOT NULL REFERENCES conversations(id),
          -- what the first request asked for: the same key asking for something else is refused
          request TEXT NOT NULL,
          created_at TEXT NOT NULL,
          PRIMARY KEY (user_id, client_key)
        );
      `),
  },
  {
    version: 4,
    up: (db) =>
      db.exec(`
        -- per conversation, 1, 2, 3… with no gaps: one step per edit or delete
        ALTER TABLE conversations ADD COLUMN last_updated_seq INTEGER NOT NULL DEFAULT 0;
        -- the counter's value at the message's last change; 0 if never changed
        ALTER TABLE messages ADD COLUMN updated_seq INTEGER NOT NULL DEFAULT 0;
        CREATE INDEX messages_by_change ON messages(conversation_id, updated_seq) WHERE updated_seq > 0;
        -- an edit or a withdrawal asked for by idempotency key before the send landed; the send
        -- that lands later honours it (and the row goes, for an edit)
        CREATE TABLE message_key_intents (
          sender_id TEXT NOT NULL REFERENCES users(id),
          idempotency_key TEXT NOT NULL,
          conversation_id TEXT NOT NULL REFERENCES conversations(id),
          action TEXT NOT NULL CHECK (action IN ('edit', 'withdraw')),
          plaintext TEXT,
          -- a withdrawn send that arrived with a client_seq used up that number; its repeats
          -- are answered the same whatever number they carry
          client_seq INTEGER,
          updated_at TEXT NOT NULL,
          PRIMARY KEY (sender_id, idempotency_key)
        );
      `),
  },
];

export function migrate(db: DB): void {
  const from = db.pragma('user_version', { simple: true }) as number;
  for (const m of MIGRATIONS) {
    if (m.version <= from) continue;
    db.transaction(() => {
      m.up(db);
      db.pragma(`user_version = ${m.version}`);
    })();
  }
}

export function openDatabase(file: string): DB {
  const db = new Database(file);
  if (file !== ':memory:') {
    db.pragma('journal_mode = WAL');
    // FULL: an acked message must survive a crash of the server process
    db.pragma('synchronous = FULL');
  }
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  // SQLite folds case for ASCII only: people search "zoe" and expect "Zoë", "ÉLISE" and "élise".
  db.function('nova_fold', { deterministic: true }, (text: unknown) =>
    typeof text === 'string' ? foldForSearch(text) : null,
  );
  migrate(db);
  return db;
}

/** Lowercase, without diacritics: how names and queries are compared in people search. */
export function foldForSearch(text: string): string {
  return text.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase();
}

// Statements are cached per connection; restart() reopens the file and gets a fresh cache.
const statementCache = new WeakMap<DB, Map<string, Statement>>();
function stmt(db: DB, sql: string): Statement {
  let cache = statementCache.get(db);
  if (!cache) {
    cache = new Map();
    statementCache.set(db, cache);
  }
  let s = cache.get(sql);
  if (!s) {
    s = db.prepare(sql);
    cache.set(sql, s);
  }
  return s;
}

// ---------------------------------------------------------------------------------------
// Rows
// ---------------------------------------------------------------------------------------
export type UserRow = Readonly<{
  id: string;
  email: string;
  username: string;
  password_hash: string;
  totp_secret: string | null;
  token_generation: number;
  totp_last_step: number | null;
  display_name: string | null;
  org_id: string;
}>;

/** Users created without an organisation belong to this one. */
export const DEFAULT_ORG_ID = 'default';

export type ConversationRow = Readonly<{
  id: string;
  type: 'direct' | 'group';
  name: string | null;
  last_seq: number;
  created_at: string;
  updated_at: string;
  last_updated_seq: number;
}>;

export type MessageRow = Readonly<{
  id: string;
  conversation_id: string;
  sender_id: string;
  sequence_number: number;
  plaintext: string;
  idempotency_key: string | null;
  client_seq: number | null;
  device_id: string | null;
  created_at: string;
  edited_at: string | null;
  deleted_at: string | null;
  updated_seq: number;
}>;

// ---------------------------------------------------------------------------------------
// Users and auth state
// ---------------------------------------------------------------------------------------
export function insertUser(
  db: DB,
  u: {
    email: string;
    username: string;
    passwordHash: string;
    totpSecret?: string;
    displayName?: string;
    orgId?: string;
    now: string;
  },
): UserRow {
  const id = randomUUID();
  stmt(
    db,
    `INSERT INTO users (id, email, username, password_hash, totp_secret, display_name, org_id, created_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
  ).run(
    id,
    u.email,
    u.username,
    u.passwordHash,
    u.totpSecret ?? null,
    u.displayName ?? null,
    u.orgId ?? DEFAULT_ORG_ID,
    u.now,
  );
  const row = getUserById(db, id);
  if (!row) throw new Error('insertUser: row vanished');
  return row;
}

export function getUserById(db: DB, id: string): UserRow | undefined {
  return stmt(db, 'SELECT * FROM users WHERE id = ?').get(id) as UserRow | undefined;
}

export function getUserByEmail(db: DB, email: string): UserRow | undefined {
  return stmt(db, 'SELECT * FROM users WHERE email = ?').get(email) as UserRow | undefined;
}

/**
 * Whom a user may see: everyone of their organisation, and everyone they share a conversation
 * with. The one rule behind people search, and behind whom a conversation may be created with.
 */
const VISIBLE_TO = `(u.org_id = :org OR EXISTS (
    SELECT 1 FROM members mine JOIN members theirs ON theirs.conversation_id = mine.conversation_id
    WHERE mine.user_id = :viewer AND theirs.user_id = u.id))`;

export function canSeeUser(db: DB, viewer: UserRow, userId: string): boolean {
  if (viewer.id === userId) return true;
  return (
    stmt(db, `SELECT 1 FROM users u WHERE u.id = :id AND ${VISIBLE_TO}`).get({
      id: userId,
      org: viewer.org_id,
      viewer: viewer.id,
    }) !== undefined
  );
}

export type UserMatch = Readonly<{
  id: string;
  display_name: string;
  username: string;
  email: string;
  same_org: number;
}>;

function likePrefix(text: string): string {
  return `${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/**
 * People `viewer` may see whose display name (or any word of it), username, or e-mail starts with
 * `query`, compared case- and accent-blind; the viewer excluded. E-mails are matched only for
 * people of the viewer's organisation, whose e-mails the viewer may see. `limit + 1` rows at
 * most, so the caller can tell whether there are more.
 */
export function searchUsers(db: DB, viewer: UserRow, query: string, limit: number): UserMatch[] {
  const folded = foldForSearch(query);
  return stmt(
    db,
    `SELECT u.id, COALESCE(u.display_name, u.username) AS display_name, u.username, u.email,
        u.org_id = :org AS same_org
     FROM users u
     WHERE u.id != :viewer AND ${VISIBLE_TO}
       AND (nova_fold(COALESCE(u.display_name, u.username)) LIKE :prefix ESCAPE '\\'
         OR nova_fold(COALESCE(u.display_name, u.username)) LIKE :word ESCAPE '\\'
         OR nova_fold(u.username) LIKE :prefix ESCAPE '\\'
         OR (u.org_id = :org AND nova_fold(u.email) LIKE :prefix ESCAPE '\\'))
     ORDER BY nova_fold(COALESCE(u.display_name, u.username)), u.id
     LIMIT :limit`,
  ).all({
    org: viewer.org_id,
    viewer: viewer.id,
    prefix: likePrefix(folded),
    word: `% ${likePrefix(folded)}`,
    limit: limit + 1,
  }) as UserMatch[];
}

export function bumpTokenGeneration(db: DB, userId: string, now: string): void {
  db.transaction(() => {
    stmt(db, 'UPDATE users SET token_generation = token_generation + 1 WHERE id = ?').run(userId);
    stmt(db, 'UPDATE sessions SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL').run(
      now,
      userId,
    );
  })();
}

export function insertBackupCodes(db: DB, userId: string, hashes: ReadonlyArray<string>): void {
  const s = stmt(db, 'INSERT INTO backup_codes (user_id, code_hash) VALUES (?, ?)');
  db.transaction(() => {
    for (const h of hashes) s.run(userId, h);
  })();
}

export function unusedBackupCodes(db: DB, userId: string): Array<{ id: number; code_hash: string }> {
  return stmt(db, 'SELECT id, code_hash FROM backup_codes WHERE user_id = ? AND used_at IS NULL').all(
    userId,
  ) as Array<{ id: number; code_hash: string }>;
}

export function usedBackupCodes(db: DB, userId: string): Array<{ id: number; code_hash: string }> {
  return stmt(db, 'SELECT id, code_hash FROM backup_codes WHERE user_id = ? AND used_at IS NOT NULL').all(
    userId,
  ) as Array<{ id: number; code_hash: string }>;
}

/** Returns false when another request used the same code first. */
export function consumeBackupCode(db: DB, id: number, now: string): boolean {
  return (
    stmt(db, 'UPDATE backup_codes SET used_at = ? WHERE id = ? AND used_at IS NULL').run(now, id)
      .changes === 1
  );
}

export function insertSession(db: DB, userId: string, now: string): string {
  const id = randomUUID();
  stmt(db, 'INSERT INTO sessions (id, user_id, created_at) VALUES (?, ?, ?)').run(id, userId, now);
  return id;
}

export type SessionRevocation = 'logout' | 'refresh_reused';

/** null while the session lives; why it ended otherwise (an unknown session counts as logged out). */
export function sessionRevocation(db: DB, sessionId: string): SessionRevocation | null {
  const row = stmt(db, 'SELECT revoked_at, revoked_reason FROM sessions WHERE id = ?').get(sessionId) as
    | { revoked_at: string | null; revoked_reason: string | null }
    | undefined;
  if (!row) return 'logout';
  if (row.revoked_at === null) return null;
  return row.revoked_reason === 'refresh_reused' ? 'refresh_reused' : 'logout';
}

export function revokeSession(db: DB, sessionId: string, now: string, reason: SessionRevocation = 'logout'): void {
  stmt(db, 'UPDATE sessions SET revoked_at = ?, revoked_reason = ? WHERE id = ? AND revoked_at IS NULL').run(
    now,
    reason,
    sessionId,
  );
}

export function insertRefreshToken(db: DB, jti: string, sessionId: string, expiresAt: number): void {
  stmt(db, 'INSERT INTO refresh_tokens (jti, session_id, expires_at) VALUES (?, ?, ?)').run(
    jti,
    sessionId,
    expiresAt,
  );
}

/** Marks a refresh token spent; false if it was unknown or already spent (rotation). */
export function spendRefreshToken(db: DB, jti: string, now: string): boolean {
  return (
    stmt(db, 'UPDATE refresh_tokens SET used_at = ? WHERE jti = ? AND used_at IS NULL').run(now, jti)
      .changes === 1
  );
}

export function isRefreshTokenSpent(db: DB, jti: string): boolean {
  const row = stmt(db, 'SELECT used_at FROM refresh_tokens WHERE jti = ?').get(jti) as
    | { used_at: string | null }
    | undefined;
  return !row || row.used_at !== null;
}

export function revokeTokenId(db: DB, jti: string, expiresAt: number): void {
  stmt(db, 'INSERT OR IGNORE INTO revoked_tokens (jti, expires_at) VALUES (?, ?)').run(jti, expiresAt);
}

export function isTokenIdRevoked(db: DB, jti: string): boolean {
  return stmt(db, 'SELECT 1 FROM revoked_tokens WHERE jti = ?').get(jti) !== undefined;
}

export function insertLoginChallenge(db: DB, userId: string, expiresAt: number): string {
  const id = randomUUID();
  stmt(db, 'INSERT INTO login_challenges (id, user_id, expires_at) VALUES (?, ?, ?)').run(
    id,
    userId,
    expiresAt,
  );
  return id;
}

export type LoginChallengeRow = Readonly<{
  user_id: string;
  expires_at: number;
  used_at: string | null;
  failed_attempts: number;
}>;

export function getLoginChallenge(db: DB, id: string): LoginChallengeRow | undefined {
  return stmt(db, 'SELECT user_id, expires_at, used_at, failed_attempts FROM login_challenges WHERE id = ?').get(
    id,
  ) as LoginChallengeRow | undefined;
}

/** Counts a wrong code; the challenge is spent (dead) once it has taken `maxAttempts`. Returns the count. */
export function failLoginChallenge(db: DB, id: string, maxAttempts: number, now: string): number {
  return (
    (stmt(
      db,
      `UPDATE login_challenges SET failed_attempts = failed_attempts + 1,
         used_at = CASE WHEN failed_attempts + 1 >= ? THEN COALESCE(used_at, ?) ELSE used_at END
       WHERE id = ? RETURNING failed_attempts`,
    )
      .pluck()
      .get(maxAttempts, now, id) as number | undefined) ?? maxAttempts
  );
}

/** Records a TOTP step as used; false when it (or a later one) was accepted before: a replay. */
export function acceptTotpStep(db: DB, userId: string, step: number): boolean {
  return (
    stmt(
      db,
      'UPDATE users SET totp_last_step = ? WHERE id = ? AND (totp_last_step IS NULL OR totp_last_step < ?)',
    ).run(step, userId, step).changes === 1
  );
}

export function consumeLoginChallenge(db: DB, id: string, now: string): boolean {
  return (
    stmt(db, 'UPDATE login_challenges SET used_at = ? WHERE id = ? AND used_at IS NULL').run(now, id)
      .changes === 1
  );
}

// ---------------------------------------------------------------------------------------
// Conversations
// ---------------------------------------------------------------------------------------
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

// ---------------------------------------------------------------------------------------
// Messages
// ---------------------------------------------------------------------------------------
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

type IntentRow = Readonly<{
  conversation_id: string;
  action: 'edit' | 'withdraw';
  plaintext: string | null;
  client_seq: number | null;
}>;

function getIntent(db: DB, senderId: string, key: string): IntentRow | undefined {
  return stmt(
    db,
    'SELECT conversation_id, action, plaintext, client_seq FROM message_key_intents WHERE sender_id = ? AND idempotency_key = ?',
  ).get(senderId, key) as IntentRow | undefined;
}

function getMessageByKey(db: DB, senderId: string, key: string): MessageRow | undefined {
  return stmt(db, 'SELECT * FROM messages WHERE sender_id = ? AND idempotency_key = ?').get(senderId, key) as
    | MessageRow
    | undefined;
}

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

export function getMessage(db: DB, id: string): MessageRow | undefined {
  return stmt(db, 'SELECT * FROM messages WHERE id = ?').get(id) as MessageRow | undefined;
}

/** Ascending page strictly between the two cursors; `beforeSeq` pages backwards from the newest. */
export function listMessages(
  db: DB,
  conversationId: string,
  q: { afterSeq?: number; beforeSeq?: number; limit: number },
): MessageRow[] {
  const after = q.afterSeq ?? -1;
  const before = q.beforeSeq ?? Number.MAX_SAFE_INTEGER;
  if (q.afterSeq === undefined && q.beforeSeq !== undefined) {
    // newest `limit` messages below the cursor, still returned ascending
    const rows = stmt(
      db,
      `SELECT * FROM messages WHERE conversation_id = ? AND sequence_number < ?
       ORDER BY sequence_number DESC LIMIT ?`,
    ).all(conversationId, before, q.limit) as MessageRow[];
    return rows.reverse();
  }
  return stmt(
    db,
    `SELECT * FROM messages WHERE conversation_id = ? AND sequence_number > ? AND sequence_number < ?
     ORDER BY sequence_number ASC LIMIT ?`,
  ).all(conversationId, after, before, q.limit) as MessageRow[];
}

export function searchMessages(
  db: DB,
  conversationId: string,
  q: { text: string; limit: number; offset: number; oldestFirst: boolean },
): { rows: MessageRow[]; total: number } {
  const like = `%${q.text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
  const where = `conversation_id = ? AND deleted_at IS NULL AND plaintext LIKE ? ESCAPE '\\'`;
  const total = stmt(db, `SELECT COUNT(*) FROM messages WHERE ${where}`)
    .pluck()
    .get(conversationId, like) as number;
  const order = q.oldestFirst ? 'ASC' : 'DESC';
  const rows = stmt(
    db,
    `SELECT * FROM messages WHERE ${where} ORDER BY sequence_number ${order} LIMIT ? OFFSET ?`,
  ).all(conversationId, like, q.limit, q.offset) as MessageRow[];
  return { rows, total };
}

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
