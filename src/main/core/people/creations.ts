/**
 * New conversations. A creation is written to the store first (with the key the server replays
 * it by), then sent when there is a connection, and again at every reconnect until an answer
 * comes: so a conversation started offline, with messages written to it, is created exactly once
 * and its messages follow it (docs/protocol.md §3.6). A server without replay keys (legacy Nova)
 * gets one request only: after an uncertain one the user is told instead of a second conversation
 * being made.
 */
import { randomUUID } from 'node:crypto';
import type { ParsedReq } from '../../../shared/contract';
import { AppError, classifyHttpStatus, type ErrorCode } from '../../../shared/errors';
import { LOCAL_CONVERSATION_PREFIX } from '../../../shared/people';
import type { CreateConversationRequest } from '../../../shared/protocol';
import type { Clock, TimerHandle } from '../clock';
import type { CoreEventBus } from '../events';
import type { ServerCapabilities, ServerLink } from '../link';
import type { Logger } from '../logging';
import type { NotificationCenter } from '../notifications';
import { currentOwner } from '../outbox/conversations';
import { SERVER_BODIES } from '../server-data';
import type { DB } from '../store/database';
import type { WriteQueue } from '../store/write-queue';
import {
  discardFailedCreation,
  failCreation,
  findDirectWith,
  getCreation,
  insertCreation,
  listPendingCreations,
  noteCreationAttempt,
  resolveCreation,
  restartCreation,
  type CreationRecord,
} from './store';

export type CreationsOptions = Readonly<{
  db: DB;
  writes: WriteQueue;
  link: ServerLink;
  clock: Clock;
  log: Logger;
  events: CoreEventBus;
  notifications: NotificationCenter;
  conversationChanged(ownerId: string, conversationId: string): void;
  /** The conversation exists on the server now: resync it and open its lane. */
  adopted(ownerId: string, conversationId: string): void;
  /** Messages of a discarded creation left the store: the outbox and the thread drop them. */
  messagesRemoved(ownerId: string, conversationId: string, keys: readonly string[]): void;
  /** Wait before trying again after the server said "later" (429, 5xx) while connected. */
  retryDelayMs(attempt: number): number;
}>;

type Outcome = 'created' | 'waiting' | 'failed';

export class Creations {
  private readonly running = new Map<string, Promise<Outcome>>();
  /** Where resolved local ids went, so `create` can answer the server's id when it got it at once. */
  private readonly resolvedIds = new Map<string, string>();
  private retryTimer: TimerHandle | null = null;
  private stopped = false;

  constructor(private readonly o: CreationsOptions) {}

  /** Answers the conversation to open: existing, created now, or queued under a local id. */
  async create(req: ParsedReq<'conversations:create'>): Promise<{ conversationId: string }> {
    const { db, writes, clock } = this.o;
    const ownerId = currentOwner(this.o.link);
    writes.flush();
    if (req.type === 'direct') {
      if (req.person.id === ownerId) throw new AppError('VALIDATION_ERROR', 'Choose someone other than yourself.');
      const existing = findDirectWith(db, ownerId, req.person.id);
      if (existing !== null) return { conversationId: existing };
    }
    const people = req.type === 'direct' ? [req.person] : req.people.filter((p) => p.id !== ownerId);
    if (people.length === 0) throw new AppError('VALIDATION_ERROR', 'Choose at least one other person.');
    const localId = `${LOCAL_CONVERSATION_PREFIX}${randomUUID()}`;
    insertCreation(db, ownerId, {
      localId,
      clientKey: randomUUID(),
      type: req.type,
      name: req.type === 'group' ? req.name : '',
      people: people.map((p) => ({ id: p.id, displayName: p.displayName })),
      createdAt: clock.now(),
    });
    this.o.log.info(`people: ${req.type} conversation queued for creation (${people.length} other people)`);
    this.o.conversationChanged(ownerId, localId);
    const capabilities = this.o.link.capabilities();
    if (capabilities === null) return { conversationId: localId };
    await this.attempt(ownerId, localId, capabilities);
    return { conversationId: this.resolvedIds.get(localId) ?? localId };
  }

  /** A refused creation, asked for again by the user; queued again when offline. */
  async retry(localId: string): Promise<{ conversationId: string }> {
    const ownerId = currentOwner(this.o.link);
    if (!restartCreation(this.o.db, ownerId, localId)) throw new AppError('NOT_FOUND', 'That conversation is not waiting to be created.');
    this.o.conversationChanged(ownerId, localId);
    const capabilities = this.o.link.capabilities();
    if (capabilities !== null) await this.attempt(ownerId, localId, capabilities);
    return { conversationId: this.resolvedIds.get(localId) ?? localId };
  }

