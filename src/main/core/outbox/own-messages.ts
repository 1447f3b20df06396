/**
 * What the user does to their own messages after writing them: cancel one not sent yet, edit or
 * delete one (queued or sent), and read its delivery timeline.
 *
 * A message the server cannot have yet (never handed to the network, or every attempt answered
 * with a refusal) is changed or withdrawn here, at once. One that may have reached it (in flight,
 * "confirming", or an attempt whose answer was lost) is settled with the server by its key first
 * (protocol §3.8), and the row changes only after the server has said what happened: one
 * message results, never both texts, and a withdrawn one is never delivered.
 */
import type { Attempt, MessageView } from '../../../shared/contract';
import { AppError, classifyHttpStatus } from '../../../shared/errors';
import type { CancelResult, DeleteResult } from '../../../shared/own-messages';
import type { Message, MessageByKeyResponse } from '../../../shared/protocol';
import type { Clock } from '../clock';
import type { ServerLink } from '../link';
import type { Logger } from '../logging';
import type { DB } from '../store/database';
import { getOutboxItem, type OutboxRecord } from '../store/outbox';
import { editQueuedText, getOwnMessage, recordDelete, recordEdit, withdrawMessage } from '../store/own-messages';
import { getTimeline } from '../store/timeline';
import type { WriteQueue } from '../store/write-queue';
import { SERVER_BODIES } from '../server-data';
import { currentOwner } from './conversations';
import type { DeliveryEngine } from './engine';
import { exceedsLimits, type ServerLimits } from './limits';
import { toAttemptView, toMessageView } from './views';

export type OwnMessagesOptions = Readonly<{
  db: DB;
  writes: WriteQueue;
  link: ServerLink;
  clock: Clock;
  log: Logger;
  engine: DeliveryEngine;
  serverLimits: ServerLimits;
  changes: Readonly<{
    messageChanged(ownerId: string, key: string, conversationId: string): void;
    conversationChanged(ownerId: string, conversationId: string): void;
  }>;
}>;

/** What the server said of a key: its answer, or `gone` (410: deleted, or withdrawn before). */
type KeyAnswer = MessageByKeyResponse | Readonly<{ outcome: 'gone' }>;

/** True when a send of this row may have reached the server, so only the server can say what it holds. */
export function mayBeOnServer(row: OutboxRecord, sending: boolean): boolean {
  return sending || row.state === 'confirming' || row.history.some((a) => a.outcome === 'lost' || a.mayHaveLanded === true);
}

export class OwnMessages {
  constructor(private readonly o: OwnMessagesOptions) {}

  timeline(key: string): Attempt[] {
    const { db, writes, link } = this.o;
    const ownerId = currentOwner(link);
    writes.flush();
    const row = getOutboxItem(db, key);
    const attempts = row?.ownerId === ownerId ? row.history : getTimeline(db, ownerId, key);
    return attempts.map(toAttemptView);
  }

  async cancel(key: string): Promise<CancelResult> {
    const { ownerId, row } = this.queued(key);
    if (!row) throw new AppError('NOT_FOUND', 'That message is no longer waiting: it was sent or withdrawn already.');
    if (!mayBeOnServer(row, this.o.engine.isSending(key))) {
      this.withdrawLocally(ownerId, row);
      return { outcome: 'withdrawn' };
    }
    const answer = await this.byKey(row.conversationId, key, 'DELETE', null, true);
    switch (answer.outcome) {
      case 'present':
        this.delivered(ownerId, row, this.messageOf(answer));
        return { outcome: 'delivered' };
      case 'withdrawn':
        this.withdrawLocally(ownerId, row);
        return { outcome: 'withdrawn' };
      default:
        // 410: withdrawn before (a cancel whose answer was lost), or deleted: either way it is not there.
        this.withdrawLocally(ownerId, row);
        return { outcome: 'withdrawn' };
    }
  }

  async edit(key: string, text: string): Promise<MessageView> {
    const sizeBytes = Buffer.byteLength(text, 'utf8');
    const limits = this.o.serverLimits.current;
    if (exceedsLimits(text, sizeBytes, limits)) {
      throw new AppError('MESSAGE_TOO_LARGE', `This text is ${sizeBytes.toLocaleString('en')} bytes; the server takes up to ${limits.textBytes.toLocaleString('en')}.`);
    }
    const { ownerId, row } = this.queued(key);
    if (row) {
      if (mayBeOnServer(row, this.o.engine.isSending(key))) {
        const answer = await this.byKey(row.conversationId, key, 'PUT', text, false);
        if (answer.outcome === 'gone') throw new AppError('CONFLICT', 'This message was withdrawn or deleted, so it cannot be edited.');
        if (answer.outcome === 'edited') {
          // It had landed with the old text (and was delivered): now it is an ordinary edit.
          const message = this.messageOf(answer);
          this.delivered(ownerId, row, message);
          this.o.writes.flush();
          recordEdit(this.o.db, ownerId, key, text, parseTime(message.edited_at) ?? this.o.clock.now(), message.updated_seq);
          return this.view(ownerId, key, row.conversationId);
        }
        // `pending`: when the send lands, it lands with this text.
      }
      this.o.writes.flush();
      // Acked while the server recorded the `pending` text: it landed with this text, unedited.
      if (!editQueuedText(this.o.db, ownerId, key, text, sizeBytes)) recordEdit(this.o.db, ownerId, key, text, null);
      this.o.engine.replaceText(row.conversationId, key, text);
      return this.view(ownerId, key, row.conversationId);
    }
    const message = this.sent(ownerId, key);
    const response = await this.o.link.request('PUT', `/messages/${encodeURIComponent(message.serverId)}`, { plaintext: text });
    if (response.status === 410) throw new AppError('CONFLICT', 'This message was deleted, so it cannot be edited.');
    if (response.status < 200 || response.status >= 300) throw httpError(response.status);
    this.o.writes.flush();
    recordEdit(this.o.db, ownerId, key, text, this.o.clock.now());
    return this.view(ownerId, key, message.conversationId);
  }

