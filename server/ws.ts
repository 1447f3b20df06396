/**
 * WebSocket half (§8.3). Upgrades are handled by hand (noServer) so the server can refuse
 * them with a real HTTP status before any WebSocket exists, or leave them unanswered when
 * a fault asks for a half-open server.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { randomUUID } from 'node:crypto';
import { WebSocketServer } from 'ws';
import type { RawData, WebSocket } from 'ws';
import {
  CLIENT_FRAME_TYPES,
  ClientFrameSchema,
  CloseCode,
  FEATURES,
  PROTOCOL_VERSION,
  SUPPORTED_EVENTS,
  SYNC_LIMIT_MAX,
} from '../src/shared/protocol';
import type { ClientFrame, ErrorBody, ErrorCode, Feature, SendFrame, ServerFrame } from '../src/shared/protocol';
import { bearerToken, verifyToken } from './auth';
import { guardUpgrade } from './guard';
import { getConversation, isMember, listMessages, markDelivered, markRead } from './db';
import { closeAuth, errorFrame, isTooLarge, isoNow, performSend, publish, sendFrame, tooLargeText, toMessage } from './core';
import type { Conn, ServerContext } from './core';
import { errorMessage } from './logger';

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const SYNC_LIMIT_DEFAULT = 100;
/** Presence is in the schema but not implemented by this server, so it is not advertised. */
const ADVERTISED_FEATURES: ReadonlyArray<Feature> = FEATURES.filter((f) => f !== 'presence');
const KNOWN_TYPES: ReadonlySet<string> = new Set(CLIENT_FRAME_TYPES);
const ADVERTISED_EVENTS: ReadonlyArray<string> = SUPPORTED_EVENTS;

export function createWss(ctx: ServerContext): WebSocketServer {
  return new WebSocketServer({
    noServer: true,
    maxPayload: ctx.opts.maxPayloadSize,
    clientTracking: false,
    perMessageDeflate: false,
  });
}

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  503: 'Service Unavailable',
};

function refuse(
  socket: Duplex,
  status: number,
  body: string,
  contentType: string,
  headers: Record<string, string> = {},
): void {
  const lines = [
    `HTTP/1.1 ${status} ${REASONS[status] ?? 'Error'}`,
    `Content-Type: ${contentType}`,
    `Content-Length: ${Buffer.byteLength(body)}`,
    'Connection: close',
    ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
  ];
  socket.end(`${lines.join('\r\n')}\r\n\r\n${body}`);
}

function refuseJson(
  socket: Duplex,
  code: ErrorCode,
  status: number,
  error: string,
  retryAfterMs?: number,
  details: string | null = null,
): void {
  const body: ErrorBody = {
    error,
    details,
    code,
    ...(retryAfterMs !== undefined ? { retry_after_ms: retryAfterMs } : {}),
  };
  refuse(
    socket,
    status,
    JSON.stringify(body),
    'application/json',
    // Retry-After-Ms keeps the wait to the millisecond (an admission turn); Retry-After rounds up.
    retryAfterMs !== undefined
      ? { 'Retry-After': String(Math.max(1, Math.ceil(retryAfterMs / 1000))), 'Retry-After-Ms': String(Math.ceil(retryAfterMs)) }
      : {},
  );
}

export function handleUpgrade(
  ctx: ServerContext,
  wss: WebSocketServer,
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
): void {
  ctx.stats.connectionAttempts += 1;
  socket.on('error', () => undefined);
  if (ctx.faults.holdUpgrades || ctx.faults.frozen) {
    ctx.heldSockets.add(socket);
    socket.once('close', () => ctx.heldSockets.delete(socket));
    return;
  }
  const guard = guardUpgrade(ctx.allowedHosts, req);
  if (guard) {
    ctx.stats.upgradesRefused += 1;
    if (ctx.legacy) refuse(socket, guard.status, 'forbidden', 'text/plain');
    else refuseJson(socket, guard.code, guard.status, guard.message, undefined, guard.details);
    return;
  }
  const url = new URL(req.url ?? '/', 'http://localhost');
  if (url.pathname !== '/ws') {
    ctx.stats.upgradesRefused += 1;
    refuse(socket, 404, ctx.legacy ? 'not found' : '{"error":"Not found","code":"NOT_FOUND"}', 'text/plain');
    return;
  }
  const now = ctx.clock();
  if (ctx.faults.unavailableUntilMs > now) {
    ctx.stats.upgradesRefused += 1;
    refuseJson(socket, 'SERVICE_UNAVAILABLE', 503, 'Service temporarily unavailable', ctx.faults.unavailableUntilMs - now);
    return;
  }
  if (ctx.admission) {
    const d = ctx.admission.take(now);
    if (!d.allowed) {
      ctx.stats.upgradesRefused += 1;
      refuseJson(socket, 'SERVICE_UNAVAILABLE', 503, 'Too many new connections', d.retryAfterMs);
      return;
    }
  }
  const upgrade = ctx.legacy ? upgradeLegacy : upgradeCompat;
  upgrade(ctx, wss, req, socket, head, url).catch((err: unknown) => {
    ctx.log.error('ws: upgrade failed', { error: errorMessage(err) });
    socket.destroy();
  });
}

