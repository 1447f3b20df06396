/**
 * REST half of the server (§8.2). Conversation routes have no /api/v1 prefix, as in Nova's
 * messaging-service; auth lives under /api/v1/auth, as in Nova's user-service. This file routes;
 * each route group is a module of `http/`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { PROTOCOL_VERSION, type HealthResponse } from '../src/shared/protocol';
import { toConversation, type ServerContext } from './core';
import { guardRequest } from './guard';
import { authenticate, requireMember } from './http/access';
import { authRoute } from './http/auth-routes';
import { changeMessage, changeMessageByKeyRoute, getChanges } from './http/changes';
import { createConversationRoute, listConversations } from './http/conversations';
import { getMessages, postRead, search } from './http/messages';
import { searchPeople } from './http/people';
import { pathParam } from './http/request';
import { HttpError, send, sendError, sendText } from './http/respond';
import { postMessage } from './http/send';
import { errorMessage } from './logger';
import { handleSupportReports } from './support';

export { HttpError } from './http/respond';
export { AUTH_BODY_MAX_BYTES, jsonBody, readBody, readJson, type BodyPolicy } from './http/request';

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
