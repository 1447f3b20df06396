import type { EventChannel, EventPayload, Unsubscribe } from '../../shared/contract';

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

  clear(): void {
    this.listeners.clear();
  }
}