async function upgradeCompat(
  ctx: ServerContext,
  wss: WebSocketServer,
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  url: URL,
): Promise<void> {
  // Only the header: a token in the URL ends up in proxy logs, browser history and Referer headers.
  const token = bearerToken(req.headers.authorization);
  if (!token) {
    ctx.stats.upgradesRefused += 1;
    refuseJson(socket, 'UNAUTHORIZED', 401, 'Missing bearer token');
    return;
  }
  const v = await verifyToken(ctx.db, ctx.auth, token, 'access');
  if (socket.destroyed) return;
  if (!v.ok) {
    ctx.stats.upgradesRefused += 1;
    refuseJson(socket, v.code, 401, v.message);
    return;
  }
  const userId = v.token.user.id;
  const conversationId = url.searchParams.get('conversation_id') || null;
  const claimedUser = url.searchParams.get('user_id');
  const version = url.searchParams.get('protocol_version');
  let refusal: { code: number; errorCode: ErrorCode; message: string } | null = null;
  if (version !== null && version.split('.')[0] !== PROTOCOL_VERSION.split('.')[0]) {
    refusal = { code: CloseCode.UNSUPPORTED_VERSION, errorCode: 'INVALID_INPUT', message: `Unsupported protocol_version ${version}` };
  } else if (claimedUser !== null && claimedUser !== '' && claimedUser !== userId) {
    refusal = { code: CloseCode.FORBIDDEN, errorCode: 'FORBIDDEN', message: 'user_id does not match the token' };
  } else if (conversationId !== null && !getConversation(ctx.db, conversationId)) {
    refusal = { code: CloseCode.FORBIDDEN, errorCode: 'NOT_FOUND', message: 'Conversation not found' };
  } else if (conversationId !== null && !isMember(ctx.db, conversationId, userId)) {
    refusal = { code: CloseCode.FORBIDDEN, errorCode: 'NOT_MEMBER', message: 'Not a member of this conversation' };
  }
  wss.handleUpgrade(req, socket, head, (ws) => {
    if (refusal) {
      ws.on('error', () => undefined);
      ws.send(JSON.stringify(errorFrame(refusal.errorCode, refusal.message)));
      ws.close(refusal.code, refusal.errorCode.toLowerCase());
      return;
    }
    const conn = register(ctx, ws, {
      userId,
      sessionId: v.token.claims.sid,
      expMs: v.token.claims.exp * 1000,
      conversationId,
      legacy: false,
    });
    const handshake: ServerFrame = {
      type: 'protocol_handshake',
      protocol_version: PROTOCOL_VERSION,
      server_capabilities: {
        max_payload_size: ctx.opts.maxPayloadSize,
        ping_interval_ms: ctx.opts.pingIntervalMs,
        supported_events: [...ADVERTISED_EVENTS],
        features: [...ADVERTISED_FEATURES],
        idle_timeout_ms: ctx.opts.idleTimeoutMs,
        max_message_bytes: ctx.opts.maxMessageBytes,
      },
      connection_id: conn.id,
      user_id: userId,
      timestamp: isoNow(ctx),
    };
    sendFrame(ctx, conn, handshake);
  });
}

/**
 * Real Nova (§1.1–§1.2): the Authorization header is mandatory (router-wide layer), `?token=`
 * wins over it when both are present, `user_id` is trusted as given, a non-member is upgraded
 * and then closed without a code, and no handshake is sent.
 */
