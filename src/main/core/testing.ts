/**
 * The test entry: a whole core, plus the services behind its facade, so tests can reach the
 * connection, the metrics or the database without the shell's `Core` growing to suit them.
 * The app never imports this file (lint rule nova/core-boundaries).
 */
import type { ConnectionService } from './connection';
import { composeCore, type Core } from './compose';
import type { DiagnosticsRegistry } from './diagnostics';
import type { CoreEventBus } from './events';
import type { Metrics } from './metrics';
import type { NotificationCenter } from './notifications';
import type { CoreOptions } from './options';
import type { Delivery } from './outbox/delivery';
import type { DB } from './store/database';

export type TestCore = Core &
  Readonly<{
    /** The bus itself, so a test can emit as a service would. */
    events: CoreEventBus;
    dataDir: string;
    db: DB;
    connection: ConnectionService;
    delivery: Delivery;
    diagnostics: DiagnosticsRegistry;
    metrics: Metrics;
    notifications: NotificationCenter;
    /** The Prometheus text exposition, as the diagnostics bundle gets it. */
    metricsSnapshot(): Promise<string>;
    /** The port `/metrics` listens on, or null when it is off or not started. */
    metricsPort(): number | null;
  }>;

export function createCoreForTests(options: CoreOptions): TestCore {
  const { core, internals } = composeCore(options);
  const { context } = internals;
  return {
    ...core,
    events: context.events,
    dataDir: context.options.dataDir,
    db: context.db,
    connection: internals.connection,
    delivery: internals.delivery,
    diagnostics: internals.diagnostics,
    metrics: context.metrics,
    notifications: context.notifications,
    metricsSnapshot: () => context.metrics.snapshot(),
    metricsPort: internals.metricsPort,
  };
}
