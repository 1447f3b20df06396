import { startServer, type ServerHandle, type ServerOptions } from '../../../server/index';
import { DEMO_PASSWORD } from '../../../server/seed';
import type { ConnectionState, ConnectionTransition, Unsubscribe } from '../../../src/shared/contract';
import type { TestCore } from '../../../src/main/core/testing';
import { DEFAULT_TIMING, type Timing } from '../../../src/main/core/options';
import { AuthService } from '../../../src/main/core/auth';
import { systemClock } from '../../../src/main/core/clock';
import { ConnectionService, type LinkAuth } from '../../../src/main/core/connection';
import { ChangeWindow } from '../../../src/main/core/events';
import { createMemoryLogger, type LogRecord } from '../../../src/main/core/logging';
import { Metrics } from '../../../src/main/core/metrics';
import { MemorySecretStore } from '../../../src/main/core/secret-store';
import { makeTestCore } from '../../support/core';
import { startFaultProxy, type FaultProxy } from '../../support/fault-proxy';
import { vi } from 'vitest';

/**
 * Short timings so no test waits on a real 30 s timer. The deadlines that decide that something
 * is broken (pong, handshake, connect) stay well above what a loaded 2-core machine can stall the
 * event loop for, or a healthy link would be declared dead (or legacy) at random; a test about
 * one of them sets it short itself.
 */
export const FAST_TIMING: Partial<Timing> = {
  eventBatchMs: 5,
  backoffBaseMs: 20,
  backoffCapMs: 200,
  giveUpAfterFailures: 10,
  slowRetryMs: 60_000,
  resetAfterConnectedMs: 300,
  heartbeatIntervalMs: 1000,
  heartbeatTimeoutMs: 1500,
  resumePingTimeoutMs: 200,
  longSleepMs: 5 * 60_000,
  handshakeWaitMs: 2000,
  connectTimeoutMs: 3000,
  closeTimeoutMs: 300,
  tokenRefreshMarginMs: 0,
  tokenRefreshRetryMs: 200,
  requestTimeoutMs: 2000,
};

/**
 * How long a test waits for something the system does by itself. Generous on purpose: CI and
 * developers share 2 cores with a load average of 5–7, where timers run hundreds of ms late.
 * A healthy run never gets near it; it only bounds a broken one.
 */
export const LOADED_TIMEOUT_MS = 10_000;

export type TransitionMatch = Readonly<{ from?: ConnectionState; to?: ConnectionState; reason?: string | RegExp }>;

/**
 * The transitions of one link, recorded as they happen (onDidTransition is synchronous), so a
 * test can await a transition instead of polling `state` for a transient one it might miss.
 */
export type TransitionLog = Readonly<{
  all: () => readonly ConnectionTransition[];
  /** The index the next transition will get: pass it as `after` to ignore what came before. */
  mark: () => number;
  /**
   * The first transition at index >= `after` (default 0) that matches; resolves in the same
   * tick as the transition, so the caller acts before anything else can happen to the link.
   */
  next: (match: TransitionMatch, options?: Readonly<{ after?: number; timeoutMs?: number }>) => Promise<ConnectionTransition>;
  dispose: () => void;
}>;

function matches(transition: ConnectionTransition, match: TransitionMatch): boolean {
  if (match.from !== undefined && transition.from !== match.from) return false;
  if (match.to !== undefined && transition.to !== match.to) return false;
  if (match.reason === undefined) return true;
  return typeof match.reason === 'string' ? transition.reason.includes(match.reason) : match.reason.test(transition.reason);
}

export function recordTransitions(link: Readonly<{ onDidTransition: (listener: (t: ConnectionTransition) => void) => Unsubscribe }>): TransitionLog {
  const seen: ConnectionTransition[] = [];
  const waiters = new Set<(transition: ConnectionTransition, index: number) => void>();
  const unsubscribe = link.onDidTransition((transition) => {
    seen.push(transition);
    for (const waiter of [...waiters]) waiter(transition, seen.length - 1);
  });
  const describe = (): string => seen.map((t) => `${t.from}>${t.to} (${t.reason})`).join('; ') || 'none';
  return {
    all: () => seen,
    mark: () => seen.length,
    next: (match, options = {}) => {
      const after = options.after ?? 0;
      const found = seen.slice(after).find((t) => matches(t, match));
      if (found) return Promise.resolve(found);
      return new Promise<ConnectionTransition>((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          reject(new Error(`no transition ${JSON.stringify({ ...match, reason: String(match.reason) })} after #${after}; seen: ${describe()}`));
        }, options.timeoutMs ?? LOADED_TIMEOUT_MS);
        const waiter = (transition: ConnectionTransition, index: number): void => {
          if (index < after || !matches(transition, match)) return;
          clearTimeout(timer);
          waiters.delete(waiter);
          resolve(transition);
        };
        waiters.add(waiter);
      });
    },
    dispose: () => {
      unsubscribe();
      waiters.clear();
    },
  };
}

