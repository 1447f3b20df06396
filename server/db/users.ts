/** The users table: creating and finding a user. */
import { randomUUID } from 'node:crypto';
import { stmt, type DB } from './statements';

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
