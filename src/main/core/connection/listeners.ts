/** A set of listeners of one kind: subscribe, notify in order, drop them all. */
import type { Unsubscribe } from '../../../shared/contract';

export class Listeners<T> {
  private readonly set = new Set<(value: T) => void>();

  get size(): number {
    return this.set.size;
  }

  add(listener: (value: T) => void): Unsubscribe {
    this.set.add(listener);
    return () => {
      this.set.delete(listener);
    };
  }

  /** Each listener subscribed now, even if one of them unsubscribes another. */
  emit(value: T): void {
    for (const listener of [...this.set]) listener(value);
  }

  clear(): void {
    this.set.clear();
  }
}
