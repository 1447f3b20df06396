/** Edits and deletes, by message id or by idempotency key, and the change feed that catches up on them. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import {
  CHANGES_PAGE_DEFAULT,
  CHANGES_PAGE_MAX,
  EditMessageRequestSchema,
  type ChangesResponse,
  type MessageByKeyResponse,
} from '../../src/shared/protocol';
import { isoNow, isTooLarge, publish, toMessage, tooLargeText, type ServerContext } from '../core';
import {
  changeMessageByKey,
  deleteMessage,
  editMessage,
  getConversation,
  getMessage,
  listChanges,
  type ChangeOutcome,
  type MessageRow,
} from '../db';
import { authenticate, requireMember } from './access';
import { intParam, readJson } from './request';
import { HttpError, send } from './respond';

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

export async function changeMessage(
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

export async function getChanges(
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

export async function changeMessageByKeyRoute(
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
