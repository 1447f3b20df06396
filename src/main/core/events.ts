import type { EventChannel, EventPayload, Unsubscribe } from '../../shared/contract';

type Listener<E extends EventChannel> = (payload: EventPayload<E>) => void;

/** The core's outward events, typed by the contract's event table. */
export interface CoreEvents {
  on<E extends EventChannel>(channel: E, listener: Listener<E>): Unsubscribe;
}

type Batched = 'messages:changed' | 'outbox:changed' | 'conversations:changed';

/** Upsert lists keyed by identity: within one window only the latest version of each row travels. */
const MERGERS: { [E in Batched]: (pending: EventPayload<E> | undefined, next: EventPayload<E>) => EventPayload<E> } = {
  'messages:changed': (pending, next) => ({ messages: mergeBy(pending?.messages, next.messages, (m) => m.key) }),
  'outbox:changed': (pending, next) => ({ items: mergeBy(pending?.items, next.items, (i) => i.key) }),
  'conversations:changed': (pending, next) => ({
    conversations: mergeBy(pending?.conversations, next.conversations, (c) => c.id),
  }),
};

function mergeBy<T>(pending: readonly T[] | undefined, next: readonly T[], keyOf: (item: T) => string): T[] {
  if (!pending || pending.length === 0) return [...next];
  const byKey = new Map<string, T>();
  for (const item of pending) byKey.set(keyOf(item), item);
  for (const item of next) byKey.set(keyOf(item), item);
  return [...byKey.values()];
}

function isBatched(channel: EventChannel): channel is Batched {
  return channel in MERGERS;
}

export type CoreEventBusOptions = Readonly<{
  /**
   * Coalescing window for the upsert events (messages, outbox, conversations): a flood of
   * incoming messages becomes one IPC call and one React update per window. 0 delivers at once.
   */
  batchMs?: number;
}>;

/**
 * Typed bus. Upsert events are coalesced: at most one batch per `batchMs`; every other event is delivered at once,
 * after any pending batch, so listeners see events in the order they were emitted. The window
 * runs on real timers, not the injected clock: a test that freezes its clock to drive backoff
 * must not also freeze message delivery.
 */
export class CoreEventBus implements CoreEvents {
  private readonly listeners = new Map<EventChannel, Set<(payload: never) => void>>();
  private readonly batchMs: number;
  private readonly pending = new Map<Batched, EventPayload<Batched>>();
  private timer: ReturnType<typeof setTimeout> | null = null;
  /** When the last batch left (real time, like the window itself). */
  private lastFlushAt = Number.NEGATIVE_INFINITY;

  constructor(options: CoreEventBusOptions = {}) {
    this.batchMs = options.batchMs ?? 0;
  }

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
    if (this.batchMs > 0 && isBatched(channel)) {
      const merge = MERGERS[channel] as (p: EventPayload<E> | undefined, n: EventPayload<E>) => EventPayload<E>;
      this.pending.set(channel, merge(this.pending.get(channel) as EventPayload<E> | undefined, payload) as EventPayload<Batched>);
      // A throttle, not a debounce: the first change after a quiet window leaves on the next turn
      // (with whatever else that turn emits), later ones wait for the window to end. The rate
      // stays one batch per window, and a producer that already batches (delivery flushes its
      // changes every eventBatchMs) is not held for a second window on top of its own.
      this.timer ??= setTimeout(() => this.flush(), Math.max(0, this.lastFlushAt + this.batchMs - Date.now()));
      return;
    }
    this.flush();
    this.deliver(channel, payload);
  }

  /** Delivers whatever is waiting in the coalescing window now. */
  flush(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    if (this.pending.size === 0) return;
    this.lastFlushAt = Date.now();
    const batches = [...this.pending];
    this.pending.clear();
    for (const [channel, payload] of batches) this.deliver(channel, payload);
  }

  clear(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.pending.clear();
    this.listeners.clear();
  }

  private deliver<E extends EventChannel>(channel: E, payload: EventPayload<E>): void {
    const set = this.listeners.get(channel);
    if (!set) return;
    for (const listener of [...set]) (listener as Listener<E>)(payload);
  }
}
