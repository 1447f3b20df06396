/**
 * What the user does to their own messages after writing them: cancel one not sent yet, edit or
 * delete one (queued or sent), and read its delivery timeline.
 *
 * A message the server cannot have yet (never handed to the network, or every attempt answered
 * with a refusal) is changed or withdrawn here, at once. One that may have reached it (in flight,
 * "confirming", or an attempt whose answer was lost) is settled with the server by its key first
 * (protocol §3.8), and the row changes only after the server has said what happened: one
 * message results, never both texts, and a withdrawn one is never delivered. Offline, such a
 * cancel or edit is saved and settled at the next connect through the same calls (intents.ts).
 */
import type { Attempt, MessageView } from '../../../shared/contract';
import { AppError, classifyHttpStatus } from '../../../shared/errors';
import type { CancelResult, DeleteResult } from '../../../shared/own-messages';
import type { Message, MessageByKeyResponse } from '../../../shared/protocol';
import type { Clock } from '../clock';
import type { CoreEventBus } from '../events';
import type { ServerLink } from '../link';
import type { Logger } from '../logging';
import type { DB } from '../store/database';
import { dropIntent, isIntentState } from '../store/intents';
import { getOutboxItem, type OutboxRecord } from '../store/outbox';
import { editQueuedText, getOwnMessage, recordDelete, recordEdit, withdrawMessage } from '../store/own-messages';
import { getTimeline } from '../store/timeline';
import type { WriteQueue } from '../store/write-queue';
import { SERVER_BODIES } from '../server-data';
import { currentOwner } from './conversations';
import type { DeliveryEngine } from './engine';
import { Intents, type IntentSettler, type KeyTarget, type OwnChanges } from './intents';
import { exceedsLimits, type ServerLimits } from './limits';
import type { RetryTiming } from './policy';
import { toAttemptView, toMessageView } from './views';

export type OwnMessagesOptions = Readonly<{
  db: DB;
  writes: WriteQueue;
  link: ServerLink;
  clock: Clock;
  log: Logger;
  engine: DeliveryEngine;
  serverLimits: ServerLimits;
  events: CoreEventBus;
  random: () => number;
  /** How settling a saved intent backs off after a failure: the lanes' retry timing. */
  retry: RetryTiming;
  changes: OwnChanges;
}>;

/** What the server said of a key: its answer, or `gone` (410: deleted, or withdrawn before). */
type KeyAnswer = MessageByKeyResponse | Readonly<{ outcome: 'gone' }>;

/** True when a send of this row may have reached the server, so only the server can say what it holds. */
export function mayBeOnServer(row: OutboxRecord, sending: boolean): boolean {
  return sending || row.state === 'confirming' || isIntentState(row.state) || row.history.some((a) => a.outcome === 'lost' || a.mayHaveLanded === true);
}

export class OwnMessages implements IntentSettler {
  /** Cancels and edits saved offline, settled with the server at the next connect. */
  readonly intents: Intents;

  constructor(private readonly o: OwnMessagesOptions) {
    this.intents = new Intents({ ...o, timing: o.retry }, this);
  }

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
    if (isIntentState(row.state) || (this.o.link.capabilities() === null && mayBeOnServer(row, false))) {
      this.intents.request(ownerId, row, 'cancel', null);
      return { outcome: 'requested' };
    }
    if (!mayBeOnServer(row, this.o.engine.isSending(key))) {
      this.withdrawLocally(ownerId, row);
      return { outcome: 'withdrawn' };
    }
    return this.cancelByKey(ownerId, row);
  }

  /** `DELETE …/by-key/:key?if=absent`: withdrawn if nothing landed, else shown as delivered. */
  async cancelByKey(ownerId: string, target: KeyTarget): Promise<CancelResult> {
    const answer = await this.byKey(target.conversationId, target.key, 'DELETE', null, true);
    if (answer.outcome === 'present') {
      this.delivered(ownerId, target, this.messageOf(answer));
      return { outcome: 'delivered' };
    }
    // `withdrawn`, or 410: withdrawn before (a cancel whose answer was lost), or deleted: either way it is not there.
    this.withdrawLocally(ownerId, target);
    return { outcome: 'withdrawn' };
  }

  async edit(key: string, text: string): Promise<MessageView> {
    const sizeBytes = Buffer.byteLength(text, 'utf8');
    const limits = this.o.serverLimits.current;
    if (exceedsLimits(text, sizeBytes, limits)) {
      throw new AppError('MESSAGE_TOO_LARGE', `This text is ${sizeBytes.toLocaleString('en')} bytes; the server takes up to ${limits.textBytes.toLocaleString('en')}.`);
    }
    const { ownerId, row } = this.queued(key);
    if (row) {
      if (isIntentState(row.state) || (this.o.link.capabilities() === null && mayBeOnServer(row, false))) {
        this.intents.request(ownerId, row, 'edit', text);
        return this.view(ownerId, key, row.conversationId);
      }
      if (mayBeOnServer(row, this.o.engine.isSending(key)) && (await this.editByKey(ownerId, row, text)) === 'edited') {
        return this.view(ownerId, key, row.conversationId);
      }
      // Never handed to the network, or `pending`: when the send lands, it lands with this text.
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

  /**
   * `PUT …/by-key/:key`: `edited` when the old text had landed (now delivered and edited, as any
   * edit), `pending` when not (the server keeps this text for it). Gone (410): refused.
   */
  async editByKey(ownerId: string, target: KeyTarget, text: string): Promise<'edited' | 'pending'> {
    const answer = await this.byKey(target.conversationId, target.key, 'PUT', text, false);
    if (answer.outcome === 'gone') throw new AppError('CONFLICT', 'This message was withdrawn or deleted, so it cannot be edited.');
    if (answer.outcome !== 'edited') return 'pending';
    const message = this.messageOf(answer);
    this.delivered(ownerId, target, message);
    this.o.writes.flush();
    recordEdit(this.o.db, ownerId, target.key, text, parseTime(message.edited_at) ?? this.o.clock.now(), message.updated_seq);
    return 'edited';
  }

  /** Takes back a cancel or edit saved offline: the message is as it was. */
  undoIntent(key: string): MessageView {
    const ownerId = currentOwner(this.o.link);
    const target = this.intents.undo(ownerId, key);
    return this.view(ownerId, key, target.conversationId);
  }

  async delete(key: string): Promise<DeleteResult> {
    const { ownerId, row } = this.queued(key);
    if (row) {
      if (!mayBeOnServer(row, this.o.engine.isSending(key))) {
        this.withdrawLocally(ownerId, row);
        return { outcome: 'withdrawn' };
      }
      const answer = await this.byKey(row.conversationId, key, 'DELETE', null, false);
      // Deleting for everyone supersedes a cancel or edit saved earlier.
      this.o.writes.flush();
      dropIntent(this.o.db, ownerId, key);
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

  private withdrawLocally(ownerId: string, row: KeyTarget): void {
    const { db, writes, engine, changes, log } = this.o;
    writes.flush();
    withdrawMessage(db, ownerId, row.key);
    engine.forget(row.conversationId, row.key);
    changes.messageChanged(ownerId, row.key, row.conversationId);
    changes.conversationChanged(ownerId, row.conversationId);
    log.info('outbox: message withdrawn by the user');
  }

  /** The server has it: the row ends as any delivered message does. */
  private delivered(ownerId: string, row: KeyTarget, message: Message): void {
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
