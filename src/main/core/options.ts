import type { Clock } from './clock';
import type { DesktopPort } from './diagnostics';
import type { Resolver } from './doctor/resolver';
import type { ServerLink } from './link';
import type { Logger } from './logging';
import type { SecretStore } from './secret-store';

/** Every delay the engine uses, so tests can shrink them instead of waiting on real timers. */
export type Timing = Readonly<{
  /** How often the renderer-facing events may fire in a burst (coalescing window). */
  eventBatchMs: number;
  // -- connection --
  /** Reconnect backoff: first retry in [base, 7 × base], then ×1.3 up to the cap (±10 %); see backoff.ts. */
  backoffBaseMs: number;
  backoffCapMs: number;
  /** Consecutive failed attempts before ERROR (then slow retries). */
  giveUpAfterFailures: number;
  slowRetryMs: number;
  /** The attempt counter resets only after this long connected, so a flapping link backs off. */
  resetAfterConnectedMs: number;
  heartbeatIntervalMs: number;
  heartbeatTimeoutMs: number;
  resumePingTimeoutMs: number;
  /** Asleep longer than this: drop the socket on resume instead of probing it. */
  longSleepMs: number;
  /** No protocol_handshake within this after open: assume legacy Nova. */
  handshakeWaitMs: number;
  /** An upgrade that has not opened by then counts as a failed attempt. */
  connectTimeoutMs: number;
  /** How long a graceful close may wait for the peer's close frame. */
  closeTimeoutMs: number;
  // -- auth --
  tokenRefreshMarginMs: number;
  tokenRefreshRetryMs: number;
  requestTimeoutMs: number;
  /** Outbox retry backoff: full jitter over base × 2^n, capped. */
  retryBaseMs: number;
  retryCapMs: number;
  /** A send with no ack after this is resent with the same key ("confirming"). */
  ackTimeoutMs: number;
  /** A message still failing this long after its first attempt expires (the user can resend). */
  retryBudgetMs: number;
  /** Messages written this long before the connection came back wait for the user's go-ahead. */
  holdAfterMs: number;
  /** A resync page not answered within this is given up (the outbox drains anyway). */
  syncTimeoutMs: number;
  // -- support --
  /** "Send to support" retries: full jitter over base × 2^n, capped (a server's Retry-After wins). */
  supportRetryBaseMs: number;
  supportRetryCapMs: number;
  /** An upload attempt that sends or hears nothing for this long is given up and retried. */
  supportRequestTimeoutMs: number;
  /** Each network step of the connection doctor gives up after this. */
  doctorStepTimeoutMs: number;
}>;

export const DEFAULT_TIMING: Timing = {
  eventBatchMs: 16,
  backoffBaseMs: 1000,
  // From the herd bench (docs/decisions.md, "Reconnect policy"): a 10 s cap keeps a client within
  // ~10 s of a returning server; 20 failures (about 3 minutes) before ERROR, then one try a minute.
  backoffCapMs: 10_000,
  giveUpAfterFailures: 20,
  slowRetryMs: 60_000,
  resetAfterConnectedMs: 10_000,
  heartbeatIntervalMs: 30_000,
  heartbeatTimeoutMs: 10_000,
  resumePingTimeoutMs: 5000,
  longSleepMs: 5 * 60_000,
  handshakeWaitMs: 2000,
  connectTimeoutMs: 10_000,
  closeTimeoutMs: 2000,
  tokenRefreshMarginMs: 60_000,
  tokenRefreshRetryMs: 30_000,
  requestTimeoutMs: 15_000,
  retryBaseMs: 1_000,
  retryCapMs: 60_000,
  ackTimeoutMs: 10_000,
  retryBudgetMs: 24 * 60 * 60 * 1000,
  holdAfterMs: 60 * 60 * 1000,
  syncTimeoutMs: 15_000,
  supportRetryBaseMs: 2_000,
  supportRetryCapMs: 30_000,
  supportRequestTimeoutMs: 30_000,
  doctorStepTimeoutMs: 5_000,
};

export type OutboxLimits = Readonly<{
  maxMessages: number;
  maxBytes: number;
  /** Used until a server handshake says otherwise. */
  defaultMaxMessageBytes: number;
  /** Sends in flight per conversation when the server numbers them (client_seq). */
  pipelineWindow: number;
}>;

export const DEFAULT_OUTBOX_LIMITS: OutboxLimits = {
  maxMessages: 10_000,
  maxBytes: 50 * 1024 * 1024,
  defaultMaxMessageBytes: 64 * 1024,
  pipelineWindow: 256,
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
  /**
   * Where the renderer's `log:write` lines go: by default their own rotating renderer.log beside
   * main.log, or `logger` when one is given.
   */
  rendererLogger?: Logger;
  /** Log to the console as well (for `npm start`). */
  logToConsole?: boolean;
  /** better-sqlite3 binding built for the current runtime (the Electron shell sets it). */
  sqliteNativeBinding?: string;
  appInfo?: AppInfo;
  /** Save dialog, reveal file, open folder: the shell's part of diagnostics. */
  desktop?: DesktopPort;
  /** Outbox caps (messages, bytes, message size before a handshake, pipeline depth). */
  outboxLimits?: Partial<OutboxLimits>;
  /** The link delivery talks to; unset, the core's own connection. Tests pass one to script the server side. */
  link?: ServerLink;
  /**
   * Port of the local Prometheus endpoint on 127.0.0.1: 0 = any free port, 'off' = no endpoint.
   * Unset: `NOVA_METRICS_PORT`, else 9464.
   */
  metricsPort?: number | 'off';
  /** The organisation configuration file; unset: `NOVA_ORG_CONFIG`, else `<dataDir>/organization.json`. */
  organizationConfigPath?: string;
  /** Name resolution for the connection doctor (defaults to the OS resolver); tests simulate DNS with it. */
  resolver?: Resolver;
}>;
