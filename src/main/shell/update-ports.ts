/**
 * What the update controller is given: its timing, the ports it reaches Electron, electron-updater
 * and the core through, and the core's side of those ports.
 */
import type { AppUpdater } from 'electron-updater';
import type { ParsedReq, Res, ShellInvokeChannel, Unsubscribe } from '../../shared/contract';
import type { UpdateChannel } from '../../shared/preferences';
import { UPDATE_SEND_WAIT_MS, type UpdateStatus } from '../../shared/updates';
import type { Core } from '../core';
import type { Clock } from '../core/clock';
import type { Logger } from '../core/logging';
import type { Metrics } from '../core/metrics';
import { DEFAULT_CHECK_TIMING, type CheckTiming, type UpdateSetup } from './update-policy';

export type UpdateTiming = CheckTiming &
  Readonly<{
    /** A check with no answer by then counts as unreachable (Electron's net has no timeout of its own). */
    checkTimeoutMs: number;
    /** A download with no new bytes for this long is given up and tried again at the next check. */
    downloadStallMs: number;
    /** "Update after they are sent" restarts anyway after this long. */
    sendWaitMs: number;
    /** Quit anyway if the installer has not ended the app by then (it quits by itself when it starts). */
    installQuitFallbackMs: number;
  }>;

export const DEFAULT_UPDATE_TIMING: UpdateTiming = {
  ...DEFAULT_CHECK_TIMING,
  checkTimeoutMs: 60_000,
  downloadStallMs: 120_000,
  sendWaitMs: UPDATE_SEND_WAIT_MS,
  installQuitFallbackMs: 15_000,
};

export type UpdateHandlers = { [C in ShellInvokeChannel]: (req: ParsedReq<C>) => Promise<Res<C>> };

export type UpdateControllerPorts = Readonly<{
  setup: UpdateSetup;
  currentVersion: string;
  /** electron-updater's updater for this kind of install; built once, and only when updates are active. */
  createUpdater(): AppUpdater;
  channel(): UpdateChannel;
  onChannelChange(listener: () => void): Unsubscribe;
  /** Messages the server has not acknowledged yet, and a way to hear every outbox change. */
  pendingCount(): number;
  onOutboxChange(listener: () => void): Unsubscribe;
  /** Quits through the shell's ordered shutdown; the shell then calls `installAndQuit`. */
  restart(): void;
  emit(status: UpdateStatus): void;
  metrics: Pick<Metrics, 'updateStep'>;
  clock: Clock;
  random: () => number;
  log: Logger;
  timing?: Partial<UpdateTiming>;
}>;

type CorePorts = Pick<UpdateControllerPorts, 'channel' | 'onChannelChange' | 'pendingCount' | 'onOutboxChange' | 'metrics'>;

/** The core's side of the ports: the channel preference, the outbox, the metrics service. */
export function corePorts(core: Pick<Core, 'preferences' | 'events' | 'getPendingCount' | 'metrics'>): CorePorts {
  return {
    channel: () => core.preferences.get().updates.channel,
    onChannelChange: (listener) => {
      let channel = core.preferences.get().updates.channel;
      return core.events.on('preferences:changed', (next) => {
        if (next.updates.channel === channel) return;
        channel = next.updates.channel;
        listener();
      });
    },
    pendingCount: () => core.getPendingCount(),
    onOutboxChange: (listener) => core.events.on('outbox:changed', listener),
    metrics: core.metrics,
  };
}
