/**
 * Sign-in state: token generations, backup codes, sessions, refresh and revoked tokens, two-factor
 * challenges and the last TOTP step accepted.
 */
import { randomUUID } from 'node:crypto';
import { stmt, type DB } from './statements';

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
