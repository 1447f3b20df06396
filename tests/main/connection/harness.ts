import { startServer, type ServerHandle, type ServerOptions } from '../../../server/index';
import { DEMO_PASSWORD } from '../../../server/seed';
import type { ConnectionState } from '../../../src/shared/contract';
import type { Core } from '../../../src/main/core';
import { DEFAULT_TIMING, type Timing } from '../../../src/main/core/options';
import { AuthService } from '../../../src/main/core/auth';
import { systemClock } from '../../../src/main/core/clock';
import { ConnectionService, type LinkAuth } from '../../../src/main/core/connection';
import { createMemoryLogger, type LogRecord } from '../../../src/main/core/logging';
import { MemorySecretStore } from '../../../src/main/core/secret-store';
import { makeTestCore } from '../../support/core';
import { startFaultProxy, type FaultProxy } from '../../support/fault-proxy';
import { vi } from 'vitest';

/** Short timings so no test waits on a real 30 s timer; ratios kept as in production. */
export const FAST_TIMING: Partial<Timing> = {
  eventBatchMs: 5,
  backoffBaseMs: 20,
  backoffCapMs: 200,
  giveUpAfterFailures: 10,
  slowRetryMs: 60_000,
  resetAfterConnectedMs: 300,
  heartbeatIntervalMs: 300,
  heartbeatTimeoutMs: 200,
  resumePingTimeoutMs: 200,
  longSleepMs: 5 * 60_000,
  handshakeWaitMs: 500,
  connectTimeoutMs: 1000,
  closeTimeoutMs: 300,
  tokenRefreshMarginMs: 0,
  tokenRefreshRetryMs: 200,
  requestTimeoutMs: 2000,
};

export type Rig = Readonly<{
  server: ServerHandle;
  proxy: FaultProxy;
  core: Core;
  secrets: MemorySecretStore;
  /** Moves the core's clock forward without waiting (simulated sleep). */
  advanceClock: (ms: number) => void;
  signIn: (email?: string) => Promise<void>;
  waitForState: (state: ConnectionState, timeoutMs?: number) => Promise<void>;
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
  const { core, cleanup } = makeTestCore({
    serverUrl: proxy.url,
    secretStore: secrets,
    clock,
    timing: { ...FAST_TIMING, ...options.timing },
    ...(options.random ? { random: options.random } : {}),
  });
  await core.start();
  const waitForState = async (state: ConnectionState, timeoutMs = 5000): Promise<void> => {
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
    advanceClock: (ms) => {
      offset += ms;
    },
    signIn: async (email = 'alice@nova.local') => {
      const result = await core.handlers['auth:login']({ email, password: DEMO_PASSWORD });
      if (result.status !== 'signed_in') throw new Error(`sign-in of ${email} needs a second factor`);
    },
    waitForState,
    cleanup: async () => {
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
): Promise<{ auth: AuthService; link: ConnectionService; records: LogRecord[]; dispose: () => void }> {
  const timing = { ...DEFAULT_TIMING, ...FAST_TIMING, ...options.timing };
  const logger = createMemoryLogger();
  const auth = new AuthService({
    serverUrl,
    isDemoServer: true,
    secretStore: new MemorySecretStore(),
    clock: systemClock,
    timing,
    log: logger.scope('auth'),
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
  });
  return {
    auth,
    link,
    records: logger.records,
    dispose: () => {
      link.dispose();
      auth.dispose();
    },
  };
}
