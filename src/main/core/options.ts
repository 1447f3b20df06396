import type { Clock } from './clock';
import type { Logger } from './logging';
import type { SecretStore } from './secret-store';

/** Every delay the engine uses, so tests can shrink them instead of waiting on real timers. */
export type Timing = Readonly<{
  /** How often the renderer-facing events may fire in a burst (coalescing window). */
  eventBatchMs: number;
}>;

export const DEFAULT_TIMING: Timing = {
  eventBatchMs: 16,
};

export type AppInfo = Readonly<{
  name: string;
  version: string;
  electron: string | null;
  chrome: string | null;
}>;

export type CoreOptions = Readonly<{
  /** Folder for the database, logs and diagnostics; created if missing. */
  dataDir: string;
  /** Base URL of the Nova server, e.g. http://127.0.0.1:8787. */
  serverUrl: string;
  /** True when the server is the bundled reference server, so the UI may name demo accounts. */
  isDemoServer?: boolean;
  secretStore?: SecretStore;
  clock?: Clock;
  random?: () => number;
  timing?: Partial<Timing>;
  /** Defaults to electron-log's file logger under `dataDir/logs`. */
  logger?: Logger;
  /** Log to the console as well (for `npm start`). */
  logToConsole?: boolean;
  /** better-sqlite3 binding built for the current runtime (the Electron shell sets it). */
  sqliteNativeBinding?: string;
  appInfo?: AppInfo;
  /**
   * Port of the local Prometheus endpoint on 127.0.0.1: 0 = any free port, 'off' = no endpoint.
   * Unset: `NOVA_METRICS_PORT`, else 9464.
   */
  metricsPort?: number | 'off';
}>;
