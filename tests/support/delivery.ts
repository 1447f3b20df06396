/**
 * Delivery over `TestLink`: a real core whose link to the real server is driven by hand (no
 * connection service), for the outbox's integration tests. For a core on the real connection
 * through the fault proxy, see `real-core.ts`.
 */
import fs from 'node:fs';
import type { CoreOptions } from '../../src/main/core';
import type { ServerFrame } from '../../src/main/core/link';
import { createCoreForTests, type TestCore } from '../../src/main/core/testing';
import { createMemoryLogger, type LogRecord } from '../../src/main/core/logging';
import type { EventChannel, EventPayload } from '../../src/shared/contract';
import { DEMO_PASSWORD, type ServerHandle } from '../../server/index';
import { makeTempDir } from './core';
import { TestLink } from './link';
import { ALICE, recordEvents } from './real-core';
import { FAST_TIMING } from './timing';

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
    password: DEMO_PASSWORD,
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
    timing: { ...FAST_TIMING, ...options.timing },
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
