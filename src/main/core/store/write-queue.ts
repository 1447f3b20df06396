import type { Statement } from 'better-sqlite3';
import type { DB } from './database';

/**
 * Groups small writes that need not be durable one by one (acks, incoming messages, attempt
 * records) into one transaction every few milliseconds, committed with `synchronous = NORMAL`:
 * in WAL mode that survives a process crash and skips the fsync, and the next FULL commit (an
 * enqueue) syncs it too, since the WAL is written in order. Losing a batch to a power cut is
 * harmless: an ack not recorded means a resend with the same idempotency key, which the server
 * answers as a duplicate; an incoming message is synced again.
 *
 * A write that throws must not take the others with it: the batch is then replayed one write per
 * transaction, and only the failing write is lost (and reported). Reactions registered with
 * `afterCommit` belong to the write that registered them and run only if it committed.
 */
export class WriteQueue {
  private pending: (() => void)[] = [];
  /** Reactions of the write running now; null outside a write. */
  private collecting: (() => void)[] | null = null;
  private readonly after: (() => void)[] = [];
  private scheduled: NodeJS.Timeout | null = null;
  private closed = false;
  // Prepared once: a batch commits every few milliseconds while draining.
  private readonly relaxed: Statement;
  private readonly strict: Statement;

  constructor(
    private readonly db: DB,
    private readonly onError: (error: unknown) => void,
    // Readers commit the batch first anyway; the timer only bounds how long writes wait in
    // memory (a crash loses at most this much: acks are resent as duplicates, messages resynced).
    private readonly delayMs = 16,
  ) {
    this.relaxed = db.prepare('PRAGMA synchronous = NORMAL');
    this.strict = db.prepare('PRAGMA synchronous = FULL');
  }

  push(write: () => void): void {
    if (this.closed) return;
    this.pending.push(write);
    this.scheduled ??= setTimeout(() => this.flush(), this.delayMs);
  }

  /** Runs once the current write has committed: reactions that may write again. */
  afterCommit(callback: () => void): void {
    if (this.collecting) this.collecting.push(callback);
    else this.after.push(callback);
  }

  /** Runs what is queued now; readers call it so they always see the latest state. */
  flush(): void {
    if (this.scheduled) {
      clearTimeout(this.scheduled);
      this.scheduled = null;
    }
    if (this.pending.length === 0 || this.closed) return;
    const batch = this.pending;
    this.pending = [];
    let reactions: (() => void)[] = [];
    this.relaxed.run();
    try {
      try {
        this.db.transaction(() => {
          for (const write of batch) this.run(write, reactions);
        })();
      } catch {
        // Rolled back as a whole: replay each write alone so only the bad one is lost.
        reactions = [];
        for (const write of batch) {
          const own: (() => void)[] = [];
          try {
            this.db.transaction(() => this.run(write, own))();
            reactions.push(...own);
          } catch (error) {
            this.onError(error);
          }
        }
      }
    } finally {
      this.collecting = null;
      this.strict.run();
    }
    reactions.push(...this.after.splice(0));
    for (const callback of reactions) callback();
  }

  close(): void {
    this.flush();
    this.closed = true;
  }

  private run(write: () => void, into: (() => void)[]): void {
    this.collecting = into;
    try {
      write();
    } finally {
      this.collecting = null;
    }
  }
}
