import { DEMO_PASSWORD } from '../../../server/index';
import { DEFAULT_TIMING, type Timing } from '../../../src/main/core/options';
import { AuthService } from '../../../src/main/core/auth';
import { systemClock } from '../../../src/main/core/clock';
import { ConnectionService, type LinkAuth } from '../../../src/main/core/connection';
import { ChangeWindow } from '../../../src/main/core/events';
import { createMemoryLogger, type LogRecord } from '../../../src/main/core/logging';
import { Metrics } from '../../../src/main/core/metrics';
import { MemorySecretStore } from '../../../src/main/core/secret-store';
import { ALICE } from '../../support/real-core';
import { FAST_TIMING } from '../../support/timing';

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
  await auth.login(options.email ?? ALICE, DEMO_PASSWORD);
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
