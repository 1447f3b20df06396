/**
 * REST half of the server (§8.2). Conversation routes have no /api/v1 prefix, as in Nova's
 * messaging-service; auth lives under /api/v1/auth, as in Nova's user-service.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import {
  CHANGES_PAGE_DEFAULT,
  CHANGES_PAGE_MAX,
  CreateConversationRequestSchema,
  EditMessageRequestSchema,
  LoginRequestSchema,
  LogoutRequestSchema,
  MESSAGE_PAGE_DEFAULT,
  MESSAGE_PAGE_MAX,
  PROTOCOL_VERSION,
  ReadRequestSchema,
  RefreshRequestSchema,
  STATUS_BY_CODE,
  SendMessageRequestSchema,
  TwoFactorVerifyRequestSchema,
  USER_SEARCH_LIMIT_DEFAULT,
  USER_SEARCH_LIMIT_MAX,
  USER_SEARCH_QUERY_MAX,
} from '../src/shared/protocol';
import type {
  ChangesResponse,
  ConversationList,
  CreateConversationResponse,
  MessageByKeyResponse,
  UserSearchResponse,
  ErrorBody,
  ErrorCode,
  HealthResponse,
  SearchResponse,
  SendMessageResponse,
} from '../src/shared/protocol';
import { bearerToken, checkSecret, checkTotp, issueTokenPair, verifyToken } from './auth';
import { guardRequest } from './guard';
import { MAX_CODE_ATTEMPTS, accountKey, addressKey } from './signin';
import type { VerifiedToken } from './auth';
import {
  acceptTotpStep,
  canSeeUser,
  changeMessageByKey,
  consumeBackupCode,
  consumeLoginChallenge,
  countConversationsOf,
  createConversationOnce,
  deleteMessage,
  editMessage,
  failLoginChallenge,
  getConversation,
  getLoginChallenge,
  getMessage,
  getUserByEmail,
  getUserById,
  insertLoginChallenge,
  insertSession,
  isMember,
  listChanges,
  listConversationsOf,
  listMessages,
  markRead,
  revokeSession,
  revokeTokenId,
  searchMessages,
  searchUsers,
  spendRefreshToken,
  unusedBackupCodes,
  usedBackupCodes,
} from './db';
import type { ChangeOutcome, ConversationRow, MessageRow } from './db';
import {
  closeAuthSockets,
  isTooLarge,
  isoNow,
  performSend,
  publish,
  toConversation,
  toLegacyMessage,
  toMessage,
  tooLargeText,
} from './core';
import type { ServerContext } from './core';
import { errorMessage } from './logger';
import { handleSupportReports } from './support';

type Extra = Readonly<{ retry_after_ms?: number; expected_client_seq?: number; headers?: Record<string, string> }>;

/** Thrown inside a handler to answer with an error; caught once in handleHttp. */
export class HttpError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: string | null = null,
    readonly extra: Extra = {},
    readonly status: number = STATUS_BY_CODE[code],
  ) {
    super(message);
  }
}

function send(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent) return;
  const text = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, {
    ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
    'Content-Length': String(Buffer.byteLength(text)),
    ...headers,
  });
  res.end(text);
}

function sendText(res: ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
  if (res.headersSent) return;
  res.writeHead(status, {
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': String(Buffer.byteLength(text)),
    ...headers,
  });
  res.end(text);
}

/** Nova's messaging-service answers errors in plain text (§2.3). */
function legacyText(status: number, message: string): string {
  switch (status) {
    case 400:
      return message;
    case 401:
      return 'unauthorized';
    case 403:
      return 'forbidden';
    case 404:
      return 'not found';
    default:
      return status >= 500 ? `server error: ${message}` : message;
  }
}

function sendError(ctx: ServerContext, res: ServerResponse, err: HttpError, isAuthRoute: boolean): void {
  const headers = { ...(err.extra.headers ?? {}) };
  // The body may still be arriving (too large, or never read): do not keep this connection.
  if (err.status === 413 || err.status === 415) headers['Connection'] = 'close';
  if (err.extra.retry_after_ms !== undefined && headers['Retry-After'] === undefined) {
    headers['Retry-After'] = String(Math.max(1, Math.ceil(err.extra.retry_after_ms / 1000)));
  }
  if (ctx.legacy) {
    // Nova's user-service answers JSON without a code; its messaging-service plain text
    if (isAuthRoute) send(res, err.status, { error: err.message, details: err.details }, headers);
    else sendText(res, err.status, legacyText(err.status, err.message), headers);
    return;
  }
  const body: ErrorBody = {
    error: err.message,
    details: err.details,
    code: err.code,
    ...(err.extra.retry_after_ms !== undefined ? { retry_after_ms: err.extra.retry_after_ms } : {}),
    ...(err.extra.expected_client_seq !== undefined
      ? { expected_client_seq: err.extra.expected_client_seq }
      : {}),
  };
  send(res, err.status, body, headers);
}

