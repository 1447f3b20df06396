import fs from 'node:fs';
import { createCore, type Core, type CoreOptions } from '../../src/main/core';
import { createMemoryLogger, type LogRecord } from '../../src/main/core/logging';
import type { EventChannel, EventPayload } from '../../src/shared/contract';
import { startServer, type ServerHandle, type ServerOptions } from '../../server/index';
import { makeTempDir } from './core';
import { TestLink } from './link';

export const ALICE = 'alice@nova.local';
export const BOB = 'bob@nova.local';
export const PASSWORD = 'nova-dev-password';

export function startDemoServer(options: ServerOptions = {}): Promise<ServerHandle> {
  return startServer({ seed: true, bcryptRounds: 4, ...options });
}

export type DeliveryRig = {
  core: Core;
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
  const core = createCore({
    dataDir,
    serverUrl: server.url,
    logger,
    link,
    ...options,
    timing: { eventBatchMs: 1, retryBaseMs: 20, retryCapMs: 200, ackTimeoutMs: 2_000, ...options.timing },
  });
  const events: { channel: EventChannel; payload: unknown }[] = [];
  for (const channel of ['messages:changed', 'outbox:changed', 'conversations:changed', 'notification'] as const) {
    core.events.on(channel, (payload) => events.push({ channel, payload }));
  }
  await core.start();
  return {
    core,
    link,
    dataDir,
    records: logger.records,
    events,
    eventsOf: <E extends EventChannel>(channel: E) =>
      events.filter((e) => e.channel === channel).map((e) => e.payload as EventPayload<E>),
    cleanup: async () => {
      link.disconnect();
      await core.stop();
      if (!options.keepData) fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
