/**
 * Tokens and sign-in. Access and refresh tokens of one sign-in share a session id (`sid`), so
 * logout can kill both at once; the user's token generation (`gen`) lets revokeUser kill every
 * token ever issued without listing them.
 */
import { SignJWT, errors as joseErrors, jwtVerify } from 'jose';
import bcrypt from 'bcryptjs';
import { Secret, TOTP } from 'otpauth';
import { randomUUID } from 'node:crypto';
import { JwtClaimsSchema } from '../src/shared/protocol';
import type { ErrorCode, JwtClaims, TokenPair } from '../src/shared/protocol';
import {
  getUserById,
  insertRefreshToken,
  isRefreshTokenSpent,
  isTokenIdRevoked,
  sessionRevocation,
} from './db';
import type { DB, UserRow } from './db';

export type AuthConfig = Readonly<{
  secret: Uint8Array;
  accessTtlS: number;
  refreshTtlS: number;
  twoFactorTtlS: number;
  clock: () => number;
  /** Legacy Nova: any valid signature is enough (refresh tokens work as access tokens). */
  lax: boolean;
}>;

export type VerifiedToken = Readonly<{
  claims: JwtClaims & { jti: string; sid: string; gen: number };
  user: UserRow;
}>;

export type VerifyResult =
  | { ok: true; token: VerifiedToken }
  | { ok: false; code: Extract<ErrorCode, 'UNAUTHORIZED' | 'TOKEN_EXPIRED' | 'TOKEN_REVOKED'>; message: string }
  /** A spent refresh token (or any token of a sign-in ended for that): `sessionId` is the family. */
  | { ok: false; code: 'REFRESH_REUSED'; message: string; sessionId: string };

const REUSED_MESSAGE = 'A spent refresh token was presented again; this sign-in has been ended';

function nowS(cfg: AuthConfig): number {
  return Math.floor(cfg.clock() / 1000);
}

async function signToken(
  cfg: AuthConfig,
  user: UserRow,
  type: 'access' | 'refresh',
  sid: string,
  jti: string,
  ttlS: number,
): Promise<string> {
  const iat = nowS(cfg);
  return new SignJWT({
    token_type: type,
    email: user.email,
    username: user.username,
    sid,
    gen: user.token_generation,
  })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(user.id)
    .setJti(jti)
    .setIssuedAt(iat)
    .setExpirationTime(iat + ttlS)
    .sign(cfg.secret);
}

export async function issueTokenPair(
  db: DB,
  cfg: AuthConfig,
  user: UserRow,
  sessionId: string,
): Promise<TokenPair> {
  const refreshJti = randomUUID();
  insertRefreshToken(db, refreshJti, sessionId, nowS(cfg) + cfg.refreshTtlS);
  return {
    access_token: await signToken(cfg, user, 'access', sessionId, randomUUID(), cfg.accessTtlS),
    refresh_token: await signToken(cfg, user, 'refresh', sessionId, refreshJti, cfg.refreshTtlS),
    token_type: 'Bearer',
    expires_in: cfg.accessTtlS,
    refresh_expires_in: cfg.refreshTtlS,
    user_id: user.id,
  };
}

export async function verifyToken(
  db: DB,
  cfg: AuthConfig,
  token: string,
  expected: 'access' | 'refresh',
): Promise<VerifyResult> {
  let payload: unknown;
  try {
    ({ payload } = await jwtVerify(token, cfg.secret, {
      algorithms: ['HS256'],
      currentDate: new Date(cfg.clock()),
    }));
  } catch (err) {
    if (err instanceof joseErrors.JWTExpired) {
      return { ok: false, code: 'TOKEN_EXPIRED', message: 'Token has expired' };
    }
    return { ok: false, code: 'UNAUTHORIZED', message: 'Invalid token' };
  }
  const parsed = JwtClaimsSchema.safeParse(payload);
  const raw = payload as Record<string, unknown>;
  if (
    !parsed.success ||
    typeof parsed.data.jti !== 'string' ||
    typeof parsed.data.sid !== 'string' ||
    typeof raw['gen'] !== 'number'
  ) {
    return { ok: false, code: 'UNAUTHORIZED', message: 'Malformed token claims' };
  }
  const claims = { ...parsed.data, jti: parsed.data.jti, sid: parsed.data.sid, gen: raw['gen'] };
  if (!cfg.lax && claims.token_type !== expected) {
    return { ok: false, code: 'UNAUTHORIZED', message: `Expected an ${expected} token` };
  }
  const user = getUserById(db, claims.sub);
  if (!user) return { ok: false, code: 'UNAUTHORIZED', message: 'Unknown user' };
  if (!cfg.lax) {
    if (user.token_generation !== claims.gen) {
      return { ok: false, code: 'TOKEN_REVOKED', message: 'Token has been revoked' };
    }
    const revocation = sessionRevocation(db, claims.sid);
    if (revocation === 'refresh_reused') {
      return { ok: false, code: 'REFRESH_REUSED', message: REUSED_MESSAGE, sessionId: claims.sid };
    }
    if (revocation !== null) return { ok: false, code: 'TOKEN_REVOKED', message: 'Token has been revoked' };
    if (claims.token_type === 'refresh' && isRefreshTokenSpent(db, claims.jti)) {
      return { ok: false, code: 'REFRESH_REUSED', message: REUSED_MESSAGE, sessionId: claims.sid };
    }
  }
  if (isTokenIdRevoked(db, claims.jti)) {
    return { ok: false, code: 'TOKEN_REVOKED', message: 'Token has been revoked' };
  }
  return { ok: true, token: { claims, user } };
}

export function bearerToken(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return m?.[1];
}

// ---------------------------------------------------------------------------------------
// Passwords, TOTP, backup codes
// ---------------------------------------------------------------------------------------
export function hashSecret(plain: string, rounds: number): string {
  return bcrypt.hashSync(plain, rounds);
}

export function checkSecret(plain: string, hash: string): Promise<boolean> {
  return bcrypt.compare(plain, hash);
}

const TOTP_PERIOD_S = 30;

export function newTotpSecret(): string {
  return new Secret({ size: 20 }).base32;
}

export function totpFor(secretBase32: string, label: string): TOTP {
  return new TOTP({
    issuer: 'Nova (dev)',
    label,
    algorithm: 'SHA1',
    digits: 6,
    period: TOTP_PERIOD_S,
    secret: Secret.fromBase32(secretBase32),
  });
}

/**
 * Accepts the previous, current and next 30 s step, to absorb clock skew. Returns the step the
 * code belongs to (so a replay of it can be refused), or null for a wrong code.
 */
export function checkTotp(secretBase32: string, code: string, atMs: number): number | null {
  const delta = totpFor(secretBase32, 'check').validate({ token: code, timestamp: atMs, window: 1 });
  return delta === null ? null : Math.floor(atMs / 1000 / TOTP_PERIOD_S) + delta;
}

/** Nova's format: 8 hex characters. */
export function newBackupCode(): string {
  return randomUUID().replace(/-/g, '').slice(0, 8);
}
