/** Reading a frame: JSON, a known type, the schema; a malformed send is nacked by its key. Real Nova's frames too. */
import type { RawData } from 'ws';
import { CLIENT_FRAME_TYPES, ClientFrameSchema } from '../../src/shared/protocol';
import {
  closeAuth,
  errorFrame,
  isTooLarge,
  publish,
  sendFrame,
  tooLargeText,
  type Conn,
  type ServerContext,
} from '../core';
import { dispatch } from './dispatch';

const KNOWN_TYPES: ReadonlySet<string> = new Set(CLIENT_FRAME_TYPES);

function describeIssues(error: { issues: ReadonlyArray<{ path: ReadonlyArray<PropertyKey>; message: string }> }): string {
  return error.issues
    .slice(0, 3)
    .map((i) => `${i.path.map(String).join('.') || '(frame)'}: ${i.message}`)
    .join('; ');
}

export function onFrame(ctx: ServerContext, conn: Conn, data: RawData, isBinary: boolean): void {
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

/** Real Nova accepts only `typing` whose ids match the query; everything else is dropped. */
export function onLegacyFrame(ctx: ServerContext, conn: Conn, data: RawData, isBinary: boolean): void {
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
