/**
 * Server data parsed at the edge: which frames and REST bodies come out typed, which are dropped
 * and why (as codes, not text), for both nova-compat and legacy Nova shapes.
 */
import { describe, expect, it } from 'vitest';
import { ServerFrameSchema } from '../../src/shared/protocol';
import { createMemoryLogger } from '../../src/main/core/logging';
import { Metrics } from '../../src/main/core/metrics';
import { RejectedData, SERVER_BODIES, decodeFrame, parseResponse } from '../../src/main/core/server-data';
import { sampleValue } from './metrics/exposition';

const CONVERSATION = '0b8f7a52-3c61-4a36-9d0e-5a4f3a2c1d10';
const USER = '5d1c2b3a-4e5f-4a6b-8c7d-9e0f1a2b3c4d';
const MESSAGE = { id: 'm-1', sender_id: USER, sequence_number: 7 };
const AT = '2025-01-01T00:00:00.000Z';

type Row = Readonly<{ name: string; frame: unknown; reason: string | null }>;

/** `reason: null` means the frame parses; otherwise the reason it is dropped with. */
const FRAMES: Row[] = [
  { name: 'compat message', frame: { type: 'message', conversation_id: CONVERSATION, message: { ...MESSAGE, plaintext: 'hi', created_at: AT } }, reason: null },
  { name: 'legacy message (no text, no time)', frame: { type: 'message', conversation_id: CONVERSATION, message: MESSAGE }, reason: null },
  { name: 'legacy read receipt (no last_read_seq)', frame: { type: 'read_receipt', conversation_id: CONVERSATION, user_id: USER, timestamp: AT }, reason: null },
  { name: 'legacy edit (no text, no number)', frame: { type: 'message_edited', conversation_id: CONVERSATION, message_id: 'm-1', timestamp: AT }, reason: null },
  { name: 'ack', frame: { type: 'ack', idempotency_key: 'k', status: 'accepted', message: { id: 'm-1', sequence_number: 7 } }, reason: null },
  { name: 'nack', frame: { type: 'nack', idempotency_key: 'k', conversation_id: CONVERSATION, code: 'RATE_LIMITED', error: 'slow down', retryable: true }, reason: null },
  { name: 'extra fields are ignored', frame: { type: 'sync_complete', conversation_id: CONVERSATION, last_seq: 3, has_more: false, shiny: [1] }, reason: null },
  { name: 'reconnect', frame: { type: 'reconnect', retry_after_ms: 5000, spread_ms: 4000 }, reason: null },
  { name: 'not an object', frame: [1, 2], reason: 'not_object' },
  { name: 'null', frame: null, reason: 'not_object' },
  { name: 'no type', frame: { conversation_id: CONVERSATION }, reason: 'unknown_type' },
  { name: 'a type the protocol does not define', frame: { type: 'reaction', emoji: '+1' }, reason: 'unknown_type' },
  { name: 'a client frame type', frame: { type: 'send', conversation_id: CONVERSATION }, reason: 'unknown_type' },
  { name: 'message without its message', frame: { type: 'message', conversation_id: CONVERSATION }, reason: 'invalid' },
  { name: 'message number as text', frame: { type: 'message', conversation_id: CONVERSATION, message: { ...MESSAGE, sequence_number: '7' } }, reason: 'invalid' },
  { name: 'message number beyond safe integers', frame: { type: 'message', conversation_id: CONVERSATION, message: { ...MESSAGE, sequence_number: 2 ** 60 } }, reason: 'invalid' },
  { name: 'nack with a code outside the protocol', frame: { type: 'nack', idempotency_key: 'k', conversation_id: CONVERSATION, code: 'BOGUS', error: '', retryable: false }, reason: 'invalid' },
  { name: 'ack with an unknown status', frame: { type: 'ack', idempotency_key: 'k', status: 'maybe' }, reason: 'invalid' },
  { name: 'sync_complete with a negative head', frame: { type: 'sync_complete', conversation_id: CONVERSATION, last_seq: -1, has_more: false }, reason: 'invalid' },
];