async function upgradeLegacy(
  ctx: ServerContext,
  wss: WebSocketServer,
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  url: URL,
): Promise<void> {
  const header = bearerToken(req.headers.authorization);
  if (!header) {
    ctx.stats.upgradesRefused += 1;
    refuse(socket, 401, 'unauthorized', 'text/plain');
    return;
  }
  const conversationId = url.searchParams.get('conversation_id') ?? '';
  const userId = url.searchParams.get('user_id') ?? '';
  if (!UUID_RE.test(conversationId) || !UUID_RE.test(userId)) {
    ctx.stats.upgradesRefused += 1;
    refuse(socket, 400, 'Failed to deserialize query string: invalid conversation_id or user_id', 'text/plain');
    return;
  }
  const v = await verifyToken(ctx.db, ctx.auth, url.searchParams.get('token') || header, 'access');
  if (socket.destroyed) return;
  if (!v.ok) {
    ctx.stats.upgradesRefused += 1;
    refuse(socket, 401, 'unauthorized', 'text/plain');
    return;
  }
  const member = isMember(ctx.db, conversationId, userId);
  wss.handleUpgrade(req, socket, head, (ws) => {
    if (!member) {
      ws.on('error', () => undefined);
      ws.close();
      return;
    }
    register(ctx, ws, {
      userId,
      sessionId: v.token.claims.sid,
      // Nova never re-checks an open socket after exp
      expMs: Number.POSITIVE_INFINITY,
      conversationId,
      legacy: true,
    });
  });
}

function register(
  ctx: ServerContext,
  ws: WebSocket,
  init: { userId: string; sessionId: string; expMs: number; conversationId: string | null; legacy: boolean },
): Conn {
  const conn: Conn = { id: randomUUID(), ws, muted: new Set(), idleTimer: null, expiryTimer: null, ...init };
  ctx.stats.connectionsAccepted += 1;
  ctx.conns.set(conn.id, conn);
  let set = ctx.connsByUser.get(conn.userId);
  if (!set) {
    set = new Set();
    ctx.connsByUser.set(conn.userId, set);
  }
  set.add(conn);

  if (!conn.legacy) {
    conn.idleTimer = setTimeout(() => onIdle(ctx, conn), ctx.opts.idleTimeoutMs);
    const untilExp = conn.expMs - ctx.clock();
    // setTimeout overflows past ~24.8 days; such tokens are caught on the next frame instead
    if (untilExp < 2 ** 31 - 1) {
      conn.expiryTimer = setTimeout(() => closeAuth(ctx, conn, 'TOKEN_EXPIRED'), Math.max(0, untilExp));
    }
  }
  const touch = (): void => {
    conn.idleTimer?.refresh();
  };
  ws.on('ping', touch);
  ws.on('pong', touch);
  ws.on('message', (data, isBinary) => {
    touch();
    ctx.stats.framesReceived += 1;
    try {
      if (conn.legacy) onLegacyFrame(ctx, conn, data, isBinary);
      else onFrame(ctx, conn, data, isBinary);
    } catch (err) {
      ctx.log.error('ws: frame handler failed', { error: errorMessage(err) });
      sendFrame(ctx, conn, errorFrame('INTERNAL_ERROR', 'Internal server error'));
    }
  });
  // oversized frames surface here before ws closes with 1009; nothing else to do
  ws.on('error', (err) => ctx.log.debug('ws: socket error', { error: errorMessage(err) }));
  ws.on('close', (code) => {
    unregister(ctx, conn);
    ctx.log.debug('ws: close', { connection: conn.id, code });
  });
  ctx.log.debug('ws: open', { connection: conn.id, user: conn.userId, legacy: conn.legacy });
  if (ctx.faults.frozen) ws.pause();
  return conn;
}

function unregister(ctx: ServerContext, conn: Conn): void {
  if (conn.idleTimer) clearTimeout(conn.idleTimer);
  if (conn.expiryTimer) clearTimeout(conn.expiryTimer);
  ctx.conns.delete(conn.id);
  const set = ctx.connsByUser.get(conn.userId);
  if (set) {
    set.delete(conn);
    if (set.size === 0) ctx.connsByUser.delete(conn.userId);
  }
}

function onIdle(ctx: ServerContext, conn: Conn): void {
  // a frozen server must look alive-but-mute, so it does not hang up either
  if (ctx.faults.frozen) {
    conn.idleTimer?.refresh();
    return;
  }
  if (conn.ws.readyState === conn.ws.OPEN) conn.ws.close(CloseCode.HEARTBEAT_TIMEOUT, 'idle_timeout');
}

function describeIssues(error: { issues: ReadonlyArray<{ path: ReadonlyArray<PropertyKey>; message: string }> }): string {
  return error.issues
    .slice(0, 3)
    .map((i) => `${i.path.map(String).join('.') || '(frame)'}: ${i.message}`)
    .join('; ');
}

