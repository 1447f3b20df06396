/**
 * What the OS says about sleep, the screen and the network, forwarded to the core.
 *
 * Events where Electron has them (powerMonitor): suspend, resume, lock-screen, unlock-screen,
 * shutdown. The network is polled: the main process has no online/offline event (the renderer's
 * `navigator.onLine` events exist, but the window may be closed or throttled in the background),
 * so `net.isOnline()` is read every ONLINE_POLL_MS and only a change is reported.
 *
 * Unlock re-reads the network and reports it: for the connection that is a cheap check that
 * the link survived while nobody looked (a probe if connected, a dial if it was waiting).
 */
import type { SystemEvent } from '../core';

export const ONLINE_POLL_MS = 5_000;

export type PowerMonitorLike = {
  on(event: 'suspend' | 'resume' | 'lock-screen' | 'unlock-screen' | 'shutdown', listener: () => void): unknown;
  off(event: 'suspend' | 'resume' | 'lock-screen' | 'unlock-screen' | 'shutdown', listener: () => void): unknown;
};

export type SystemEventPorts = Readonly<{
  powerMonitor: PowerMonitorLike;
  isOnline(): boolean;
  notify(event: SystemEvent): void;
  onLockChange(locked: boolean): void;
  /** The OS is shutting down or logging out (Linux and macOS; Windows reports it per window). */
  onShutdown(): void;
  setInterval(callback: () => void, ms: number): { unref?(): unknown };
  clearInterval(handle: unknown): void;
}>;

/** Wires the events and starts the poll; the returned function undoes both. */
export function wireSystemEvents(ports: SystemEventPorts): () => void {
  let wasOnline = ports.isOnline();
  if (!wasOnline) ports.notify('offline');
  const checkNetwork = (always: boolean): void => {
    const isOnline = ports.isOnline();
    if (always || isOnline !== wasOnline) ports.notify(isOnline ? 'online' : 'offline');
    wasOnline = isOnline;
  };
  const listeners = {
    suspend: () => ports.notify('suspend'),
    resume: () => {
      ports.notify('resume');
      checkNetwork(false);
    },
    'lock-screen': () => ports.onLockChange(true),
    'unlock-screen': () => {
      ports.onLockChange(false);
      checkNetwork(true);
    },
    shutdown: () => ports.onShutdown(),
  } as const;
  for (const [event, listener] of Object.entries(listeners) as [keyof typeof listeners, () => void][]) {
    ports.powerMonitor.on(event, listener);
  }
  const poll = ports.setInterval(() => checkNetwork(false), ONLINE_POLL_MS);
  poll.unref?.();
  return () => {
    ports.clearInterval(poll);
    for (const [event, listener] of Object.entries(listeners) as [keyof typeof listeners, () => void][]) {
      ports.powerMonitor.off(event, listener);
    }
  };
}
