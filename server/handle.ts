/** What startServer takes (ServerOptions) and gives back: the handle and its fault controls. */
import type { Message } from '../src/shared/protocol';
import type { FailSpec, FaultState, ServerStats } from './core';
import type { DB } from './db';
import type { Logger } from './logger';
import type { SeedResult } from './seed';
import type { SignInThrottleOptions } from './signin';

export type ServerOptions = Readonly<{
  /** 0 (default) picks a free port. */
  port?: number;
  /** Defaults to 127.0.0.1; nothing here is meant to face a network. */
  host?: string;
  /**
   * Names clients may address this server by (the Host header) besides loopback names and the
   * bound address: a server behind a proxy or on a LAN name lists that name here.
   */
  publicHosts?: ReadonlyArray<string>;
  /** SQLite file; defaults to an in-memory database. */
  dataFile?: string;
  seed?: boolean;
  legacyNova?: boolean;
  /**
   * Mounts the loopback-only admin endpoint /__faults/*, which wants `Authorization: Bearer
   * <faultsToken>` (random per run; the handle carries it). The in-process control is always there.
   */
  faultsEndpoint?: boolean;
  /** HS256 key; a random one per server by default. */
  jwtSecret?: string | Uint8Array;
  accessTokenTtlS?: number;
  refreshTokenTtlS?: number;
  twoFactorTtlS?: number;
  maxPayloadSize?: number;
  /** Largest plaintext accepted, in UTF-8 bytes; at most (and by default) MAX_PLAINTEXT_LENGTH. */
  maxMessageBytes?: number;
  pingIntervalMs?: number;
  idleTimeoutMs?: number;
  /** Per user, counting REST requests and WS sends together. Off by default. */
  rateLimit?: Readonly<{ limit: number; windowMs: number }>;
  /**
   * Failed sign-in steps per account and per client address, with lockouts that double (on by
   * default; `false` only for benchmarks, which sign many users in from one address).
   */
  signInThrottle?: boolean | SignInThrottleOptions;
  /** New sockets per second across the server; excess upgrades get 503 + Retry-After. */
  admissionPerSecond?: number;
  /**
   * bcrypt cost of the secrets this server hashes (seeded ones, and the stand-in an unknown
   * e-mail is checked against); tests use 4 to keep start-up fast.
   */
  bcryptRounds?: number;
  /** Epoch-ms clock for token lifetimes and timestamps; tests inject one to expire tokens. */
  clock?: () => number;
  logger?: Logger;
}>;

export type HalfOpenMode = 'off' | 'upgrades' | 'freeze';

export type RestartOptions = Readonly<{ downMs?: number; announce?: boolean; crash?: boolean }>;

export type ServerControl = Readonly<{
  /** Ends every socket. Without a code the TCP connection is destroyed (client sees 1006). */
  dropAllSockets: (options?: { code?: number; reason?: string }) => number;
  /** 'upgrades': new upgrades are never answered. 'freeze': open sockets go mute, unclosed. */
  halfOpen: (mode: HalfOpenMode) => void;
  delayAcks: (ms: number) => void;
  failNextSends: (n: number, spec: FailSpec) => void;
  /** The next `n` sends (WS or REST) answer 429 RATE_LIMITED naming a wait of `retryAfterMs`. */
  throttleNextSends: (n: number, retryAfterMs: number) => void;
  /** REST and upgrades answer 503 for `ms` (0 ends it early). */
  unavailable: (ms: number) => void;
  /** Revokes every token of the user; live sockets get an error frame and close 4001. */
  revokeUser: (email: string) => number;
  rejectLogins: (on: boolean, options?: { status?: number }) => void;
  /**
   * Closes sockets and the listener, reopens the database file, listens again after `downMs`.
   * Sockets are closed with 1001 by default; `announce` (a planned restart) first sends each
   * nova-compat socket a `reconnect` frame and closes with 1012; `crash` destroys the TCP
   * connections with no close frame at all (clients see 1006).
   */
  restart: (options?: RestartOptions) => Promise<void>;
  /** Clears every fault. */
  reset: () => void;
  // -- read helpers for tests --
  listMessages: (conversationId: string) => Message[];
  socketCount: (email?: string) => number;
  connectionAttempts: () => number;
  stats: () => ServerStats & { sockets: number };
  faultState: () => Readonly<FaultState>;
  userId: (email: string) => string | undefined;
  /** Sends as another user, as if from a second client (broadcast included). */
  sendAs: (email: string, conversationId: string, plaintext: string, idempotencyKey?: string) => Message;
  db: () => DB;
}>;

export type ServerHandle = Readonly<{
  url: string;
  wsUrl: string;
  port: number;
  host: string;
  control: ServerControl;
  seed: SeedResult | null;
  /** The bearer token /__faults wants; null when the endpoint is not mounted. */
  faultsToken: string | null;
  close: () => Promise<void>;
}>;
