/**
 * Cancels and edits saved offline. When the user cancels or edits a message that may already be
 * on the server (a send went out and no answer came back) and there is no connection to ask, the
 * click is saved (store/intents.ts): the row is never sent while it waits, the thread shows it,
 * and it survives a restart. At the next connect, before any conversation resyncs or sends, each
 * intent is settled with the server by the message's key, through the same calls an online cancel
 * or edit makes (own-messages.ts): a cancel asks `DELETE …?if=absent` (withdrawn, or too late:
 * delivered), an edit `PUT …/by-key` (edited, or it lands with the new text). A settlement that
 * fails is tried again with the lanes' backoff; one the server refuses gives the row back as it was.
 */
import { AppError, ERROR_INFO, type ErrorCode } from '../../../shared/errors';
import type { CancelResult, IntentSettled } from '../../../shared/own-messages';
import type { Clock, TimerHandle } from '../clock';
import type { CoreEventBus } from '../events';
import type { ServerLink } from '../link';
import type { Logger } from '../logging';
import type { DB } from '../store/database';
import { dropIntent, getIntent, listIntents, noteIntentFailure, releaseIntent, saveIntent, type IntentKind, type IntentRecord } from '../store/intents';
import type { OutboxRecord } from '../store/outbox';
import type { WriteQueue } from '../store/write-queue';
import type { DeliveryEngine } from './engine';
import { retryDelay, type RetryTiming } from './policy';

/** A message by key, where the online path and a settlement both act on it. */
export type KeyTarget = Readonly<{ key: string; conversationId: string }>;

/** What settling needs of the online cancel and edit (own-messages.ts), so both take one path. */
export interface IntentSettler {
  cancelByKey(ownerId: string, target: KeyTarget): Promise<CancelResult>;
  editByKey(ownerId: string, target: KeyTarget, text: string): Promise<'edited' | 'pending'>;
}

/** Where own-message actions and their settlements report what changed. */
export type OwnChanges = Readonly<{
  messageChanged(ownerId: string, key: string, conversationId: string): void;
  conversationChanged(ownerId: string, conversationId: string): void;
  notify(code: ErrorCode, options: Readonly<{ messageKey?: string }>): void;
}>;

export type IntentsOptions = Readonly<{
  db: DB;
  writes: WriteQueue;
  link: ServerLink;
  clock: Clock;
  random: () => number;
  timing: RetryTiming;
  log: Logger;
  engine: DeliveryEngine;
  events: CoreEventBus;
  changes: OwnChanges;
}>;

/** Codes after which the server is asked again later; any other refuses the intent. */
function isWorthRetrying(code: ErrorCode): boolean {
  return ERROR_INFO[code].retryable || code === 'NOT_SIGNED_IN' || code === 'UNAUTHORIZED';
}

export class Intents {
  private running: Promise<void> | null = null;
  private again = false;
  private retryTimer: TimerHandle | null = null;
  private failures = 0;
  private stopped = false;
  /** The key whose settlement request is out: it can no longer be undone. */
  private settling: string | null = null;

  constructor(
    private readonly o: IntentsOptions,
    private readonly settler: IntentSettler,
  ) {}

  /** Saves the user's cancel or edit of a row that may be on the server; settled at once when connected. */
  request(ownerId: string, row: OutboxRecord, kind: IntentKind, text: string | null): void {
    const { db, writes, link, clock, log, changes } = this.o;
    if (this.settling === row.key) throw new AppError('CONFLICT', 'The server is being asked about this message right now; try again in a moment.');
    writes.flush();
    const saved = saveIntent(db, {
      ownerId,
      key: row.key,
      conversationId: row.conversationId,
      kind,
      text,
      currentText: row.text,
      currentState: row.state,
      at: clock.now(),
    });
    if (!saved) throw new AppError('NOT_FOUND', 'That message is no longer waiting: it was sent or withdrawn already.');
    log.info(`outbox: ${kind} saved until the server can be asked`);
    changes.messageChanged(ownerId, row.key, row.conversationId);
    changes.conversationChanged(ownerId, row.conversationId);
    if (link.capabilities() !== null) void this.settleAll(ownerId);
  }

  /** Takes an intent back before it is settled: the row is as it was, and goes out again. */
  undo(ownerId: string, key: string): KeyTarget {
    const { db, writes, engine, changes, log } = this.o;
    if (this.settling === key) throw new AppError('CONFLICT', 'The server is being asked about this message right now; it can no longer be undone.');
    writes.flush();
    const intent = getIntent(db, ownerId, key);
    if (!intent || !releaseIntent(db, ownerId, key, intent.previousText)) throw new AppError('NOT_FOUND', 'Nothing is waiting to be undone for that message.');
    log.info(`outbox: saved ${intent.kind} undone`);
    engine.reload(intent.conversationId);
    changes.messageChanged(ownerId, key, intent.conversationId);
    changes.conversationChanged(ownerId, intent.conversationId);
    return intent;
  }