  /**
   * A refused creation the user gives up on: the conversation and the messages written to it are
   * removed, and their text is answered so the window can hand it back rather than lose it.
   */
  discard(localId: string): { messages: Array<{ key: string; text: string; composedAt: number }> } {
    const ownerId = currentOwner(this.o.link);
    this.o.writes.flush();
    const messages = this.running.has(localId) ? null : discardFailedCreation(this.o.db, ownerId, localId);
    if (messages === null) throw new AppError('CONFLICT', 'Only a conversation the server refused to create can be discarded.');
    this.o.log.info(`people: refused creation discarded with ${messages.length} unsent messages`);
    this.o.messagesRemoved(
      ownerId,
      localId,
      messages.map((m) => m.key),
    );
    this.o.conversationChanged(ownerId, localId);
    return { messages: messages.map((m) => ({ ...m })) };
  }

  /** At every connect, before any conversation resyncs: the creations go out first, oldest first. */
  async replay(ownerId: string, capabilities: ServerCapabilities): Promise<void> {
    this.o.writes.flush();
    for (const creation of listPendingCreations(this.o.db, ownerId)) {
      if (this.stopped || this.o.link.capabilities() === null) return;
      await this.attempt(ownerId, creation.localId, capabilities);
    }
  }

  stop(): void {
    this.stopped = true;
    if (this.retryTimer) this.o.clock.clearTimeout(this.retryTimer);
    this.retryTimer = null;
  }

  private attempt(ownerId: string, localId: string, capabilities: ServerCapabilities): Promise<Outcome> {
    const running = this.running.get(localId);
    if (running) return running;
    const run = this.send(ownerId, localId, capabilities).finally(() => this.running.delete(localId));
    this.running.set(localId, run);
    return run;
  }

  private async send(ownerId: string, localId: string, capabilities: ServerCapabilities): Promise<Outcome> {
    const { db, link, log } = this.o;
    const creation = getCreation(db, ownerId, localId);
    if (creation?.state !== 'pending') return creation === null ? 'created' : 'failed';
    const replayable = capabilities.mode === 'compat' && capabilities.features.has('create_key');
    if (!replayable && creation.attempts > 0) {
      // The first request may have made it: a second would make another conversation.
      this.fail(ownerId, creation, 'UNKNOWN_ERROR', 'Nova could not tell whether the server created this conversation. Look for it in your list before creating it again.');
      return 'failed';
    }
    noteCreationAttempt(db, ownerId, localId);
    let status: number;
    let answer;
    try {
      const response = await link.requestParsed(SERVER_BODIES.createdConversation, 'POST', '/conversations', requestBody(ownerId, creation, replayable), replayable ? { 'Idempotency-Key': creation.clientKey } : {});
      status = response.status;
      answer = response.value;
    } catch (error) {
      // No answer: it may or may not have landed; the key makes the next request safe.
      if (this.stopped) return 'waiting';
      log.info(`people: creation not answered (${error instanceof Error ? error.message : String(error)}); kept for the next connection`);
      if (error instanceof AppError && (error.code === 'NOT_SIGNED_IN' || error.code === 'UNAUTHORIZED')) return 'waiting';
      this.retryLater(ownerId, creation.attempts + 1);
      return 'waiting';
    }
    // Stopped while waiting: the next start replays it (the database may be closed by now).
    if (this.stopped) return 'waiting';
    if (status >= 200 && status < 300 && answer) {
      this.o.writes.flush();
      resolveCreation(db, ownerId, localId, answer);
      this.resolvedIds.set(localId, answer.id);
      log.info(`people: conversation ${answer.created === false ? 'found' : 'created'} on the server`);
      this.o.events.emit('conversations:resolved', { localId, conversationId: answer.id });
      this.o.conversationChanged(ownerId, answer.id);
      this.o.adopted(ownerId, answer.id);
      return 'created';
    }
    const code = status >= 200 && status < 300 ? 'SERVER_ERROR' : classifyHttpStatus(status);
    if (status === 429 || status >= 500) {
      this.retryLater(ownerId, creation.attempts + 1);
      return 'waiting';
    }
    this.fail(ownerId, creation, code);
    return 'failed';
  }

  private fail(ownerId: string, creation: CreationRecord, code: ErrorCode, message?: string): void {
    failCreation(this.o.db, ownerId, creation.localId, code);
    this.o.log.warn(`people: creation refused (${code})`);
    this.o.notifications.raise(code, 'request', message !== undefined ? { message } : {});
    this.o.conversationChanged(ownerId, creation.localId);
  }

  private retryLater(ownerId: string, attempt: number): void {
    if (this.stopped || this.retryTimer !== null) return;
    this.retryTimer = this.o.clock.setTimeout(() => {
      this.retryTimer = null;
      const capabilities = this.o.link.capabilities();
      // Offline, the next connect replays them anyway.
      if (capabilities !== null && this.o.link.currentUserId() === ownerId) void this.replay(ownerId, capabilities);
    }, this.o.retryDelayMs(attempt));
  }
}

function requestBody(ownerId: string, creation: CreationRecord, replayable: boolean): CreateConversationRequest {
  const key = replayable ? { client_key: creation.clientKey } : {};
  const [person] = creation.people;
  if (creation.type === 'direct' && person) return { user_a: ownerId, user_b: person.id, ...key };
  return {
    type: creation.type,
    ...(creation.name !== '' ? { name: creation.name } : {}),
    participant_ids: creation.people.map((p) => p.id),
    ...key,
  };
}
