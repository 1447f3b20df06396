import type { IpcEventLike, IpcMainLike } from '../../src/main/ipc';

type Listener = (event: IpcEventLike, ...args: unknown[]) => Promise<unknown>;

/** An in-memory ipcMain: the same registration path as Electron's, callable from tests. */
export class FakeIpcMain implements IpcMainLike {
  readonly listeners = new Map<string, Listener>();

  handle(channel: string, listener: Listener): void {
    if (this.listeners.has(channel)) throw new Error(`second handler for ${channel}`);
    this.listeners.set(channel, listener);
  }

  removeHandler(channel: string): void {
    this.listeners.delete(channel);
  }

  invoke(channel: string, payload: unknown, frame: IpcEventLike['senderFrame']): Promise<unknown> {
    const listener = this.listeners.get(channel);
    if (!listener) throw new Error(`no handler for ${channel}`);
    return listener({ senderFrame: frame }, payload);
  }
}

export const TRUSTED_URL = 'app://nova/index.html';
export const trustedFrame = { url: TRUSTED_URL, parent: null };
