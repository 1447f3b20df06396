/**
 * One lifecycle idiom for the core (VS Code's Disposable, our own code). Whatever a service
 * starts that must end (a timer, a listener, a socket, another service) is added to a
 * `DisposableStore` where it is made; the store disposes in reverse order of adding, so the stop
 * order is declared once, by the order things are built, and cannot drift from it.
 */

export interface Disposable {
  dispose(): void | Promise<void>;
}

export function toDisposable(dispose: () => void | Promise<void>): Disposable {
  return { dispose };
}

export class DisposableStore implements Disposable {
  private readonly items: Disposable[] = [];
  private disposing: Promise<void> | null = null;

  constructor(private readonly onError: (error: unknown) => void = () => undefined) {}

  get isDisposed(): boolean {
    return this.disposing !== null;
  }

  /** Adds `item`; added after the store was disposed, it is disposed at once (nothing outlives its owner). */
  add<T extends Disposable>(item: T): T {
    if (this.disposing) void this.disposeOne(item);
    else this.items.push(item);
    return item;
  }

  /** A timer that is cleared when the store is disposed. */
  setInterval(callback: () => void, ms: number): Disposable {
    const handle = setInterval(callback, ms);
    return this.add(toDisposable(() => clearInterval(handle)));
  }

  /**
   * Disposes everything, newest first, one after the other (an async dispose is awaited before
   * the next starts). A dispose that throws is reported and the rest still run. Safe to call twice.
   */
  dispose(): Promise<void> {
    this.disposing ??= (async () => {
      for (const item of this.items.splice(0).reverse()) await this.disposeOne(item);
    })();
    return this.disposing;
  }

  private async disposeOne(item: Disposable): Promise<void> {
    try {
      await item.dispose();
    } catch (error) {
      this.onError(error);
    }
  }
}
