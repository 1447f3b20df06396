/**
 * Electron's event objects as the fake hands them to listeners: `preventDefault()` and
 * `defaultPrevented`, the two members the shell uses.
 */
import { EventEmitter } from 'node:events';

export class FakeEvent {
  defaultPrevented = false;

  preventDefault(): void {
    this.defaultPrevented = true;
  }
}

/** Emits `name` with a fresh event first, like Electron; returns whether a listener prevented it. */
export function emitPreventable(emitter: EventEmitter, name: string, ...args: unknown[]): boolean {
  const event = new FakeEvent();
  emitter.emit(name, event, ...args);
  return event.defaultPrevented;
}

/** The message Electron's native bindings throw for a call on a destroyed object. */
export const DESTROYED = 'Object has been destroyed';

/** A native-backed object: every method throws like Electron's once it is destroyed. */
export class Destroyable extends EventEmitter {
  protected destroyed = false;

  isDestroyed(): boolean {
    return this.destroyed;
  }

  protected alive(): void {
    if (this.destroyed) throw new TypeError(DESTROYED);
  }
}

/** Resolves after pending I/O callbacks: where Electron would hop through its message loop. */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
