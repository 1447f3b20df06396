/**
 * What the connection service is built from and what it reports besides ServerLink: its
 * options (timing, the auth it needs), its counters and its notices. Its parts import these
 * from here rather than from the service, so no part depends on the coordinator.
 */
import type { ErrorCode } from '../../../shared/errors';
import type { Clock } from '../clock';
import type { ChangeWindow } from '../events';
import type { ServerLink } from '../link';
import type { Logger } from '../logging';
import type { Metrics } from '../metrics';
import type { Timing } from '../options';

/** The delays the connection uses; each is explained where it is declared, in `Timing`. */
export type ConnectionTiming = Pick<
  Timing,
  | 'backoffBaseMs'
  | 'backoffCapMs'
  | 'giveUpAfterFailures'
  | 'slowRetryMs'
  | 'resetAfterConnectedMs'
  | 'heartbeatIntervalMs'
  | 'heartbeatTimeoutMs'
  | 'resumePingTimeoutMs'
  | 'longSleepMs'
  | 'handshakeWaitMs'
  | 'connectTimeoutMs'
  | 'closeTimeoutMs'
>;

/** What the connection needs from auth; the AuthService provides it, benchmarks stub it. */
export interface LinkAuth {
  userId(): string | null;
  /** The token in hand, without I/O; compared with the one a rejected socket used. */
  currentAccessToken(): string | null;
  /** A token good for a while; may refresh. Throws AppError (NETWORK_ERROR, TOKEN_REVOKED, …). */
  freshAccessToken(): Promise<string>;
  /** Forces a refresh (after a 401 or 4001). Throws TOKEN_REVOKED when the session is dead. */
  refresh(): Promise<string>;
  request: ServerLink['request'];
}

export type ConnectionServiceOptions = Readonly<{
  serverUrl: string;
  auth: LinkAuth;
  clock: Clock;
  random: () => number;
  timing: ConnectionTiming;
  log: Logger;
  /** Moved on every transition, socket event, reconnect, heartbeat and frame. */
  metrics: Metrics;
  /** The core's one change window: `connection:changed` is coalesced there, with the outbox's changes. */
  changes: ChangeWindow;
}>;

/** Counters for tests, diagnostics and metrics; no tokens, no URLs. */
export type ConnectionStats = {
  socketsCreated: number;
  attemptsStarted: number;
  connects: number;
  heartbeatTimeouts: number;
  /** Times a new socket was created while the previous one was still open (must stay 0). */
  overlappingSockets: number;
  maxOpenSockets: number;
};

/** A notice the core turns into a toast: update required, session revoked. */
export type ConnectionNotice = Readonly<{ code: ErrorCode }>;