function onFrame(ctx: ServerContext, conn: Conn, data: RawData, isBinary: boolean): void {
  if (ctx.clock() >= conn.expMs) {
    closeAuth(ctx, conn, 'TOKEN_EXPIRED');
    return;
  }
  if (isBinary) {
    sendFrame(ctx, conn, errorFrame('INVALID_INPUT', 'Binary frames are not supported'));
    return;
  }
  let raw: unknown;
  try {
    raw = JSON.parse(rawText(data));
  } catch {
    sendFrame(ctx, conn, errorFrame('INVALID_INPUT', 'Malformed JSON'));
    return;
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    sendFrame(ctx, conn, errorFrame('INVALID_INPUT', 'A frame must be a JSON object'));
    return;
  }
  const type = (raw as { type?: unknown }).type;
  if (typeof type !== 'string' || !KNOWN_TYPES.has(type)) {
    sendFrame(
      ctx,
      conn,
      errorFrame('INVALID_INPUT', `Unknown frame type ${JSON.stringify(type)}`, typeof type === 'string' ? { ref: type.slice(0, 64) } : {}),
    );
    return;
  }
  const parsed = ClientFrameSchema.safeParse(raw);
  if (!parsed.success) {
    const r = raw as { idempotency_key?: unknown; conversation_id?: unknown; plaintext?: unknown };
    // a malformed send still names its key: answer with a nack so the outbox can fail that item
    if (type === 'send' && typeof r.idempotency_key === 'string') {
      const tooLarge = isTooLarge(ctx, r.plaintext);
      sendFrame(ctx, conn, {
        type: 'nack',
        idempotency_key: r.idempotency_key,
        conversation_id: typeof r.conversation_id === 'string' ? r.conversation_id : '',
        code: tooLarge ? 'PAYLOAD_TOO_LARGE' : 'INVALID_INPUT',
        error: tooLarge ? tooLargeText(ctx) : describeIssues(parsed.error),
        retryable: false,
      });
      return;
    }
    sendFrame(ctx, conn, errorFrame('INVALID_INPUT', describeIssues(parsed.error), { ref: type }));
    return;
  }
  dispatch(ctx, conn, parsed.data);
}

function rawText(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  if (data instanceof ArrayBuffer) return Buffer.from(data).toString('utf8');
  return data.toString('utf8');
}

/** Checks membership for frames that name a conversation; sends the error itself. */
function memberOrError(ctx: ServerContext, conn: Conn, conversationId: string, ref: string): boolean {
  if (!getConversation(ctx.db, conversationId)) {
    sendFrame(ctx, conn, errorFrame('NOT_FOUND', 'Conversation not found', { ref }));
    return false;
  }
  if (!isMember(ctx.db, conversationId, conn.userId)) {
    sendFrame(ctx, conn, errorFrame('NOT_MEMBER', 'Not a member of this conversation', { ref }));
    return false;
  }
  return true;
}

function dispatch(ctx: ServerContext, conn: Conn, frame: ClientFrame): void {
  switch (frame.type) {
    case 'ping':
      sendFrame(ctx, conn, { type: 'pong', ...(frame.ts !== undefined ? { ts: frame.ts } : {}), server_ts: ctx.clock() });
      return;
    case 'send':
      onSend(ctx, conn, frame);
      return;
    case 'sync': {
      if (!memberOrError(ctx, conn, frame.conversation_id, 'sync')) return;
      const limit = Math.min(frame.limit ?? SYNC_LIMIT_DEFAULT, SYNC_LIMIT_MAX);
      const rows = listMessages(ctx.db, frame.conversation_id, { afterSeq: frame.after_seq, limit });
      for (const m of rows) {
        sendFrame(ctx, conn, { type: 'message', conversation_id: frame.conversation_id, message: toMessage(m), replay: true });
      }
      const conv = getConversation(ctx.db, frame.conversation_id);
      const lastSeq = conv?.last_seq ?? 0;
      const lastSent = rows.at(-1)?.sequence_number ?? frame.after_seq;
      sendFrame(ctx, conn, {
        type: 'sync_complete',
        conversation_id: frame.conversation_id,
        last_seq: lastSeq,
        has_more: lastSent < lastSeq,
        last_updated_seq: conv?.last_updated_seq ?? 0,
      });
      return;
    }
    case 'sync_ack':
      if (!memberOrError(ctx, conn, frame.conversation_id, 'sync_ack')) return;
      markDelivered(ctx.db, frame.conversation_id, conn.userId, frame.sequence_number);
      return;
    case 'read': {
      if (!memberOrError(ctx, conn, frame.conversation_id, 'read')) return;
      const head = getConversation(ctx.db, frame.conversation_id)?.last_seq ?? 0;
      const marker = markRead(ctx.db, frame.conversation_id, conn.userId, Math.min(frame.last_read_seq, head));
      publish(ctx, frame.conversation_id, {
        type: 'read_receipt',
        conversation_id: frame.conversation_id,
        user_id: conn.userId,
        timestamp: isoNow(ctx),
        last_read_seq: marker,
      });
      return;
    }
    case 'typing':
      if (!memberOrError(ctx, conn, frame.conversation_id, 'typing')) return;
      publish(
        ctx,
        frame.conversation_id,
        { type: 'typing', conversation_id: frame.conversation_id, user_id: conn.userId, is_typing: frame.is_typing ?? true },
        // not even to the typist's other devices: nobody needs to be told they are typing
        { exceptUser: conn.userId },
      );
      return;
    case 'subscribe':
    case 'unsubscribe': {
      for (const id of frame.conversation_ids) {
        if (!memberOrError(ctx, conn, id, frame.type)) continue;
        if (frame.type === 'subscribe') conn.muted.delete(id);
        else conn.muted.add(id);
      }
      sendFrame(ctx, conn, { type: 'subscribed', conversation_ids: subscribedIds(ctx, conn) });
      return;
    }
  }
}

