import type { DB } from './database';

/**
 * Groups small writes that need not be durable one by one (acks, incoming messages) into one
 * transaction per turn of the event loop: one fsync for a burst instead of one per message.
 * Losing a batch in a crash is harmless: an ack not recorded means a resend with the same
 * idempotency key, which the server answers as a duplicate; an incoming message is synced again.
 */
export class WriteQueue {
  private pending: (() => void)[] = [];
  private after: (() => void)[] = [];
  private scheduled: NodeJS.Immediate | null = null;
  private closed = false;

  constructor(
    private readonly db: DB,
    private readonly onError: (error: unknown) => void,
  ) {}

  push(write: () => void): void {
    if (this.closed) return;
    this.pending.push(write);
    this.scheduled ??= setImmediate(() => this.flush());
  }

  /** Runs once the current batch has committed (or failed): reactions that may write again. */
  afterCommit(callback: () => void): void {
    this.after.push(callback);
  }

  /** Runs what is queued now; readers call it so they always see the latest state. */
  flush(): void {
    if (this.scheduled) {
      clearImmediate(this.scheduled);
      this.scheduled = null;
    }
    if (this.pending.length === 0 || this.closed) return;
    const batch = this.pending;
    this.pending = [];
    try {
      this.db.transaction(() => {
        for (const write of batch) write();
      })();
    } catch (error) {
      this.onError(error);
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
