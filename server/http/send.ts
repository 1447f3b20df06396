/** POST /conversations/:id/messages: the REST send, answered after the injected ack delay. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { SendMessageRequestSchema, type SendMessageResponse } from '../../src/shared/protocol';
import { performSend, type ServerContext } from '../core';
import { authenticate } from './access';
import { readJson } from './request';
import { HttpError, send } from './respond';

function delayed(ctx: ServerContext, fn: () => void): void {
  if (ctx.faults.ackDelayMs > 0) setTimeout(fn, ctx.faults.ackDelayMs);
  else fn();
}

export async function postMessage(ctx: ServerContext, req: IncomingMessage, res: ServerResponse, conversationId: string): Promise<void> {
  const { token, rateHeaders } = await authenticate(ctx, req);
  // performSend applies the byte limit (413); it also bounds the characters, so the schema's cap
  // is lifted here to answer over-long text with PAYLOAD_TOO_LARGE rather than INVALID_INPUT.
  const body = await readJson(ctx, req, SendMessageRequestSchema.extend({ plaintext: z.string() }));
  const headerKey = req.headers['idempotency-key'];
  const key = body.idempotency_key ?? (typeof headerKey === 'string' && headerKey !== '' ? headerKey : null);
  const result = performSend(ctx, {
    conversationId,
    senderId: token.user.id,
    plaintext: body.plaintext,
    idempotencyKey: key,
    clientSeq: ctx.legacy ? null : (body.client_seq ?? null),
    deviceId: ctx.legacy ? null : (body.device_id ?? null),
  });
  if (!result.ok) {
    if (ctx.legacy && result.code === 'NOT_MEMBER') throw new HttpError('UNAUTHORIZED', 'unauthorized');
    throw new HttpError(
      result.code,
      result.error,
      null,
      {
        headers: rateHeaders,
        ...(result.expectedClientSeq !== undefined ? { expected_client_seq: result.expectedClientSeq } : {}),
        ...(result.retryAfterMs !== undefined ? { retry_after_ms: result.retryAfterMs } : {}),
      },
      result.status,
    );
  }
  const msg = result.message;
  const out: SendMessageResponse = ctx.legacy
    ? { id: msg.id, sequence_number: msg.sequence_number }
    : {
        id: msg.id,
        sequence_number: msg.sequence_number,
        conversation_id: msg.conversation_id,
        sender_id: msg.sender_id,
        created_at: msg.created_at,
        idempotency_key: msg.idempotency_key,
        duplicate: result.duplicate,
        client_seq: msg.client_seq,
      };
  delayed(ctx, () => send(res, 200, out, rateHeaders));
}
