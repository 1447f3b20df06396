/**
 * WebSocket half (§8.3). Upgrades are handled by hand (noServer) so the server can refuse
 * them with a real HTTP status before any WebSocket exists, or leave them unanswered when
 * a fault asks for a half-open server. This file admits upgrades; `ws/` holds the rest.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import type { ServerContext } from './core';
import { guardUpgrade } from './guard';
import { errorMessage } from './logger';
import { refuse, refuseJson } from './ws/refuse';
import { upgradeCompat, upgradeLegacy } from './ws/upgrade';

export function createWss(ctx: ServerContext): WebSocketServer {
  return new WebSocketServer({
    noServer: true,
    maxPayload: ctx.opts.maxPayloadSize,
    clientTracking: false,
    perMessageDeflate: false,
  });
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
