/**
 * The one rig for "a real core through the fault proxy": the whole core as the app builds it
 * (createCore without a test link, so delivery talks to the real connection and auth), a TCP
 * fault proxy, and the reference server behind it. Connection, delivery and diagnostics tests
 * all stand on it, so a fault staged in one reads the same in the others.
 */
import { vi } from 'vitest';
import type { CoreOptions, Timing } from '../../src/main/core';
import type { TestCore } from '../../src/main/core/testing';
import type { LogRecord } from '../../src/main/core/logging';
import { MemorySecretStore } from '../../src/main/core/secret-store';
import type { ConnectionState, EventChannel, EventPayload } from '../../src/shared/contract';
import { DEMO_PASSWORD, startServer, type ServerHandle, type ServerOptions } from '../../server/index';
import { ManualClock } from './clock';
import { makeTestCore } from './core';
import { startFaultProxy, type FaultProxy } from './fault-proxy';
import { FAST_TIMING, LOADED_TIMEOUT_MS } from './timing';
import { recordTransitions, type TransitionLog } from './transitions';

export const ALICE = 'alice@nova.local';
export const BOB = 'bob@nova.local';

/** The reference server with its demo users, hashing at the cheapest bcrypt cost. */
export function startDemoServer(options: ServerOptions = {}): Promise<ServerHandle> {
  return startServer({ seed: true, bcryptRounds: 4, ...options });
}

export type RecordedEvent = { channel: EventChannel; payload: unknown };

export type RealCoreRig = Readonly<{
  server: ServerHandle;
  proxy: FaultProxy;
  core: TestCore;
  secrets: MemorySecretStore;
  /** The core's log lines so far. */
  records: LogRecord[];
  /** Every event the core emitted on the recorded channels, in order, from before it started. */
  events: RecordedEvent[];
  eventsOf<E extends EventChannel>(channel: E): EventPayload<E>[];
  /** Every transition of the core's connection since the rig started. */
  transitions: TransitionLog;
  /** Moves the core's clock forward without waiting (simulated sleep); timers stay real. */
  advanceClock: (ms: number) => void;
  /** Signs in with the demo password (default: Alice). */
  signIn: (email?: string) => Promise<void>;
  /** For stable states only (a transient one may come and go between two polls: use `transitions`). */
  waitForState: (state: ConnectionState, timeoutMs?: number) => Promise<void>;
  cleanup: () => Promise<void>;
}>;

export type RealCoreRigOptions = Readonly<{
  server?: ServerOptions;
  /** Laid over FAST_TIMING. */
  timing?: Partial<Timing>;
  /** The core's randomness (jitter), for tests that need an exact draw. */
  random?: () => number;
  core?: Partial<Omit<CoreOptions, 'timing' | 'secretStore' | 'clock' | 'random'>>;
}>;

const RECORDED: readonly EventChannel[] = ['messages:changed', 'outbox:changed', 'conversations:changed', 'notification', 'auth:changed'];

export async function startRealCoreRig(options: RealCoreRigOptions = {}): Promise<RealCoreRig> {
  const server = await startDemoServer(options.server);
  const proxy = await startFaultProxy(server.port);
  const secrets = new MemorySecretStore();
  const clock = new ManualClock({ realTimers: true });
  const { core, records, cleanup } = makeTestCore({
    serverUrl: proxy.url,
    secretStore: secrets,
    clock,
    ...(options.random ? { random: options.random } : {}),
    ...options.core,
    timing: { ...FAST_TIMING, ...options.timing },
  });
  const { events, eventsOf } = recordEvents(core, RECORDED);
  const transitions = recordTransitions(core.connection);
  await core.start();
  return {
    server,
    proxy,
    core,
    secrets,
    records,
    events,
    eventsOf,
    transitions,
    advanceClock: (ms) => clock.advance(ms),
    signIn: async (email = ALICE) => {
      const result = await core.handlers['auth:login']({ email, password: DEMO_PASSWORD });
      if (result.status !== 'signed_in') throw new Error(`sign-in of ${email} needs a second factor`);
    },
    waitForState: async (state, timeoutMs = LOADED_TIMEOUT_MS) => {
      await vi.waitFor(
        () => {
          if (core.connection.state !== state) throw new Error(`state ${core.connection.state}, want ${state}`);
        },
        { timeout: timeoutMs, interval: 5 },
      );
    },
    cleanup: async () => {
      transitions.dispose();
      await cleanup();
      await proxy.close();
      await server.close();
    },
  };
}

/** Records what the core emits on the given channels, in order, from before it starts. */
export function recordEvents(
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
