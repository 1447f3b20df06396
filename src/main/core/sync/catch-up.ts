/**
 * Conversations whose resync failed (timeout, disconnect mid-sync, an error answer) are "catching
 * up": their sync is tried again with backoff until one succeeds, and the window is told which
 * ones, so the thread can say "catching up…" instead of looking complete while it is not.
 */
import type { SyncStatus } from '../../../shared/own-messages';
import type { Clock, TimerHandle } from '../clock';
import type { Logger } from '../logging';
import type { Metrics } from '../metrics';
import { backoffDelay, type RetryTiming } from '../outbox/policy';

export type CatchUpOptions = Readonly<{
  clock: Clock;
  random: () => number;
  timing: RetryTiming;
  metrics: Metrics;
  log: Logger;
  onStatus: (status: SyncStatus) => void;
}>;

type Behind = { since: number; failures: number; timer: TimerHandle | null };

export class CatchUp {
  private readonly behind = new Map<string, Behind>();
  private attempts = 0;
  private failures = 0;

  constructor(private readonly o: CatchUpOptions) {}

  status(): SyncStatus {
    return { catchingUp: [...this.behind.keys()], attempts: this.attempts, failures: this.failures };
  }

  /** A resync is starting. */
  attempted(): void {
    this.attempts += 1;
  }

  /** It reached the server's head: the conversation is up to date. */
  succeeded(conversationId: string): void {
    const entry = this.behind.get(conversationId);
    if (!entry) return;
    if (entry.timer) this.o.clock.clearTimeout(entry.timer);
    this.behind.delete(conversationId);
    this.o.log.info(`sync: caught up after ${entry.failures} failed attempt(s)`);
    this.report();
  }

  /** It failed: `retry` runs after a backoff that grows with each failure of this conversation. */
  failed(conversationId: string, retry: () => void): void {
    this.failures += 1;
    const now = this.o.clock.now();
    const entry = this.behind.get(conversationId) ?? { since: now, failures: 0, timer: null };
    if (entry.timer) this.o.clock.clearTimeout(entry.timer);
    // At least the base: a server that times out must not be asked again at once.
    const delay = Math.max(this.o.timing.retryBaseMs, backoffDelay(entry.failures, this.o.timing, this.o.random));
    entry.failures += 1;
    entry.timer = this.o.clock.setTimeout(() => {
      entry.timer = null;
      this.o.metrics.resyncRetry();
      retry();
    }, delay);
    this.behind.set(conversationId, entry);
    this.o.log.info(`sync: failed ${entry.failures} time(s); again in ${delay} ms`);
    this.report();
  }

  /** Disconnected or signed out: the next connect resyncs everything anyway. */
  clear(): void {
    for (const entry of this.behind.values()) if (entry.timer) this.o.clock.clearTimeout(entry.timer);
    const had = this.behind.size > 0;
    this.behind.clear();
    if (had) this.report();
  }

  private report(): void {
    const now = this.o.clock.now();
    let oldest = now;
    for (const entry of this.behind.values()) oldest = Math.min(oldest, entry.since);
    this.o.metrics.resyncBehind(this.behind.size, (now - oldest) / 1000);
    this.o.onStatus(this.status());
  }
}