/**
 * What a route takes as its body: the media types it accepts (without parameters) and a size
 * bound. Each route declares its own, so a route may take another type than JSON (a multipart
 * upload, say) with its own bound, and every route's body is bounded.
 */
export type BodyPolicy = Readonly<{ accept: ReadonlyArray<string>; maxBytes: number }>;

/** Auth bodies are a few short strings. */
export const AUTH_BODY_MAX_BYTES = 16 * 1024;

export function jsonBody(maxBytes: number): BodyPolicy {
  return { accept: ['application/json'], maxBytes };
}

function mediaType(header: string | undefined): string | null {
  const type = header?.split(';')[0]?.trim().toLowerCase();
  return type === undefined || type === '' ? null : type;
}

/**
 * Reads a request body under `policy`: 415 when a non-empty body has another media type (so a
 * page's cross-site `text/plain` form post is refused unread), 413 past `maxBytes` (at once when
 * Content-Length says so, else as soon as the stream crosses it). No body at all reads as empty.
 */
export async function readBody(req: IncomingMessage, policy: BodyPolicy): Promise<Buffer> {
  const declared = req.headers['content-length'];
  const length = declared === undefined ? null : Number(declared);
  const chunked = req.headers['transfer-encoding'] !== undefined;
  if (!chunked && (length === null || length === 0)) return Buffer.alloc(0);
  const type = mediaType(req.headers['content-type']);
  if (type === null || !policy.accept.includes(type)) {
    throw new HttpError(
      'UNSUPPORTED_MEDIA_TYPE',
      `Content-Type must be ${policy.accept.join(' or ')}`,
      `got ${type ?? 'none'}`,
    );
  }
  const tooLarge = (): HttpError =>
    new HttpError('PAYLOAD_TOO_LARGE', 'Request body too large', `limit is ${policy.maxBytes} bytes`);
  if (length !== null && length > policy.maxBytes) throw tooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > policy.maxBytes) throw tooLarge();
    chunks.push(buf);
  }
  return Buffer.concat(chunks);
}

