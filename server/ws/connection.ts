/** An accepted socket's life: registered per user, idle and token-expiry timers, frames in, unregistered on close. */
import { randomUUID } from 'node:crypto';
import type { WebSocket } from 'ws';
import { CloseCode } from '../../src/shared/protocol';
import { closeAuth, errorFrame, sendFrame, type Conn, type ServerContext } from '../core';
import { errorMessage } from '../logger';
import { onFrame, onLegacyFrame } from './frames';

export function register(
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
