import type { Clock, TimerHandle } from '../../src/main/core/clock';

/**
 * The controllable clock every test uses. By default it is virtual: time only moves when the
 * test says, firing due timers in order, so timer logic is exact and instant. With
 * `realTimers`, timers run on the machine's clock (for a core talking to a real server) and
 * `advance` only moves `now()`: a simulated sleep or a skewed wall clock, nothing fires early.
 */
export class ManualClock implements Clock {
  private time: number;
  private offset = 0;
  private nextId = 1;
  private readonly timers = new Map<number, { at: number; callback: () => void }>();
  private readonly realTimers: boolean;

  constructor(options: Readonly<{ start?: number; realTimers?: boolean }> = {}) {
    this.time = options.start ?? 1_000_000;
    this.realTimers = options.realTimers ?? false;
  }

  now(): number {
    return this.realTimers ? Date.now() + this.offset : this.time;
  }

  setTimeout(callback: () => void, ms: number): TimerHandle {
    if (this.realTimers) return { id: setTimeout(callback, ms) };
    const id = this.nextId++;
    this.timers.set(id, { at: this.time + Math.max(0, ms), callback });
    return { id };
  }

  clearTimeout(handle: TimerHandle): void {
    if (this.realTimers) clearTimeout(handle.id as ReturnType<typeof setTimeout>);
    else this.timers.delete(handle.id as number);
  }

  /** Virtual timers not yet fired (always 0 with real timers). */
  pending(): number {
    return this.timers.size;
  }

  advance(ms: number): void {
    if (this.realTimers) {
      this.offset += ms;
      return;
    }
    const target = this.time + ms;
    for (let guard = 0; guard < 100_000; guard++) {
      let dueId: number | null = null;
      let dueAt = Number.POSITIVE_INFINITY;
      for (const [id, timer] of this.timers) {
        if (timer.at <= target && timer.at < dueAt) {
          dueAt = timer.at;
          dueId = id;
        }
      }
      if (dueId === null) break;
      const timer = this.timers.get(dueId);
      this.timers.delete(dueId);
      this.time = dueAt;
      timer?.callback();
    }
    this.time = target;
  }
}
