/** What each valid client frame does: ping, send, sync, read markers, typing, subscriptions. */
import { SYNC_LIMIT_MAX, type ClientFrame } from '../../src/shared/protocol';
import { errorFrame, isoNow, publish, sendFrame, toMessage, type Conn, type ServerContext } from '../core';
import { getConversation, isMember, listMessages, markDelivered, markRead } from '../db';
import { onSend } from './send';

const SYNC_LIMIT_DEFAULT = 100;

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

export function dispatch(ctx: ServerContext, conn: Conn, frame: ClientFrame): void {
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
