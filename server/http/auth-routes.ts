/** /api/v1/auth/*: login, the two-factor step, refresh (with rotation and reuse detection) and logout; lockouts for failed steps. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  LoginRequestSchema,
  LogoutRequestSchema,
  RefreshRequestSchema,
  TwoFactorVerifyRequestSchema,
  type ErrorCode,
} from '../../src/shared/protocol';
import { bearerToken, checkSecret, checkTotp, issueTokenPair, verifyToken } from '../auth';
import { closeAuthSockets, isoNow, type ServerContext } from '../core';
import {
  acceptTotpStep,
  consumeBackupCode,
  consumeLoginChallenge,
  failLoginChallenge,
  getLoginChallenge,
  getUserByEmail,
  getUserById,
  insertLoginChallenge,
  insertSession,
  revokeSession,
  revokeTokenId,
  spendRefreshToken,
  unusedBackupCodes,
  usedBackupCodes,
} from '../db';
import { accountKey, addressKey, MAX_CODE_ATTEMPTS } from '../signin';
import { AUTH_BODY_MAX_BYTES, readJson } from './request';
import { HttpError, send } from './respond';

export async function authRoute(ctx: ServerContext, req: IncomingMessage, res: ServerResponse, action: string): Promise<void> {
  const reject = ctx.faults.rejectLogins;
  if (reject && (action === 'login' || action === '2fa/verify')) {
    const code: ErrorCode = reject.status === 503 ? 'SERVICE_UNAVAILABLE' : 'UNAUTHORIZED';
    throw new HttpError(code, 'Logins are currently rejected', null, {}, reject.status);
  }
  const address = addressKey(req.socket.remoteAddress);
  switch (action) {
    case 'login': {
      const body = await readJson(ctx, req, LoginRequestSchema, { maxBytes: AUTH_BODY_MAX_BYTES });
      const account = accountKey(body.email);
      refuseIfLockedOut(ctx, address, account);
      const user = getUserByEmail(ctx.db, body.email);
      // An unknown e-mail costs the same bcrypt comparison as a known one, so the time an
      // answer takes does not tell which e-mails have accounts.
      const matches = await checkSecret(body.password, user?.password_hash ?? ctx.dummyPasswordHash);
      if (!user || !matches) signInFailed(ctx, address, account, 'UNAUTHORIZED', 'Invalid credentials');
      if (user.totp_secret) {
        const ttl = ctx.auth.twoFactorTtlS;
        const sessionId = insertLoginChallenge(ctx.db, user.id, Math.floor(ctx.clock() / 1000) + ttl);
        send(res, 202, { session_id: sessionId, message: '2FA verification required', expires_in: ttl });
        return;
      }
      ctx.signIn?.succeeded(account);
      send(res, 200, await issueTokenPair(ctx.db, ctx.auth, user, insertSession(ctx.db, user.id, isoNow(ctx))));
      return;
    }
    case '2fa/verify': {
      const body = await readJson(ctx, req, TwoFactorVerifyRequestSchema, { maxBytes: AUTH_BODY_MAX_BYTES });
      const challenge = getLoginChallenge(ctx.db, body.session_id);
      const user = challenge ? getUserById(ctx.db, challenge.user_id) : undefined;
      const account = user ? accountKey(user.email) : null;
      refuseIfLockedOut(ctx, address, account);
      if (!challenge || challenge.used_at !== null || challenge.expires_at * 1000 <= ctx.clock() || !user?.totp_secret) {
        signInFailed(ctx, address, account, 'UNAUTHORIZED', 'Invalid or expired 2FA session');
      }
      const code = body.code.trim();
      let ok = false;
      let reused: string | null = null;
      if (/^\d{6}$/.test(code)) {
        const step = checkTotp(user.totp_secret, code, ctx.clock());
        if (step !== null) {
          // One code, one sign-in: whoever saw it (over a shoulder, in a phishing form) cannot
          // use it again within its 90 s window.
          ok = acceptTotpStep(ctx.db, user.id, step);
          if (!ok) reused = 'This code has already been used; wait for the next one';
        }
      } else if (/^[0-9a-f]{8}$/i.test(code)) {
        for (const bc of unusedBackupCodes(ctx.db, user.id)) {
          if (await checkSecret(code.toLowerCase(), bc.code_hash)) {
            ok = consumeBackupCode(ctx.db, bc.id, isoNow(ctx));
            break;
          }
        }
        // Nova answers a spent backup code like a wrong one; we say which, so the user knows
        // to pick another code rather than retype this one. Legacy mode keeps Nova's answer.
        if (!ok && !ctx.legacy) {
          for (const bc of usedBackupCodes(ctx.db, user.id)) {
            if (await checkSecret(code.toLowerCase(), bc.code_hash)) {
              reused = 'This backup code has already been used';
              break;
            }
          }
        }
      }
      if (!ok) {
        const attempts = failLoginChallenge(ctx.db, body.session_id, MAX_CODE_ATTEMPTS, isoNow(ctx));
        const text = reused ?? 'Invalid 2FA code';
        signInFailed(
          ctx,
          address,
          account,
          reused !== null && !ctx.legacy ? 'TWO_FACTOR_REUSED' : 'UNAUTHORIZED',
          attempts >= MAX_CODE_ATTEMPTS ? `${text}; too many wrong codes, sign in again` : text,
        );
      }
      if (!consumeLoginChallenge(ctx.db, body.session_id, isoNow(ctx))) {
        throw new HttpError('UNAUTHORIZED', 'Invalid or expired 2FA session');
      }
      ctx.signIn?.succeeded(accountKey(user.email));
      send(res, 200, await issueTokenPair(ctx.db, ctx.auth, user, insertSession(ctx.db, user.id, isoNow(ctx))));
      return;
    }
    case 'refresh': {
      const body = await readJson(ctx, req, RefreshRequestSchema, { maxBytes: AUTH_BODY_MAX_BYTES });
      const v = await verifyToken(ctx.db, ctx.auth, body.refresh_token, 'refresh');
      if (!v.ok) {
        if (v.code === 'REFRESH_REUSED') endReusedSession(ctx, v.sessionId);
        throw new HttpError(v.code, v.message);
      }
      // rotation: the presented token dies here, even if signing the new pair fails later;
      // Nova never invalidated it (§3.1), so legacy mode does not either
      if (!ctx.legacy && !spendRefreshToken(ctx.db, v.token.claims.jti, isoNow(ctx))) {
        // spent by a concurrent request between the check and here: a reuse all the same
        endReusedSession(ctx, v.token.claims.sid);
        throw new HttpError('REFRESH_REUSED', 'A spent refresh token was presented again; this sign-in has been ended');
      }
      send(res, 200, await issueTokenPair(ctx.db, ctx.auth, v.token.user, v.token.claims.sid));
      return;
    }
    case 'logout': {
      const body = await readJson(ctx, req, LogoutRequestSchema, { emptyAs: {}, maxBytes: AUTH_BODY_MAX_BYTES });
      const token = bearerToken(req.headers.authorization) ?? body.access_token;
      if (!token) throw new HttpError('UNAUTHORIZED', 'Missing bearer token');
      const v = await verifyToken(ctx.db, ctx.auth, token, 'access');
      if (!v.ok) throw new HttpError(v.code, v.message);
      if (ctx.legacy) {
        // Nova revoked only the access token (§3.3)
        revokeTokenId(ctx.db, v.token.claims.jti, v.token.claims.exp);
      } else {
        const sid = v.token.claims.sid;
        revokeSession(ctx.db, sid, isoNow(ctx));
        closeAuthSockets(ctx, (c) => c.sessionId === sid, 'TOKEN_REVOKED');
      }
      send(res, 200, { message: 'Logged out' });
      return;
    }
    default:
      throw new HttpError('NOT_FOUND', 'Not found', `POST /api/v1/auth/${action}`);
  }
}

function tooManyAttempts(waitMs: number): HttpError {
  const seconds = Math.max(1, Math.ceil(waitMs / 1000));
  return new HttpError('RATE_LIMITED', 'Too many failed sign-in attempts', `Try again in ${seconds} s`, {
    retry_after_ms: waitMs,
  });
}

/** A locked-out address or account gets 429 before any password or code is looked at. */
function refuseIfLockedOut(ctx: ServerContext, address: string, account: string | null): void {
  const wait = ctx.signIn?.blocked(address, account, ctx.clock()) ?? null;
  if (wait !== null) throw tooManyAttempts(wait);
}

/** Counts a failed step; the failure that starts a lockout already answers 429 with the wait. */
function signInFailed(
  ctx: ServerContext,
  address: string,
  account: string | null,
  code: ErrorCode,
  message: string,
): never {
  const wait = ctx.signIn?.failed(address, account, ctx.clock()) ?? null;
  if (wait !== null) throw tooManyAttempts(wait);
  throw new HttpError(code, message);
}

/**
 * Someone else holds a copy of this sign-in's refresh token (the holder who refreshed first may
 * be the thief or the user; the server cannot tell), so every token of the sign-in dies and its
 * sockets close: both copies have to sign in again, and only the real user can.
 */
function endReusedSession(ctx: ServerContext, sessionId: string): void {
  revokeSession(ctx.db, sessionId, isoNow(ctx), 'refresh_reused');
  const closed = closeAuthSockets(ctx, (c) => c.sessionId === sessionId, 'REFRESH_REUSED');
  ctx.log.warn('auth: refresh token reused; sign-in revoked', { session: sessionId, socketsClosed: closed });
}
