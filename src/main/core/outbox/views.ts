/**
 * Pure mapping from store records to the contract's views (messages, outbox items, conversation
 * summaries). No I/O: callers pass the keys in flight and the names they looked up.
 */
import type { Attempt, ConversationSummary, MessageState, MessageView, OutboxItem } from '../../../shared/contract';
import { ERROR_CODES, describeError, type ErrorCode } from '../../../shared/errors';
import type { ConversationOverview, MessageRecord } from '../store/messages';
import type { AttemptRecord, OutboxRecord } from '../store/outbox';

function isErrorCode(code: string | null): code is ErrorCode {
  return code !== null && (ERROR_CODES as readonly string[]).includes(code);
}

/** A stored `saved` row with a send in flight is what the user sees as "sending". */
function stateOf(record: MessageRecord, sending: ReadonlySet<string>): MessageState {
  if (record.outboxState === null) return 'sent';
  if (record.outboxState === 'saved' && sending.has(record.key)) return 'sending';
  if (record.outboxState === 'confirming') return 'confirming';
  return record.outboxState;
}

function errorOf(code: string | null, message: string | null, id: string | null): MessageView['error'] {
  if (!isErrorCode(code)) return null;
  return { code, message: message ?? describeError(code), id: id ?? '' };
}

export function toMessageView(ownerId: string, record: MessageRecord, sending: ReadonlySet<string>): MessageView {
  const state = stateOf(record, sending);
  return {
    key: record.key,
    serverId: record.serverId,
    conversationId: record.conversationId,
    senderId: record.senderId,
    isOwn: record.senderId === ownerId,
    text: record.text,
    seq: record.seq,
    composedAt: record.composedAt,
    state,
    error: state === 'failed' || state === 'expired' ? errorOf(record.errorCode, record.errorMessage, record.errorId) : null,
    ...(record.editedAt != null ? { editedAt: record.editedAt } : {}),
    ...(record.deletedAt != null ? { deleted: true } : {}),
  };
}

export function toOutboxItem(row: OutboxRecord, sending: ReadonlySet<string>, conversationName: string): OutboxItem {
  const state: MessageState = row.state === 'saved' && sending.has(row.key) ? 'sending' : row.state;
  return {
    key: row.key,
    conversationId: row.conversationId,
    conversationName,
    state,
    composedAt: row.composedAt,
    attempts: row.attempts,
    lastError: errorOf(row.errorCode, row.errorMessage, row.errorId),
    nextAttemptAt: row.nextAttemptAt,
    sizeBytes: row.sizeBytes,
    history: row.history.map(toAttemptView),
  };
}

export function toAttemptView(attempt: AttemptRecord): Attempt {
  return {
    at: attempt.at,
    transport: attempt.transport,
    outcome: attempt.outcome,
    error: isErrorCode(attempt.code) ? { code: attempt.code, message: describeError(attempt.code), id: attempt.errorId ?? '' } : null,
    waitMs: attempt.waitMs ?? null,
  };
}

/** An item that left the outbox because the server has it; the renderer drops it on `sent`. */
export function sentItem(record: Pick<MessageRecord, 'key' | 'conversationId' | 'composedAt'>): OutboxItem {
  return {
    key: record.key,
    conversationId: record.conversationId,
    conversationName: '',
    state: 'sent',
    composedAt: record.composedAt,
    attempts: 0,
    lastError: null,
    nextAttemptAt: null,
    sizeBytes: 0,
    history: [],
  };
}

/** A discarded message: gone from both tables; `sent` is the only state that removes it. */
export function removedItem(key: string, conversationId: string): OutboxItem {
  return sentItem({ key, conversationId, composedAt: 0 });
}

export function toConversationSummary(ownerId: string, overview: ConversationOverview): ConversationSummary {
  const { conversation, last } = overview;
  return {
    id: conversation.id,
    type: conversation.type,
    name: conversation.name,
    lastMessage: last
      ? { preview: last.text.slice(0, 200), at: last.composedAt, senderId: last.senderId, isOwn: last.senderId === ownerId }
      : null,
    unreadCount: overview.unreadCount,
    pendingCount: overview.pendingCount,
    lastSeq: conversation.lastSeq,
    readSeq: conversation.readSeq,
  };
}