function subscribedIds(ctx: ServerContext, conn: Conn): string[] {
  if (conn.conversationId !== null) return [conn.conversationId];
  const ids = ctx.db
    .prepare('SELECT conversation_id FROM members WHERE user_id = ? ORDER BY conversation_id')
    .pluck()
    .all(conn.userId) as string[];
  return ids.filter((id) => !conn.muted.has(id));
}

function onSend(ctx: ServerContext, conn: Conn, frame: SendFrame): void {
  const base = { idempotency_key: frame.idempotency_key, conversation_id: frame.conversation_id };
  const seqFields = {
    ...(frame.client_seq !== undefined ? { client_seq: frame.client_seq } : {}),
  };
  if (ctx.limiter) {
    const d = ctx.limiter.take(conn.userId, ctx.clock());
    if (!d.allowed) {
      sendAck(ctx, conn, {
        type: 'nack',
        ...base,
        ...seqFields,
        code: 'RATE_LIMITED',
        error: 'Too many messages',
        retryable: true,
        retry_after_ms: d.retryAfterMs,
      });
      return;
    }
  }
  const result = performSend(ctx, {
    conversationId: frame.conversation_id,
    senderId: conn.userId,
    plaintext: frame.plaintext,
    idempotencyKey: frame.idempotency_key,
    clientSeq: frame.client_seq ?? null,
    deviceId: frame.device_id ?? null,
  });
  if (!result.ok) {
    sendAck(ctx, conn, {
      type: 'nack',
      ...base,
      ...seqFields,
      code: result.code,
      error: result.error,
      retryable: result.retryable,
      ...(result.expectedClientSeq !== undefined ? { expected_client_seq: result.expectedClientSeq } : {}),
      ...(result.retryAfterMs !== undefined ? { retry_after_ms: result.retryAfterMs } : {}),
    });
    return;
  }
  const m = result.message;
  sendAck(ctx, conn, {
    type: 'ack',
    ...base,
    status: result.duplicate ? 'duplicate' : 'accepted',
    message: { id: m.id, sequence_number: m.sequence_number, created_at: m.created_at },
    ...(m.client_seq !== null ? { client_seq: m.client_seq } : {}),
    ...(m.device_id !== null ? { device_id: m.device_id } : {}),
  });
}

function sendAck(ctx: ServerContext, conn: Conn, frame: ServerFrame): void {
  if (ctx.faults.ackDelayMs > 0) setTimeout(() => sendFrame(ctx, conn, frame), ctx.faults.ackDelayMs);
  else sendFrame(ctx, conn, frame);
}

/** Real Nova accepts only `typing` whose ids match the query; everything else is dropped. */
function onLegacyFrame(ctx: ServerContext, conn: Conn, data: RawData, isBinary: boolean): void {
  if (isBinary) return;
  let raw: unknown;
  try {
    raw = JSON.parse(rawText(data));
  } catch {
    return;
  }
  const f = raw as { type?: unknown; conversation_id?: unknown; user_id?: unknown } | null;
  const conversationId = conn.conversationId;
  if (conversationId === null || !f || f.type !== 'typing') return;
  if (f.conversation_id !== conversationId || f.user_id !== conn.userId) return;
  // re-broadcast to the whole conversation, the sender included (§1.3)
  publish(ctx, conversationId, { type: 'typing', conversation_id: conversationId, user_id: conn.userId });
}
