import fs from 'node:fs';
import { vi } from 'vitest';
import type { CoreOptions, Timing } from '../../src/main/core';
import type { ServerFrame } from '../../src/main/core/link';
import { createCoreForTests, type TestCore } from '../../src/main/core/testing';
import { createMemoryLogger, type LogRecord } from '../../src/main/core/logging';
import type { EventChannel, EventPayload } from '../../src/shared/contract';
import { startServer, type ServerHandle, type ServerOptions } from '../../server/index';
import { MemorySecretStore } from '../../src/main/core/secret-store';
import { makeTempDir } from './core';
import { startFaultProxy, type FaultProxy } from './fault-proxy';
import { TestLink } from './link';

export const ALICE = 'alice@nova.local';
export const BOB = 'bob@nova.local';
export const PASSWORD = 'nova-dev-password';

export function startDemoServer(options: ServerOptions = {}): Promise<ServerHandle> {
  return startServer({ seed: true, bcryptRounds: 4, ...options });
}

/**
 * A TestLink `incomingFilter` that loses the live `message` frames whose text starts with
 * `prefix`, as a flaky relay would; replays (sync) still get through.
 */
export function losingLiveMessages(prefix: string): (frame: ServerFrame) => boolean {
  return (frame) => !(frame.type === 'message' && frame.replay !== true && String(frame.message.plaintext).startsWith(prefix));
}

export type DeliveryRig = {
  core: TestCore;
  link: TestLink;
  dataDir: string;
  records: LogRecord[];
  /** Every event the core emitted, in order. */
  events: { channel: EventChannel; payload: unknown }[];
  eventsOf<E extends EventChannel>(channel: E): EventPayload<E>[];
  cleanup(): Promise<void>;
};

/** A real core with a real link to a real server, on a fresh (or given) data folder. */
export async function makeDeliveryRig(
  server: ServerHandle,
  options: Partial<CoreOptions> & { email?: string; legacy?: boolean; keepData?: boolean } = {},
): Promise<DeliveryRig> {
  const dataDir = options.dataDir ?? makeTempDir('nova-delivery-');
  const link = new TestLink({
    url: server.url,
    wsUrl: server.wsUrl,
    email: options.email ?? ALICE,
    password: PASSWORD,
    ...(options.legacy ? { legacy: true } : {}),
  });
  await link.signIn();
  const logger = createMemoryLogger();
  const core = createCoreForTests({
    dataDir,
    serverUrl: server.url,
    logger,
    link,
    ...options,
    timing: { eventBatchMs: 1, retryBaseMs: 20, retryCapMs: 200, ackTimeoutMs: 2_000, ...options.timing },
  });
  const { events, eventsOf } = recordEvents(core, ['messages:changed', 'outbox:changed', 'conversations:changed', 'notification', 'search:progress']);
  await core.start();
  return {
    core,
    link,
    dataDir,
    records: logger.records,
    events,
    eventsOf,
    cleanup: async () => {
      link.disconnect();
      await core.stop();
      if (!options.keepData) fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Short timings for a whole core on the real connection: every wait in milliseconds, ratios kept. */
export const E2E_TIMING: Partial<Timing> = {
  eventBatchMs: 2,
  backoffBaseMs: 10,
  backoffCapMs: 80,
  giveUpAfterFailures: 1_000,
  resetAfterConnectedMs: 60_000,
  heartbeatIntervalMs: 1_000,
  heartbeatTimeoutMs: 1_000,
  handshakeWaitMs: 1_000,
  connectTimeoutMs: 2_000,
  closeTimeoutMs: 300,
  tokenRefreshMarginMs: 0,
  tokenRefreshRetryMs: 200,
  requestTimeoutMs: 3_000,
  retryBaseMs: 10,
  retryCapMs: 100,
  ackTimeoutMs: 1_000,
  syncTimeoutMs: 2_000,
};

export type RealCoreRig = {
  core: TestCore;
  server: ServerHandle;
  proxy: FaultProxy;
  records: LogRecord[];
  events: { channel: EventChannel; payload: unknown }[];
  eventsOf<E extends EventChannel>(channel: E): EventPayload<E>[];
  signIn(email?: string): Promise<void>;
  waitConnected(timeoutMs?: number): Promise<void>;
  cleanup(): Promise<void>;
};

/**
 * A whole core as the app builds it: createCore without `link`, so delivery talks to the real
 * connection and auth, through a TCP fault proxy, to the reference server.
 */
export async function makeRealCoreRig(
  options: Readonly<{ server?: ServerOptions; core?: Partial<CoreOptions> }> = {},
): Promise<RealCoreRig> {
  const server = await startDemoServer(options.server);
  const proxy = await startFaultProxy(server.port);
  const dataDir = makeTempDir('nova-e2e-');
  const logger = createMemoryLogger();
  const core = createCoreForTests({
    dataDir,
    serverUrl: proxy.url,
    logger,
    secretStore: new MemorySecretStore(),
    ...options.core,
    timing: { ...E2E_TIMING, ...options.core?.timing },
  });
  const { events, eventsOf } = recordEvents(core, ['messages:changed', 'outbox:changed', 'conversations:changed', 'notification', 'auth:changed']);
  await core.start();
  return {
    core,
    server,
    proxy,
    records: logger.records,
    events,
    eventsOf,
    signIn: async (email = ALICE) => {
      const result = await core.handlers['auth:login']({ email, password: PASSWORD });
      if (result.status !== 'signed_in') throw new Error(`sign-in of ${email} needs a second factor`);
    },
    waitConnected: async (timeoutMs = 5_000) => {
      await vi.waitFor(
        () => {
          if (core.connection.state !== 'CONNECTED') throw new Error(`connection is ${core.connection.state}`);
        },
        { timeout: timeoutMs, interval: 5 },
      );
    },
    cleanup: async () => {
      await core.stop();
      await proxy.close();
      await server.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

type RecordedEvent = { channel: EventChannel; payload: unknown };

/** Records what the core emits on the given channels, in order, from before it starts. */
function recordEvents(
  core: TestCore,
  channels: readonly EventChannel[],
): { events: RecordedEvent[]; eventsOf: <E extends EventChannel>(channel: E) => EventPayload<E>[] } {
  const events: RecordedEvent[] = [];
  for (const channel of channels) core.events.on(channel, (payload) => events.push({ channel, payload }));
  return {
    events,
    eventsOf: <E extends EventChannel>(channel: E) =>
      events.filter((e) => e.channel === channel).map((e) => e.payload as EventPayload<E>),
  };
}
