/**
 * What the outbox remembers of each attempt: the row's new state, its attempt history and error,
 * the metrics that count attempts and failures, and the server's client_seq counter. Writes go
 * through the write queue; every change is reported to the change batch.
 */
import { describeError, type ErrorCode } from '../../../shared/errors';
import { newErrorId } from '../errors';
import type { OutboxState } from '../store/messages';
import { recordAttempt, setAckedClientSeq, type AttemptRecord, type OutboxRecord } from '../store/outbox';
import type { EngineOptions } from './engine';
import { isBudgetSpent } from './policy';

export type AttemptError = Readonly<{ code: ErrorCode; message: string; id: string }>;

export class AttemptRecords {
  private readonly ackedClientSeqs = new Map<string, { ownerId: string; conversationId: string; acked: number }>();

  constructor(private readonly o: EngineOptions) {}

  record(
    row: OutboxRecord,
    state: OutboxState,
    at: number,
    nextAttemptAt: number | null,
    transport: 'ws' | 'rest',
    outcome: AttemptRecord['outcome'],
    error: AttemptError | null,
    countsAsAttempt: boolean,
    waitMs: number | null = null,
  ): void {
    // Every attempt that did not end in an ack is recorded here, and so is every give-up.
    if (countsAsAttempt) this.o.metrics.sendAttempt(transport, outcome);
    if (error) this.o.metrics.deliveryFailed(error.code, state === 'failed' || state === 'expired');
    this.o.writes.push(() =>
      recordAttempt(this.o.db, {
        key: row.key,
        state,
        at,
        nextAttemptAt,
        attempt: {
          at,
          transport,
          outcome,
          code: error?.code ?? null,
          errorId: error?.id ?? null,
          waitMs,
          ...(state === 'confirming' || row.state === 'confirming' ? { mayHaveLanded: true } : {}),
        },
        error,
        countsAsAttempt,
      }),
    );
    this.o.sink.messageChanged(row.ownerId, row.key, row.conversationId);
  }

  /** True (and the row expired) when its retry budget is spent. */
  expireIfSpent(row: OutboxRecord, now: number): boolean {
    if (!isBudgetSpent(row.firstAttemptAt, now, this.o.timing.retryBudgetMs)) return false;
    this.expire(row, now);
    return true;
  }

  expire(row: OutboxRecord, now: number): void {
    this.record(row, 'expired', now, null, 'ws', 'failed', { code: 'MESSAGE_EXPIRED', message: describeError('MESSAGE_EXPIRED'), id: newErrorId() }, false);
    this.o.sink.notify('MESSAGE_EXPIRED', { messageKey: row.key });
  }

  /**
   * The server's counter for this lane, written once per batch whatever the number of acks in
   * it: only the highest number matters, and a stale one only costs a renumbering.
   */
  noteAckedClientSeq(ownerId: string, conversationId: string, clientSeq: number): void {
    const id = `${ownerId}\u0000${conversationId}`;
    const entry = this.ackedClientSeqs.get(id);
    if (entry) {
      entry.acked = Math.max(entry.acked, clientSeq);
      return;
    }
    this.ackedClientSeqs.set(id, { ownerId, conversationId, acked: clientSeq });
    if (this.ackedClientSeqs.size > 1) return;
    // Taken once: a batch that failed is replayed write by write, and must find them again.
    let taken: { ownerId: string; conversationId: string; acked: number }[] | null = null;
    this.o.writes.push(() => {
      if (taken === null) {
        taken = [...this.ackedClientSeqs.values()];
        this.ackedClientSeqs.clear();
      }
      for (const pending of taken) setAckedClientSeq(this.o.db, pending.ownerId, pending.conversationId, pending.acked);
    });
  }
}