export async function readJson<S extends z.ZodType>(
  ctx: ServerContext,
  req: IncomingMessage,
  schema: S,
  options: { emptyAs?: unknown; maxBytes?: number } = {},
): Promise<z.infer<S>> {
  const text = (await readBody(req, jsonBody(options.maxBytes ?? ctx.opts.maxPayloadSize))).toString('utf8');
  let value: unknown;
  if (text.trim() === '' && options.emptyAs !== undefined) {
    value = options.emptyAs;
  } else {
    try {
      value = JSON.parse(text);
    } catch {
      throw new HttpError('INVALID_INPUT', 'Malformed JSON body');
    }
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const details = parsed.error.issues
      .slice(0, 5)
      .map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`)
      .join('; ');
    throw new HttpError('INVALID_INPUT', 'Invalid request body', details);
  }
  return parsed.data;
}

function intParam(url: URL, name: string, options: { min: number; max?: number }): number | undefined {
  const raw = url.searchParams.get(name);
  if (raw === null || raw === '') return undefined;
  if (!/^\d+$/.test(raw)) throw new HttpError('INVALID_INPUT', `${name} must be a non-negative integer`);
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < options.min || (options.max !== undefined && n > options.max)) {
    throw new HttpError(
      'INVALID_INPUT',
      `${name} out of range`,
      `expected ${options.min}..${options.max ?? 'max'}`,
    );
  }
  return n;
}

/** A path segment, percent-decoded; a malformed escape is the client's error, not the server's. */
function pathParam(raw: string | undefined): string {
  try {
    return decodeURIComponent(raw ?? '');
  } catch {
    throw new HttpError('INVALID_INPUT', 'Malformed percent-encoding in the path');
  }
}

type Authed = Readonly<{ token: VerifiedToken; rateHeaders: Record<string, string> }>;

async function authenticate(ctx: ServerContext, req: IncomingMessage): Promise<Authed> {
  const token = bearerToken(req.headers.authorization);
  if (!token) throw new HttpError('UNAUTHORIZED', 'Missing bearer token');
  const v = await verifyToken(ctx.db, ctx.auth, token, 'access');
  if (!v.ok) throw new HttpError(v.code, v.message);
  const rateHeaders: Record<string, string> = {};
  if (ctx.limiter) {
    const d = ctx.limiter.take(v.token.user.id, ctx.clock());
    rateHeaders['X-RateLimit-Limit'] = String(d.limit);
    rateHeaders['X-RateLimit-Remaining'] = String(d.remaining);
    rateHeaders['X-RateLimit-Reset'] = String(Math.ceil(d.resetAtMs / 1000));
    if (!d.allowed) {
      throw new HttpError('RATE_LIMITED', 'Too many requests', `Retry in ${Math.ceil(d.retryAfterMs / 1000)} s`, {
        retry_after_ms: d.retryAfterMs,
        headers: rateHeaders,
      });
    }
  }
  return { token: v.token, rateHeaders };
}

function requireMember(ctx: ServerContext, conversationId: string, userId: string): ConversationRow {
  const c = getConversation(ctx.db, conversationId);
  if (!c) throw new HttpError('NOT_FOUND', 'Conversation not found');
  if (!isMember(ctx.db, conversationId, userId)) {
    // real Nova answers 401 to non-members (§2.3)
    if (ctx.legacy) throw new HttpError('UNAUTHORIZED', 'unauthorized');
    throw new HttpError('NOT_MEMBER', 'Not a member of this conversation');
  }
  return c;
}

function delayed(ctx: ServerContext, fn: () => void): void {
  if (ctx.faults.ackDelayMs > 0) setTimeout(fn, ctx.faults.ackDelayMs);
  else fn();
}

export async function handleHttp(ctx: ServerContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const path = url.pathname.replace(/\/+$/, '') || '/';
  const method = req.method ?? 'GET';
  const isAuthRoute = path.startsWith('/api/v1/auth/');
  try {
    const refusal = guardRequest(ctx.allowedHosts, req);
    if (refusal) throw new HttpError(refusal.code, refusal.message, refusal.details, {}, refusal.status);
    const now = ctx.clock();
    if (ctx.faults.unavailableUntilMs > now) {
      const ms = ctx.faults.unavailableUntilMs - now;
      throw new HttpError('SERVICE_UNAVAILABLE', 'Service temporarily unavailable', null, {
        retry_after_ms: ms,
      });
    }
    await route(ctx, req, res, url, path, method);
  } catch (err) {
    if (err instanceof HttpError) {
      sendError(ctx, res, err, isAuthRoute);
      return;
    }
    ctx.log.error('http: unhandled', { path, error: errorMessage(err) });
    sendError(ctx, res, new HttpError('INTERNAL_ERROR', 'Internal server error'), isAuthRoute);
  }
}

async function route(
  ctx: ServerContext,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  path: string,
  method: string,
): Promise<void> {
  if (path === '/health' && method === 'GET') {
    if (ctx.legacy) {
      // Nova's router-wide auth layer guards /health too (§1.1 wiring bug)
      await authenticate(ctx, req);
      sendText(res, 200, 'OK');
      return;
    }
    const body: HealthResponse = { status: 'ok', protocol_version: PROTOCOL_VERSION, mode: 'nova-compat' };
    send(res, 200, body);
    return;
  }
  if (path.startsWith('/api/v1/auth/') && method === 'POST') {
    await authRoute(ctx, req, res, path.slice('/api/v1/auth/'.length));
    return;
  }
  // The rageshake stand-in takes multipart bodies and answers in rageshake's own shapes.
  if (path === '/api/submit' || path.startsWith('/api/listing/')) return handleSupportReports(ctx, req, res, path, method);

  let m: RegExpExecArray | null;
  if (path === '/conversations') {
    if (method === 'GET') return listConversations(ctx, req, res, url);
    if (method === 'POST') return createConversationRoute(ctx, req, res);
  }
  if ((m = /^\/conversations\/([^/]+)$/.exec(path)) && method === 'GET') {
    const { token, rateHeaders } = await authenticate(ctx, req);
    const c = requireMember(ctx, pathParam(m[1]), token.user.id);
    send(res, 200, toConversation(ctx, c, token.user.id), rateHeaders);
    return;
  }
  if ((m = /^\/conversations\/([^/]+)\/messages$/.exec(path))) {
    const id = pathParam(m[1]);
    if (method === 'POST') return postMessage(ctx, req, res, id);
    if (method === 'GET') return getMessages(ctx, req, res, url, id);
  }
  if ((m = /^\/conversations\/([^/]+)\/messages\/search$/.exec(path)) && method === 'GET') {
    return search(ctx, req, res, url, pathParam(m[1]));
  }
  if ((m = /^\/conversations\/([^/]+)\/read$/.exec(path)) && method === 'POST') {
    return postRead(ctx, req, res, pathParam(m[1]));
  }
  // Extensions: real Nova has none of these, so legacy mode answers them 404 like Nova would.
  if (!ctx.legacy) {
    if (path === '/users/search' && method === 'GET') return searchPeople(ctx, req, res, url);
    if ((m = /^\/conversations\/([^/]+)\/changes$/.exec(path)) && method === 'GET') {
      return getChanges(ctx, req, res, url, pathParam(m[1]));
    }
    if ((m = /^\/conversations\/([^/]+)\/messages\/by-key\/([^/]+)$/.exec(path)) && (method === 'PUT' || method === 'DELETE')) {
      const onlyIfAbsent = method === 'DELETE' && url.searchParams.get('if') === 'absent';
      return changeMessageByKeyRoute(ctx, req, res, pathParam(m[1]), pathParam(m[2]), method, onlyIfAbsent);
    }
  }
  if ((m = /^\/messages\/([^/]+)$/.exec(path)) && (method === 'PUT' || method === 'DELETE')) {
    return changeMessage(ctx, req, res, pathParam(m[1]), method);
  }
  throw new HttpError('NOT_FOUND', 'Not found', `${method} ${path}`);
}

// ---------------------------------------------------------------------------------------
// Auth
// ---------------------------------------------------------------------------------------
async function authRoute(ctx: ServerContext, req: IncomingMessage, res: ServerResponse, action: string): Promise<void> {
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

// ---------------------------------------------------------------------------------------
// Conversations
// ---------------------------------------------------------------------------------------
async function listConversations(
  ctx: ServerContext,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
): Promise<void> {
  // Nova has no list route (§2.1)
  if (ctx.legacy) throw new HttpError('NOT_FOUND', 'not found');
  const { token, rateHeaders } = await authenticate(ctx, req);
  const limit = intParam(url, 'limit', { min: 1, max: 100 }) ?? 20;
  const offset = intParam(url, 'offset', { min: 0 }) ?? 0;
  const rows = listConversationsOf(ctx.db, token.user.id, limit, offset);
  const body: ConversationList = {
    conversations: rows.map((c) => toConversation(ctx, c, token.user.id)),
    total: countConversationsOf(ctx.db, token.user.id),
    limit,
    offset,
  };
  send(res, 200, body, rateHeaders);
}

async function createConversationRoute(ctx: ServerContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const { token, rateHeaders } = await authenticate(ctx, req);
  const body = await readJson(ctx, req, CreateConversationRequestSchema);
  const me = token.user.id;
  let type: 'direct' | 'group';
  let name: string | null = null;
  let members: string[];
  if ('user_a' in body) {
    type = 'direct';
    members = [body.user_a, body.user_b];
    if (!ctx.legacy && !members.includes(me)) {
      throw new HttpError('FORBIDDEN', 'The caller must be one of user_a and user_b');
    }
  } else {
    type = body.type;
    name = body.name?.trim() || null;
    members = [me, ...body.participant_ids];
  }
  members = [...new Set(members)];
  for (const id of members) {
    // Someone the caller may not see is answered like someone who does not exist.
    const known = ctx.legacy ? getUserById(ctx.db, id) !== undefined : canSeeUser(ctx.db, token.user, id);
    if (!known) throw new HttpError('NOT_FOUND', 'User not found', id);
  }
  if (type === 'direct' && members.length !== 2) {
    throw new HttpError('INVALID_INPUT', 'A direct conversation has exactly two distinct members');
  }
  const headerKey = req.headers['idempotency-key'];
  const clientKey = ctx.legacy
    ? null
    : (body.client_key ?? (typeof headerKey === 'string' && headerKey !== '' ? headerKey : null));
  if (clientKey !== null && clientKey.length > 128) throw new HttpError('INVALID_INPUT', 'Idempotency-Key is over 128 characters');
  const outcome = createConversationOnce(ctx.db, {
    creatorId: me,
    type,
    name,
    memberIds: members,
    clientKey,
    // Nova makes a new one every time (§2.1)
    reuseDirect: !ctx.legacy,
    now: isoNow(ctx),
  });
  if (outcome.kind === 'key_conflict') {
    throw new HttpError('CONFLICT', 'client_key already used for a different conversation', null, { headers: rateHeaders });
  }
  const conversation = toConversation(ctx, outcome.conversation, me);
  const created = outcome.kind === 'created';
  if (created && !ctx.legacy) {
    // every member's other sockets learn of it now, not at its first message
    publish(ctx, conversation.id, { type: 'conversation_created', conversation_id: conversation.id, conversation });
  }
  const out: CreateConversationResponse = ctx.legacy ? conversation : { ...conversation, created };
  send(res, 200, out, rateHeaders);
}

// ---------------------------------------------------------------------------------------
// People (extension)
// ---------------------------------------------------------------------------------------
async function searchPeople(ctx: ServerContext, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  const { token, rateHeaders } = await authenticate(ctx, req);
  const q = (url.searchParams.get('q') ?? '').trim();
  if (q === '') throw new HttpError('INVALID_INPUT', 'q is required');
  if ([...q].length > USER_SEARCH_QUERY_MAX) {
    throw new HttpError('INVALID_INPUT', `q is over ${USER_SEARCH_QUERY_MAX} characters`);
  }
  const limit = intParam(url, 'limit', { min: 1, max: USER_SEARCH_LIMIT_MAX }) ?? USER_SEARCH_LIMIT_DEFAULT;
  const rows = searchUsers(ctx.db, token.user, q, limit);
  const body: UserSearchResponse = {
    users: rows.slice(0, limit).map((u) => ({
      id: u.id,
      display_name: u.display_name,
      username: u.username,
      ...(u.same_org ? { email: u.email } : {}),
    })),
    has_more: rows.length > limit,
  };
  send(res, 200, body, rateHeaders);
}

// ---------------------------------------------------------------------------------------
// Messages
// ---------------------------------------------------------------------------------------
async function postMessage(ctx: ServerContext, req: IncomingMessage, res: ServerResponse, conversationId: string): Promise<void> {
  const { token, rateHeaders } = await authenticate(ctx, req);
  // performSend applies the byte limit (413); it also bounds the characters, so the schema's cap
  // is lifted here to answer over-long text with PAYLOAD_TOO_LARGE rather than INVALID_INPUT.
  const body = await readJson(ctx, req, SendMessageRequestSchema.extend({ plaintext: z.string() }));
  const headerKey = req.headers['idempotency-key'];
  const key = body.idempotency_key ?? (typeof headerKey === 'string' && headerKey !== '' ? headerKey : null);
  const result = performSend(ctx, {
    conversationId,
    senderId: token.user.id,
    plaintext: body.plaintext,
    idempotencyKey: key,
    clientSeq: ctx.legacy ? null : (body.client_seq ?? null),
    deviceId: ctx.legacy ? null : (body.device_id ?? null),
  });
  if (!result.ok) {
    if (ctx.legacy && result.code === 'NOT_MEMBER') throw new HttpError('UNAUTHORIZED', 'unauthorized');
    throw new HttpError(
      result.code,
      result.error,
      null,
      {
        headers: rateHeaders,
        ...(result.expectedClientSeq !== undefined ? { expected_client_seq: result.expectedClientSeq } : {}),
        ...(result.retryAfterMs !== undefined ? { retry_after_ms: result.retryAfterMs } : {}),
      },
      result.status,
    );
  }
  const msg = result.message;
  const out: SendMessageResponse = ctx.legacy
    ? { id: msg.id, sequence_number: msg.sequence_number }
    : {
        id: msg.id,
        sequence_number: msg.sequence_number,
        conversation_id: msg.conversation_id,
        sender_id: msg.sender_id,
        created_at: msg.created_at,
        idempotency_key: msg.idempotency_key,
        duplicate: result.duplicate,
        client_seq: msg.client_seq,
      };
  delayed(ctx, () => send(res, 200, out, rateHeaders));
}

async function getMessages(
  ctx: ServerContext,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  conversationId: string,
): Promise<void> {
  const { token, rateHeaders } = await authenticate(ctx, req);
  requireMember(ctx, conversationId, token.user.id);
  if (ctx.legacy) {
    // Nova ignores every query parameter: first 200, ascending, no content (§2.1)
    const rows = listMessages(ctx.db, conversationId, { limit: 200 });
    send(res, 200, rows.map((r) => toLegacyMessage(r, true)), rateHeaders);
    return;
  }
  const afterSeq = intParam(url, 'after_seq', { min: 0 });
  const beforeSeq = intParam(url, 'before_seq', { min: 0 });
  const limit = intParam(url, 'limit', { min: 1, max: MESSAGE_PAGE_MAX }) ?? MESSAGE_PAGE_DEFAULT;
  const rows = listMessages(ctx.db, conversationId, {
    ...(afterSeq !== undefined ? { afterSeq } : {}),
    ...(beforeSeq !== undefined ? { beforeSeq } : {}),
    limit,
  });
  send(res, 200, rows.map(toMessage), rateHeaders);
}

async function search(
  ctx: ServerContext,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  conversationId: string,
): Promise<void> {
  const { token, rateHeaders } = await authenticate(ctx, req);
  requireMember(ctx, conversationId, token.user.id);
  const q = url.searchParams.get('q') ?? '';
  if (q.trim() === '') throw new HttpError('INVALID_INPUT', 'q is required');
  const limit = intParam(url, 'limit', { min: 1, max: 100 }) ?? 20;
  const offset = intParam(url, 'offset', { min: 0 }) ?? 0;
  const sortBy = url.searchParams.get('sort_by') ?? 'recent';
  if (!['recent', 'oldest', 'relevance'].includes(sortBy)) {
    throw new HttpError('INVALID_INPUT', 'sort_by must be recent, oldest or relevance');
  }
  const { rows, total } = searchMessages(ctx.db, conversationId, {
    text: q,
    limit,
    offset,
    oldestFirst: sortBy === 'oldest',
  });
  const body: SearchResponse = {
    data: rows.map((r) => (ctx.legacy ? toLegacyMessage(r, true) : toMessage(r))),
    total,
    limit,
    offset,
    has_more: offset + rows.length < total,
  };
  send(res, 200, body, rateHeaders);
}

async function postRead(ctx: ServerContext, req: IncomingMessage, res: ServerResponse, conversationId: string): Promise<void> {
  const { token, rateHeaders } = await authenticate(ctx, req);
  // Nova requires a JSON body here (415/400 without one); we accept an empty one
  const body = await readJson(ctx, req, ReadRequestSchema, ctx.legacy ? {} : { emptyAs: {} });
  const conv = requireMember(ctx, conversationId, token.user.id);
  const upTo = Math.min(body.last_read_seq ?? conv.last_seq, conv.last_seq);
  const marker = markRead(ctx.db, conversationId, token.user.id, upTo);
  const timestamp = isoNow(ctx);
  publish(
    ctx,
    conversationId,
    { type: 'read_receipt', conversation_id: conversationId, user_id: token.user.id, timestamp, last_read_seq: marker },
    { legacyFrame: { type: 'read_receipt', conversation_id: conversationId, user_id: token.user.id, timestamp } },
  );
  send(res, 204, undefined, rateHeaders);
}

/** Tells the conversation about a change that happened (nothing when nothing changed). */
function publishChange(ctx: ServerContext, m: MessageRow): void {
  const base = { conversation_id: m.conversation_id, message_id: m.id, timestamp: m.deleted_at ?? m.edited_at ?? isoNow(ctx) };
  if (m.deleted_at !== null) {
    publish(
      ctx,
      m.conversation_id,
      { type: 'message_deleted', ...base, sequence_number: m.sequence_number, updated_seq: m.updated_seq },
      { legacyFrame: { type: 'message_deleted', ...base } },
    );
  } else {
    publish(
      ctx,
      m.conversation_id,
      { type: 'message_edited', ...base, sequence_number: m.sequence_number, plaintext: m.plaintext, updated_seq: m.updated_seq },
      { legacyFrame: { type: 'message_edited', ...base } },
    );
  }
}

async function readEdit(ctx: ServerContext, req: IncomingMessage): Promise<{ plaintext: string }> {
  // the byte limit answers 413 here, as for sends, rather than the schema's INVALID_INPUT
  const body = await readJson(ctx, req, EditMessageRequestSchema.extend({ plaintext: z.string() }));
  if (isTooLarge(ctx, body.plaintext)) throw new HttpError('PAYLOAD_TOO_LARGE', tooLargeText(ctx));
  return body;
}

function messageDeleted(): HttpError {
  return new HttpError('MESSAGE_DELETED', 'The message was deleted', 'A deleted message cannot be edited');
}

async function changeMessage(
  ctx: ServerContext,
  req: IncomingMessage,
  res: ServerResponse,
  messageId: string,
  method: 'PUT' | 'DELETE',
): Promise<void> {
  const { token, rateHeaders } = await authenticate(ctx, req);
  const body = method === 'PUT' ? await readEdit(ctx, req) : null;
  const msg = getMessage(ctx.db, messageId);
  // Nova-compat says what happened to a deleted message; legacy keeps the answer it always had
  if (!msg || (ctx.legacy && msg.deleted_at !== null)) throw new HttpError('NOT_FOUND', 'Message not found');
  requireMember(ctx, msg.conversation_id, token.user.id);
  if (msg.sender_id !== token.user.id) throw new HttpError('FORBIDDEN', 'Only the sender may change a message');
  const now = isoNow(ctx);
  const outcome: ChangeOutcome = body ? editMessage(ctx.db, msg.id, body.plaintext, now) : deleteMessage(ctx.db, msg.id, now);
  if (outcome.kind === 'deleted') throw messageDeleted();
  // Nova broadcasts every edit, even one to the same text
  if (outcome.kind === 'changed' || ctx.legacy) publishChange(ctx, outcome.message);
  send(res, 204, undefined, rateHeaders);
}

async function getChanges(
  ctx: ServerContext,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  conversationId: string,
): Promise<void> {
  const { token, rateHeaders } = await authenticate(ctx, req);
  requireMember(ctx, conversationId, token.user.id);
  const after = intParam(url, 'after_updated_seq', { min: 0 }) ?? 0;
  const limit = intParam(url, 'limit', { min: 1, max: CHANGES_PAGE_MAX }) ?? CHANGES_PAGE_DEFAULT;
  // both reads happen in one synchronous step: no change can land between them
  const rows = listChanges(ctx.db, conversationId, after, limit);
  const head = getConversation(ctx.db, conversationId)?.last_updated_seq ?? 0;
  const body: ChangesResponse = {
    conversation_id: conversationId,
    changes: rows.map(toMessage),
    last_updated_seq: head,
    has_more: rows.length === limit && (rows.at(-1)?.updated_seq ?? head) < head,
  };
  send(res, 200, body, rateHeaders);
}

async function changeMessageByKeyRoute(
  ctx: ServerContext,
  req: IncomingMessage,
  res: ServerResponse,
  conversationId: string,
  key: string,
  method: 'PUT' | 'DELETE',
  onlyIfAbsent = false,
): Promise<void> {
  const { token, rateHeaders } = await authenticate(ctx, req);
  const body = method === 'PUT' ? await readEdit(ctx, req) : null;
  if (key === '' || key.length > 128) throw new HttpError('INVALID_INPUT', 'The key must be 1 to 128 characters');
  requireMember(ctx, conversationId, token.user.id);
  const result = changeMessageByKey(ctx.db, {
    conversationId,
    senderId: token.user.id,
    key,
    plaintext: body?.plaintext ?? null,
    now: isoNow(ctx),
    onlyIfAbsent,
  });
  const base = { conversation_id: conversationId, idempotency_key: key };
  switch (result.kind) {
    case 'present': {
      const out: MessageByKeyResponse = { ...base, outcome: 'present', message: toMessage(result.message) };
      send(res, 200, out, rateHeaders);
      return;
    }
    case 'key_conflict':
      throw new HttpError('CONFLICT', 'idempotency_key belongs to another conversation', null, { headers: rateHeaders });
    case 'withdrawn':
      throw messageDeleted();
    case 'recorded': {
      const out: MessageByKeyResponse = body ? { ...base, outcome: 'pending' } : { ...base, outcome: 'withdrawn' };
      send(res, body ? 202 : 200, out, rateHeaders);
      return;
    }
    case 'message': {
      const outcome = result.outcome;
      if (outcome.kind === 'deleted') throw messageDeleted();
      if (outcome.kind === 'changed') publishChange(ctx, outcome.message);
      const out: MessageByKeyResponse = { ...base, outcome: body ? 'edited' : 'deleted', message: toMessage(outcome.message) };
      send(res, 200, out, rateHeaders);
      return;
    }
  }
}
