/** Accepting a socket: the nova-compat upgrade (token in the header, handshake) and real Nova's. */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { WebSocketServer } from 'ws';
import {
  CloseCode,
  FEATURES,
  PROTOCOL_VERSION,
  SUPPORTED_EVENTS,
  type ErrorCode,
  type Feature,
  type ServerFrame,
} from '../../src/shared/protocol';
import { bearerToken, verifyToken } from '../auth';
import { errorFrame, isoNow, sendFrame, type ServerContext } from '../core';
import { getConversation, isMember } from '../db';
import { register } from './connection';
import { refuse, refuseJson } from './refuse';

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Presence is in the schema but not implemented by this server, so it is not advertised. */
const ADVERTISED_FEATURES: ReadonlyArray<Feature> = FEATURES.filter((f) => f !== 'presence');

const ADVERTISED_EVENTS: ReadonlyArray<string> = SUPPORTED_EVENTS;

export async function upgradeCompat(
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
export async function upgradeLegacy(
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