export type Rig = Readonly<{
  server: ServerHandle;
  proxy: FaultProxy;
  core: TestCore;
  secrets: MemorySecretStore;
  /** The core's log lines so far. */
  records: LogRecord[];
  /** Moves the core's clock forward without waiting (simulated sleep). */
  advanceClock: (ms: number) => void;
  signIn: (email?: string) => Promise<void>;
  /** For stable states only (a transient one may come and go between two polls). */
  waitForState: (state: ConnectionState, timeoutMs?: number) => Promise<void>;
  /** Every transition of the core's connection since the rig started. */
  transitions: TransitionLog;
  cleanup: () => Promise<void>;
}>;

export async function startRig(
  options: Readonly<{ server?: ServerOptions; timing?: Partial<Timing>; random?: () => number }> = {},
): Promise<Rig> {
  const server = await startServer({ seed: true, bcryptRounds: 4, ...options.server });
  const proxy = await startFaultProxy(server.port);
  const secrets = new MemorySecretStore();
  let offset = 0;
  const clock = {
    now: () => Date.now() + offset,
    setTimeout: (callback: () => void, ms: number) => ({ id: setTimeout(callback, ms) }),
    clearTimeout: (handle: { id: unknown }) => clearTimeout(handle.id as ReturnType<typeof setTimeout>),
  };
  const { core, records, cleanup } = makeTestCore({
    serverUrl: proxy.url,
    secretStore: secrets,
    clock,
    timing: { ...FAST_TIMING, ...options.timing },
    ...(options.random ? { random: options.random } : {}),
  });
  await core.start();
  const transitions = recordTransitions(core.connection);
  const waitForState = async (state: ConnectionState, timeoutMs = LOADED_TIMEOUT_MS): Promise<void> => {
    await vi.waitFor(
      () => {
        if (core.connection.state !== state) throw new Error(`state ${core.connection.state}, want ${state}`);
      },
      { timeout: timeoutMs, interval: 5 },
    );
  };
  return {
    server,
    proxy,
    core,
    secrets,
    records,
    advanceClock: (ms) => {
      offset += ms;
    },
    signIn: async (email = 'alice@nova.local') => {
      const result = await core.handlers['auth:login']({ email, password: DEMO_PASSWORD });
      if (result.status !== 'signed_in') throw new Error(`sign-in of ${email} needs a second factor`);
    },
    waitForState,
    transitions,
    cleanup: async () => {
      transitions.dispose();
      await cleanup();
      await proxy.close();
      await server.close();
    },
  };
}

/** A bare ConnectionService over a real AuthService (no core), for tests that swap parts. */
export async function startBareLink(
  serverUrl: string,
  options: Readonly<{
    timing?: Partial<Timing>;
    /** Wraps the real auth, e.g. to make the token provider throw. */
    wrapAuth?: (auth: LinkAuth) => LinkAuth;
    email?: string;
  }> = {},
): Promise<{ auth: AuthService; link: ConnectionService; metrics: Metrics; records: LogRecord[]; dispose: () => void }> {
  const timing = { ...DEFAULT_TIMING, ...FAST_TIMING, ...options.timing };
  const logger = createMemoryLogger();
  const metrics = new Metrics({ defaultMetrics: false });
  const auth = new AuthService({
    serverUrl,
    isDemoServer: true,
    secretStore: new MemorySecretStore(),
    clock: systemClock,
    timing,
    log: logger.scope('auth'),
    metrics,
  });
  await auth.login(options.email ?? 'alice@nova.local', DEMO_PASSWORD);
  const real: LinkAuth = {
    userId: () => auth.user?.id ?? null,
    currentAccessToken: () => auth.currentAccessToken(),
    freshAccessToken: () => auth.freshAccessToken(),
    refresh: () => auth.refresh(),
    request: (method, path, body, headers) => auth.request(method, path, body, headers),
  };
  const link = new ConnectionService({
    serverUrl,
    auth: options.wrapAuth ? options.wrapAuth(real) : real,
    clock: systemClock,
    random: Math.random,
    timing,
    log: logger.scope('connection'),
    metrics,
    changes: new ChangeWindow(systemClock, timing.eventBatchMs),
  });
  return {
    auth,
    link,
    metrics,
    records: logger.records,
    dispose: () => {
      link.dispose();
      auth.dispose();
    },
  };
}