describe('decodeFrame', () => {
  it.each(FRAMES)('$name', ({ frame, reason }) => {
    const decoded = decodeFrame(JSON.stringify(frame));
    if (reason === null) {
      expect(decoded.ok).toBe(true);
      if (decoded.ok) expect(ServerFrameSchema.safeParse(decoded.frame).success).toBe(true);
    } else {
      expect(decoded.ok ? null : decoded.reason).toBe(reason);
    }
  });

  it('drops text that is not JSON, and huge numbers JSON turns into Infinity', () => {
    const notJson = decodeFrame('{"type": "message"');
    expect(notJson.ok ? null : notJson.reason).toBe('not_json');
    const huge = decodeFrame(`{"type":"sync_complete","conversation_id":"${CONVERSATION}","last_seq":1e400,"has_more":false}`);
    expect(huge.ok ? null : huge.reason).toBe('invalid');
  });

  it('strips fields the protocol does not define, so a listener sees exactly the schema', () => {
    const decoded = decodeFrame(JSON.stringify({ type: 'pong', ts: 1, server_ts: 2, extra: 'x' }));
    expect(decoded.ok && decoded.frame).toEqual({ type: 'pong', ts: 1, server_ts: 2 });
  });

  it('says where an invalid frame is wrong, never with the offending value', () => {
    const decoded = decodeFrame(JSON.stringify({ type: 'message', conversation_id: CONVERSATION, message: { ...MESSAGE, sender_id: 42 } }));
    expect(decoded.ok).toBe(false);
    if (!decoded.ok) expect(decoded.detail['issues']).toEqual(['message.sender_id: invalid_type']);
  });
});

describe('REST bodies', () => {
  const ok = (body: unknown) => ({ status: 200, headers: {}, body });

  it('keeps the good items of a history page, counts the bad ones, and pages by what the server sent', () => {
    const rejected: number[] = [];
    const page = parseResponse(SERVER_BODIES.messagePage, ok([MESSAGE, { ...MESSAGE, id: 'm-2', sequence_number: 'eight' }, { ...MESSAGE, id: 'm-3', sequence_number: 9 }]), (_endpoint, reading) =>
      rejected.push(reading.rejected),
    );
    expect(page.value?.items.map((item) => item.id)).toEqual(['m-1', 'm-3']);
    expect(page.value?.received).toBe(3);
    expect(rejected).toEqual([1]);
  });

  it('reads the conversation list, and a body without one as nothing', () => {
    const list = parseResponse(SERVER_BODIES.conversationList, ok({ conversations: [{ id: CONVERSATION, member_count: 2, last_message_id: null, type: 'group' }], total: 1, limit: 100, offset: 0 }));
    expect(list.value?.items.map((c) => [c.id, c.type])).toEqual([[CONVERSATION, 'group']]);
    expect(parseResponse(SERVER_BODIES.conversationList, ok({ error: 'nope' })).value).toBeNull();
  });

  it("reads legacy Nova's bare send answer, and refuses one without a sequence number", () => {
    expect(parseResponse(SERVER_BODIES.sendAnswer, ok({ id: 'm-1', sequence_number: 4 })).value).toEqual({ id: 'm-1', sequence_number: 4 });
    expect(parseResponse(SERVER_BODIES.sendAnswer, ok({ id: 'm-1' })).value).toBeNull();
  });

  it('leaves error answers as they came, uncounted', () => {
    let counted = 0;
    const answer = parseResponse(SERVER_BODIES.sendAnswer, { status: 429, headers: {}, body: 'slow down' }, () => (counted += 1));
    expect(answer).toMatchObject({ status: 429, body: 'slow down', value: null });
    expect(counted).toBe(0);
  });
});

describe('RejectedData', () => {
  it('counts every rejection and logs each kind once', async () => {
    const metrics = new Metrics({ defaultMetrics: false });
    const logger = createMemoryLogger();
    const rejected = new RejectedData(metrics, logger);
    for (const text of ['nope', 'nope again', '[1]', '{"type":"ack"}', '{"type":"ack","x":1}', '{"type":"later"}']) {
      const decoded = decodeFrame(text);
      if (!decoded.ok) rejected.frame(decoded);
    }
    rejected.body('messages_list', { value: null, rejected: 2, issues: [] });
    rejected.body('messages_list', { value: null, rejected: 1, issues: [] });
    const text = await metrics.snapshot();
    expect(sampleValue(text, 'ws_frames_rejected_total', { reason: 'not_json', message_type: 'other' })).toBe(2);
    expect(sampleValue(text, 'ws_frames_rejected_total', { reason: 'not_object', message_type: 'other' })).toBe(1);
    expect(sampleValue(text, 'ws_frames_rejected_total', { reason: 'invalid', message_type: 'ack' })).toBe(2);
    expect(sampleValue(text, 'ws_frames_rejected_total', { reason: 'unknown_type', message_type: 'other' })).toBe(1);
    expect(sampleValue(text, 'http_bodies_rejected_total', { endpoint: 'messages_list' })).toBe(3);
    // Five kinds: not_json, not_object, invalid ack, unknown type, the history body.
    expect(logger.records.filter((record) => record.level === 'warn')).toHaveLength(5);
  });
});
