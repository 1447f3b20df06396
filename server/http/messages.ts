/** Reading a conversation: message pages, text search, and the read marker. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  MESSAGE_PAGE_DEFAULT,
  MESSAGE_PAGE_MAX,
  ReadRequestSchema,
  type SearchResponse,
} from '../../src/shared/protocol';
import { isoNow, publish, toLegacyMessage, toMessage, type ServerContext } from '../core';
import { listMessages, markRead, searchMessages } from '../db';
import { authenticate, requireMember } from './access';
import { intParam, readJson } from './request';
import { HttpError, send } from './respond';

export async function getMessages(
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

export async function search(
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

export async function postRead(ctx: ServerContext, req: IncomingMessage, res: ServerResponse, conversationId: string): Promise<void> {
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
