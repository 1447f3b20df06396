/** The `send` frame: rate limit, the shared send path, then the ack or nack (after the injected ack delay). */
import type { SendFrame, ServerFrame } from '../../src/shared/protocol';
import { performSend, sendFrame, type Conn, type ServerContext } from '../core';

export function onSend(ctx: ServerContext, conn: Conn, frame: SendFrame): void {
  const base = { idempotency_key: frame.idempotency_key, conversation_id: frame.conversation_id };
  const seqFields = {
    ...(frame.client_seq !== undefined ? { client_seq: frame.client_seq } : {}),
  };
  if (ctx.limiter) {
    const d = ctx.limiter.take(conn.userId, ctx.clock());
    if (!d.allowed) {
      sendAck(ctx, conn, {
        type: 'nack',
        ...base,
        ...seqFields,
        code: 'RATE_LIMITED',
        error: 'Too many messages',
        retryable: true,
        retry_after_ms: d.retryAfterMs,
      });
      return;
    }
  }
  const result = performSend(ctx, {
    conversationId: frame.conversation_id,
    senderId: conn.userId,
    plaintext: frame.plaintext,
    idempotencyKey: frame.idempotency_key,
    clientSeq: frame.client_seq ?? null,
    deviceId: frame.device_id ?? null,
  });
  if (!result.ok) {
    sendAck(ctx, conn, {
      type: 'nack',
      ...base,
      ...seqFields,
      code: result.code,
      error: result.error,
      retryable: result.retryable,
      ...(result.expectedClientSeq !== undefined ? { expected_client_seq: result.expectedClientSeq } : {}),
      ...(result.retryAfterMs !== undefined ? { retry_after_ms: result.retryAfterMs } : {}),
    });
    return;
  }
  const m = result.message;
  sendAck(ctx, conn, {
    type: 'ack',
    ...base,
    status: result.duplicate ? 'duplicate' : 'accepted',
    message: { id: m.id, sequence_number: m.sequence_number, created_at: m.created_at },
    ...(m.client_seq !== null ? { client_seq: m.client_seq } : {}),
    ...(m.device_id !== null ? { device_id: m.device_id } : {}),
  });
}

function sendAck(ctx: ServerContext, conn: Conn, frame: ServerFrame): void {
  if (ctx.faults.ackDelayMs > 0) setTimeout(() => sendFrame(ctx, conn, frame), ctx.faults.ackDelayMs);
  else sendFrame(ctx, conn, frame);
}
