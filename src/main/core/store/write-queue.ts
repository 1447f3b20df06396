import type { DB } from './database';

/**
 * Groups small writes that need not be durable one by one (acks, incoming messages, attempt
 * records) into one transaction every few milliseconds, committed with `synchronous = NORMAL`:
 * in WAL mode that survives a process crash and skips the fsync, and the next FULL commit (an
 * enqueue) syncs it too, since the WAL is written in order. Losing a batch to a power cut is
 * harmless: an ack not recorded means a resend with the same idempotency key, which the server
 * answers as a duplicate; an incoming message is synced again.
 */
export class WriteQueue {
  private pending: (() => void)[] = [];
  private after: (() => void)[] = [];
  private scheduled: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(
    private readonly db: DB,
    private readonly onError: (error: unknown) => void,
    private readonly delayMs = 4,
  ) {}

  push(write: () => void): void {
    if (this.closed) return;
    this.pending.push(write);
    this.scheduled ??= setTimeout(() => this.flush(), this.delayMs);
  }

  /** Runs once the current batch has committed (or failed): reactions that may write again. */
  afterCommit(callback: () => void): void {
    this.after.push(callback);
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
    try {
      this.db.pragma('synchronous = NORMAL');
      this.db.transaction(() => {
        for (const write of batch) write();
      })();
    } catch (error) {
      this.onError(error);
    } finally {
      this.db.pragma('synchronous = FULL');
    }
    const after = this.after;
    this.after = [];
    for (const callback of after) callback();
  }

  close(): void {
    this.flush();
    this.closed = true;
  }
}
