/** The schema, one numbered step at a time; `user_version` records the last step applied. */
import type { DB } from './statements';

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
