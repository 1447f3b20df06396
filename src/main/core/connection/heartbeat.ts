/** The heartbeat's clockwork: one probe in flight, its deadline, and the next ping's time. Liveness decides what a timeout means. */
import type { Clock, TimerHandle } from '../clock';

export type HeartbeatHandlers = Readonly<{
  /** Sends one probe (JSON `ping` or a protocol ping); false when there is no live socket. */
  sendPing: (sentAt: number) => boolean;
  /** No pong within the timeout: the link is presumed dead (half-open, blackholed, asleep). */
  onTimeout: (waitedMs: number) => void;
  onRoundTrip: (rttMs: number) => void;
}>;

/**
 * One probe in flight at a time. The next ping is due `interval` after the previous one was
 * sent, so a link that dies right after a pong is declared dead within interval + timeout.
 * Nova's web client closed with 1000 on timeout and reset its counter on open (§4.5), which made
 * a hot loop; here the caller terminates with 4008 and the backoff counter survives.
 */
export class Heartbeat {
  private nextPing: TimerHandle | null = null;
  private deadline: TimerHandle | null = null;
  private sentAt: number | null = null;
  private running = false;

  constructor(
    private readonly clock: Clock,
    private readonly handlers: HeartbeatHandlers,
    private intervalMs: number,
    private timeoutMs: number,
  ) {}

  get isRunning(): boolean {
    return this.running;
  }

  get isAwaitingPong(): boolean {
    return this.sentAt !== null;
  }

  start(intervalMs = this.intervalMs, timeoutMs = this.timeoutMs): void {
    this.stop();
    this.intervalMs = intervalMs;
    this.timeoutMs = timeoutMs;
    this.running = true;
    this.scheduleNext(this.intervalMs);
  }

  /** An immediate probe with its own timeout (after resume), unless one is already in flight. */
  probeNow(timeoutMs: number): void {
    if (!this.running) return;
    if (this.sentAt !== null) {
      // A probe is already out: shorten its deadline rather than stacking a second one.
      this.armDeadline(timeoutMs);
      return;
    }
    this.clearNext();
    this.send(timeoutMs);
  }

  /** Called for every pong (JSON `pong` or protocol pong). Unsolicited pongs are ignored. */
  pong(): void {
    if (this.sentAt === null) return;
    const rtt = Math.max(0, this.clock.now() - this.sentAt);
    const sentAt = this.sentAt;
    this.sentAt = null;
    this.clearDeadline();
    this.handlers.onRoundTrip(rtt);
    if (this.running && this.nextPing === null) {
      this.scheduleNext(Math.max(0, sentAt + this.intervalMs - this.clock.now()));
    }
  }

  stop(): void {
    this.running = false;
    this.sentAt = null;
    this.clearNext();
    this.clearDeadline();
  }

  private scheduleNext(delayMs: number): void {
    this.clearNext();
    this.nextPing = this.clock.setTimeout(() => {
      this.nextPing = null;
      this.send(this.timeoutMs);
    }, delayMs);
  }

  private send(timeoutMs: number): void {
    if (!this.running) return;
    const at = this.clock.now();
    if (!this.handlers.sendPing(at)) {
      // No socket to probe: nothing to time out; the owner restarts us on the next connect.
      this.stop();
      return;
    }
    this.sentAt = at;
    this.armDeadline(timeoutMs);
  }

  private armDeadline(timeoutMs: number): void {
    this.clearDeadline();
    const sentAt = this.sentAt ?? this.clock.now();
    this.deadline = this.clock.setTimeout(() => {
      this.deadline = null;
      const waited = this.clock.now() - sentAt;
      this.stop();
      this.handlers.onTimeout(waited);
    }, timeoutMs);
  }

  private clearNext(): void {
    if (this.nextPing) this.clock.clearTimeout(this.nextPing);
    this.nextPing = null;
  }

  private clearDeadline(): void {
    if (this.deadline) this.clock.clearTimeout(this.deadline);
    this.deadline = null;
  }
}
