/** Who is asking: the bearer token with the per-user rate limit, and membership of the conversation asked about. */
import type { IncomingMessage } from 'node:http';
import { bearerToken, verifyToken, type VerifiedToken } from '../auth';
import type { ServerContext } from '../core';
import { getConversation, isMember, type ConversationRow } from '../db';
import { HttpError } from './respond';

type Authed = Readonly<{ token: VerifiedToken; rateHeaders: Record<string, string> }>;

export async function authenticate(ctx: ServerContext, req: IncomingMessage): Promise<Authed> {
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

export function requireMember(ctx: ServerContext, conversationId: string, userId: string): ConversationRow {
  const c = getConversation(ctx.db, conversationId);
  if (!c) throw new HttpError('NOT_FOUND', 'Conversation not found');
  if (!isMember(ctx.db, conversationId, userId)) {
    // real Nova answers 401 to non-members (§2.3)
    if (ctx.legacy) throw new HttpError('UNAUTHORIZED', 'unauthorized');
    throw new HttpError('NOT_MEMBER', 'Not a member of this conversation');
  }
  return c;
}