  /** Every saved intent of this user, oldest first; never throws. At each connect and after a failure's wait. */
  settleAll(ownerId: string): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    const run = this.run(ownerId)
      .catch((error: unknown) => this.o.log.error('outbox: settling saved intents failed', error))
      .finally(() => {
        this.running = null;
      });
    this.running = run;
    return run;
  }

  stop(): void {
    this.stopped = true;
    if (this.retryTimer) this.o.clock.clearTimeout(this.retryTimer);
    this.retryTimer = null;
  }

  private async run(ownerId: string): Promise<void> {
    const { db, writes, link } = this.o;
    do {
      this.again = false;
      writes.flush();
      for (const intent of listIntents(db, ownerId)) {
        if (this.stopped || link.capabilities() === null || link.currentUserId() !== ownerId) return;
        if (!(await this.settle(intent))) {
          this.retryLater(ownerId);
          return;
        }
      }
    } while (this.again && !this.stopped);
    this.failures = 0;
  }

  /** False when the server could not be asked now (asked again later). */
  private async settle(intent: IntentRecord): Promise<boolean> {
    const { ownerId, key } = intent;
    this.settling = key;
    try {
      if (intent.kind === 'cancel') {
        const result = await this.settler.cancelByKey(ownerId, intent);
        if (this.stopped) return true;
        this.finish(intent, () => dropIntent(this.o.db, ownerId, key), result.outcome === 'delivered' ? 'delivered' : 'withdrawn', null);
        return true;
      }
      const text = intent.text ?? intent.previousText;
      const outcome = await this.settler.editByKey(ownerId, intent, text);
      if (this.stopped) return true;
      if (outcome === 'edited') this.finish(intent, () => dropIntent(this.o.db, ownerId, key), 'edited', null);
      // Not landed yet: the server keeps the new text for it, and the lane sends it again as before.
      else this.finish(intent, () => releaseIntent(this.o.db, ownerId, key, text), 'replaced', null);
      return true;
    } catch (error) {
      if (this.stopped) return true;
      const code: ErrorCode = error instanceof AppError ? error.code : 'UNKNOWN_ERROR';
      this.o.writes.flush();
      if (isWorthRetrying(code)) {
        noteIntentFailure(this.o.db, ownerId, key, code);
        this.o.log.warn(`outbox: saved ${intent.kind} not settled yet (${code}); asking again later`);
        return false;
      }
      // Refused for good (a server that cannot settle by key, another conversation's key, not a
      // member, a message deleted meanwhile): the row is as it was, and the user is told why.
      this.o.log.warn(`outbox: saved ${intent.kind} refused by the server (${code})`);
      this.finish(intent, () => releaseIntent(this.o.db, ownerId, key, intent.previousText), 'refused', code);
      this.o.changes.notify(code, { messageKey: key });
      return true;
    } finally {
      this.settling = null;
    }
  }

  private finish(intent: IntentRecord, write: () => unknown, outcome: IntentSettled['outcome'], code: ErrorCode | null): void {
    const { writes, engine, changes, events, log } = this.o;
    writes.flush();
    write();
    if (outcome === 'replaced' || outcome === 'refused') engine.reload(intent.conversationId);
    log.info(`outbox: saved ${intent.kind} settled (${outcome})`);
    changes.messageChanged(intent.ownerId, intent.key, intent.conversationId);
    changes.conversationChanged(intent.ownerId, intent.conversationId);
    events.emit('messages:intentSettled', { key: intent.key, conversationId: intent.conversationId, kind: intent.kind, outcome, code });
  }

  private retryLater(ownerId: string): void {
    if (this.stopped || this.retryTimer !== null) return;
    // The lanes' backoff, never shorter than its base: a server that keeps failing is not hammered.
    const delay = Math.max(this.o.timing.retryBaseMs, retryDelay(this.failures, this.o.timing, this.o.random, null));
    this.failures += 1;
    this.retryTimer = this.o.clock.setTimeout(() => {
      this.retryTimer = null;
      // Offline, the next connect settles them anyway.
      if (this.o.link.capabilities() !== null && this.o.link.currentUserId() === ownerId) void this.settleAll(ownerId);
    }, delay);
  }
}
