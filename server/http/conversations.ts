/** Listing conversations and creating one (once per client key). */
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  CreateConversationRequestSchema,
  type ConversationList,
  type CreateConversationResponse,
} from '../../src/shared/protocol';
import { isoNow, publish, toConversation, type ServerContext } from '../core';
import {
  canSeeUser,
  countConversationsOf,
  createConversationOnce,
  getUserById,
  listConversationsOf,
} from '../db';
import { authenticate } from './access';
import { intParam, readJson } from './request';
import { HttpError, send } from './respond';

export async function listConversations(
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

export async function createConversationRoute(ctx: ServerContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
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
