/**
 * The core's outward events: a typed bus that delivers at once, in emit order, and the one
 * coalescing window (`ChangeWindow`) the change producers batch through.
 */
import type { EventChannel, EventPayload, Unsubscribe } from '../../shared/contract';
import type { Clock, TimerHandle } from './clock';

type Listener<E extends EventChannel> = (payload: EventPayload<E>) => void;

/** The core's outward events, typed by the contract's event table. */
export interface CoreEvents {
  on<E extends EventChannel>(channel: E, listener: Listener<E>): Unsubscribe;
}

export class CoreEventBus implements CoreEvents {
  private readonly listeners = new Map<EventChannel, Set<(payload: never) => void>>();

  on<E extends EventChannel>(channel: E, listener: Listener<E>): Unsubscribe {
    let set = this.listeners.get(channel);
    if (!set) {
      set = new Set();
      this.listeners.set(channel, set);
    }
    set.add(listener as (payload: never) => void);
    return () => {
      set.delete(listener as (payload: never) => void);
    };
  }

  emit<E extends EventChannel>(channel: E, payload: EventPayload<E>): void {
    const set = this.listeners.get(channel);
    if (!set) return;
    for (const listener of [...set]) (listener as Listener<E>)(payload);
  }

  /** Listeners on every channel: a stopped core has none left (the leak test counts them). */
  listenerCount(): number {
    let count = 0;
    for (const set of this.listeners.values()) count += set.size;
    return count;
  }

  clear(): void {
    this.listeners.clear();
  }
}

/**
 * The one place change events are coalesced. A producer marks that something changed; at the
 * end of the window (`eventBatchMs` after the first mark) every marked producer builds its events
 * once, so a flood of incoming messages becomes one IPC call and one React update per window.
 * It runs on the core's clock, like every other delay of the engine.
 */
export class ChangeWindow {
  private readonly marked = new Set<() => void>();
  private timer: TimerHandle | null = null;
  private isDisposed = false;

  constructor(
    private readonly clock: Clock,
    private readonly batchMs: number,
  ) {}

  /** `flush` runs once at the end of the current window, however often it is marked in it. */
  mark(flush: () => void): void {
    if (this.isDisposed) return;
    this.marked.add(flush);
    this.timer ??= this.clock.setTimeout(() => this.run(), this.batchMs);
  }

  /** A producer that stops takes back its mark: its flush does not run (the window's timer ends with the last mark). */
  unmark(flush: () => void): void {
    this.marked.delete(flush);
    if (this.marked.size > 0 || this.timer === null) return;
    this.clock.clearTimeout(this.timer);
    this.timer = null;
  }

  /** Stopping: what is still marked is dropped, and nothing runs later. */
  dispose(): void {
    this.isDisposed = true;
    if (this.timer) this.clock.clearTimeout(this.timer);
    this.timer = null;
    this.marked.clear();
  }

  private run(): void {
    this.timer = null;
    const flushes = [...this.marked];
    this.marked.clear();
    for (const flush of flushes) flush();
  }
}
