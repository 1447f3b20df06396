/**
 * Legacy Nova's way of sending: one REST POST at a time per conversation, the idempotency key in
 * the body and the header. What the answer means is the lane's (`applyVerdict`), as for frames.
 */
import { AppError } from '../../../shared/errors';
import type { SendMessageResponse } from '../../../shared/protocol';
import type { ParsedResponse } from '../link';
import { SERVER_BODIES } from '../server-data';
import type { OutboxRecord } from '../store/outbox';
import type { Lane, LaneHost, Sent, Session } from './lane';
import { classifyStatus, parseRetryAfter, type Verdict } from './policy';

export async function pumpRest(lane: Lane, host: LaneHost, session: Session): Promise<void> {
  if (lane.restBusy) return;
  let row: OutboxRecord | null = null;
  const now = lane.o.clock.now();
  while ((row = lane.nextRow(session.ownerId)) !== null && host.records.expireIfSpent(row, now)) {
    // expired rows are skipped; the loop is bounded by the lane's rows
  }
  if (!row) return;
  const sent: Sent = { row, clientSeq: null, epoch: lane.epoch, sentAt: now };
  lane.inflight = [sent];
  lane.restBusy = true;
  lane.o.sink.messageChanged(row.ownerId, row.key, row.conversationId);
  let response: ParsedResponse<SendMessageResponse>;
  try {
    response = await lane.o.link.requestParsed(
      SERVER_BODIES.sendAnswer,
      'POST',
      `/conversations/${encodeURIComponent(row.conversationId)}/messages`,
      { plaintext: row.text, idempotency_key: row.key },
      { 'Idempotency-Key': row.key },
    );
  } catch (error) {
    lane.restBusy = false;
    if (host.currentLane(lane.conversationId) !== lane || sent.epoch !== lane.epoch) return;
    const code = error instanceof AppError ? error.code : 'NETWORK_ERROR';
    const verdict: Verdict =
      code === 'NOT_SIGNED_IN' || code === 'UNAUTHORIZED' || code === 'TOKEN_REVOKED'
        ? { kind: 'auth', code }
        : { kind: 'retry', code, retryAfterMs: null };
    // The request may have reached the server: "confirming" until a resend tells.
    lane.applyVerdict(sent, 0, verdict, error instanceof Error ? error.message : String(error), 'rest', true);
    return;
  }
  lane.restBusy = false;
  const { status, headers, body, value: answer } = response;
  if (status >= 200 && status < 300) {
    if (answer !== null) {
      const current = host.currentLane(lane.conversationId);
      host.acknowledge(session.ownerId, current, row.key, row.conversationId, answer.id, answer.sequence_number, null, 'rest', answer.duplicate === true);
      return;
    }
    lane.o.log.warn(`outbox: REST send answered ${status} without id/sequence_number`);
  }
  if (host.currentLane(lane.conversationId) !== lane || sent.epoch !== lane.epoch) return;
  const verdict = classifyStatus(
    status >= 200 && status < 300 ? 502 : status,
    parseRetryAfter(headers['retry-after'], lane.o.clock.now()),
  );
  lane.applyVerdict(sent, 0, verdict, errorText(body), 'rest');
}

function errorText(body: unknown): string {
  if (typeof body === 'string') return body.slice(0, 200);
  if (body && typeof body === 'object') {
    const b = body as { error?: unknown; details?: unknown };
    if (typeof b.error === 'string') return b.error.slice(0, 200);
  }
  return '';
}