  async delete(key: string): Promise<DeleteResult> {
    const { ownerId, row } = this.queued(key);
    if (row) {
      if (!mayBeOnServer(row, this.o.engine.isSending(key))) {
        this.withdrawLocally(ownerId, row);
        return { outcome: 'withdrawn' };
      }
      const answer = await this.byKey(row.conversationId, key, 'DELETE', null, false);
      if (answer.outcome === 'deleted') {
        const message = this.messageOf(answer);
        this.delivered(ownerId, row, message);
        this.markDeleted(ownerId, key, row.conversationId, message.updated_seq);
        return { outcome: 'deleted' };
      }
      this.withdrawLocally(ownerId, row);
      return { outcome: 'withdrawn' };
    }
    const message = this.sent(ownerId, key);
    const response = await this.o.link.request('DELETE', `/messages/${encodeURIComponent(message.serverId)}`);
    if (response.status < 200 || response.status >= 300) throw httpError(response.status);
    this.markDeleted(ownerId, key, message.conversationId);
    return { outcome: 'deleted' };
  }

  // ---- Internals -------------------------------------------------------------------------

  private queued(key: string): { ownerId: string; row: OutboxRecord | null } {
    const ownerId = currentOwner(this.o.link);
    this.o.writes.flush();
    const row = getOutboxItem(this.o.db, key);
    return { ownerId, row: row?.ownerId === ownerId ? row : null };
  }

  private sent(ownerId: string, key: string): { serverId: string; conversationId: string } {
    this.o.writes.flush();
    const message = getOwnMessage(this.o.db, ownerId, key);
    if (!message || message.senderId !== ownerId) throw new AppError('NOT_FOUND', 'That message is not one of yours, or is gone.');
    if (message.serverId === null) throw new AppError('CONFLICT', 'That message is still on its way; try again in a moment.');
    if (message.deletedAt != null) throw new AppError('CONFLICT', 'That message is deleted already.');
    return { serverId: message.serverId, conversationId: message.conversationId };
  }

  private withdrawLocally(ownerId: string, row: OutboxRecord): void {
    const { db, writes, engine, changes, log } = this.o;
    writes.flush();
    withdrawMessage(db, ownerId, row.key);
    engine.forget(row.conversationId, row.key);
    changes.messageChanged(ownerId, row.key, row.conversationId);
    changes.conversationChanged(ownerId, row.conversationId);
    log.info('outbox: message withdrawn by the user');
  }

  /** The server has it: the row ends as any delivered message does. */
  private delivered(ownerId: string, row: OutboxRecord, message: Message): void {
    const { engine } = this.o;
    engine.acknowledge(ownerId, engine.currentLane(row.conversationId), row.key, row.conversationId, message.id, message.sequence_number, null, 'rest', true);
    this.o.writes.flush();
  }

  private markDeleted(ownerId: string, key: string, conversationId: string, updatedSeq?: number): void {
    this.o.writes.flush();
    recordDelete(this.o.db, ownerId, key, this.o.clock.now(), updatedSeq);
    this.o.changes.messageChanged(ownerId, key, conversationId);
    this.o.changes.conversationChanged(ownerId, conversationId);
  }

  private messageOf(answer: MessageByKeyResponse): Message {
    if (!answer.message) throw new AppError('SERVER_ERROR', 'The server did not say which message it has.');
    return answer.message;
  }

  private view(ownerId: string, key: string, conversationId: string): MessageView {
    this.o.writes.flush();
    const message = getOwnMessage(this.o.db, ownerId, key);
    if (!message) throw new AppError('NOT_FOUND');
    this.o.changes.messageChanged(ownerId, key, conversationId);
    this.o.changes.conversationChanged(ownerId, conversationId);
    return toMessageView(ownerId, message, this.o.engine.sendingKeys());
  }

  /** `PUT` / `DELETE …/messages/by-key/:key`: only while connected to a server that has it. */
  private async byKey(conversationId: string, key: string, method: 'PUT' | 'DELETE', text: string | null, onlyIfAbsent: boolean): Promise<KeyAnswer> {
    const { link } = this.o;
    const capabilities = link.capabilities();
    if (!capabilities) throw new AppError('OFFLINE', 'This message may already be on the server: try again when connected.');
    if (!capabilities.features.has('message_by_key')) {
      throw new AppError('CONFLICT', 'This message may already be on the server, and this server cannot settle it by key.');
    }
    const path = `/conversations/${encodeURIComponent(conversationId)}/messages/by-key/${encodeURIComponent(key)}${onlyIfAbsent ? '?if=absent' : ''}`;
    const response = await link.requestParsed(SERVER_BODIES.messageByKey, method, path, text === null ? undefined : { plaintext: text });
    if (response.status === 410) return { outcome: 'gone' };
    if (response.value) return response.value;
    throw httpError(response.status);
  }
}

function httpError(status: number): AppError {
  return new AppError(classifyHttpStatus(status), `The server answered ${status}.`);
}

function parseTime(value: string | null | undefined): number | null {
  if (!value) return null;
  const at = Date.parse(value);
  return Number.isNaN(at) ? null : at;
}
