import fs from 'node:fs';
import path from 'node:path';
import {
  EVENT_CHANNELS,
  type ConnectionSnapshot,
  type InvokeChannel,
  type ParsedReq,
  type Res,
} from '../../shared/contract';
import { AppError } from '../../shared/errors';
import { systemClock, type Clock } from './clock';
import { CoreEventBus, type CoreEvents } from './events';
import { createFileLogger, type Logger } from './logging';
import { Metrics, MetricsServer, instrumentHandlers, instrumentLogger, resolveMetricsPort } from './metrics';
import { DEFAULT_TIMING, type CoreOptions, type Timing } from './options';
import { MemorySecretStore, type SecretStore } from './secret-store';
import { openDatabase, type DB } from './store/database';

export type { CoreOptions, Timing, AppInfo } from './options';
export type { CoreEvents } from './events';
export type { Metrics } from './metrics';

/** One async function per invoke channel; each throws AppError for expected failures. */
export type Handlers = { [C in InvokeChannel]: (req: ParsedReq<C>) => Promise<Res<C>> };

/** What the OS tells the shell, forwarded so the connection can react (sleep, network). */
export type SystemEvent = 'suspend' | 'resume' | 'online' | 'offline';

export interface Core {
  readonly handlers: Handlers;
  readonly events: CoreEvents;
  readonly log: Logger;
  readonly dataDir: string;
  start(): Promise<void>;
  notifySystem(event: SystemEvent): void;
  /** Messages not yet acknowledged by the server; the quit guard asks before leaving them. */
  getPendingCount(): number;
  /** The metrics service; modules built by the core get it through CoreContext. */
  readonly metrics: Metrics;
  /** The Prometheus text exposition, for the diagnostics bundle. */
  metricsSnapshot(): Promise<string>;
  /** The port `/metrics` listens on, or null when it is off or not started. */
  metricsPort(): number | null;
  /** Ordered shutdown: outbox, socket, metrics, database last. Safe to call twice. */
  stop(): Promise<void>;
}

/** The context services are built from; one object so adding a service does not ripple. */
export type CoreContext = Readonly<{
  options: CoreOptions;
  timing: Timing;
  clock: Clock;
  random: () => number;
  secretStore: SecretStore;
  log: Logger;
  events: CoreEventBus;
  db: DB;
  metrics: Metrics;
}>;

function notImplemented(channel: InvokeChannel): () => Promise<never> {
  return () => Promise.reject(new AppError('NOT_IMPLEMENTED', `${channel} is not available yet.`));
}

export function createCore(options: CoreOptions): Core {
  fs.mkdirSync(options.dataDir, { recursive: true });
  const clock = options.clock ?? systemClock;
  const metrics = new Metrics({ clock, ...(options.appInfo ? { appInfo: options.appInfo } : {}) });
  const metricsPort = resolveMetricsPort(options.metricsPort, process.env['NOVA_METRICS_PORT']);
  const log = instrumentLogger(
    options.logger ??
      createFileLogger({ dir: path.join(options.dataDir, 'logs'), console: options.logToConsole ?? false }),
    metrics,
  );
  const events = new CoreEventBus();
  const timing: Timing = { ...DEFAULT_TIMING, ...options.timing };
  const db = openDatabase(
    path.join(options.dataDir, 'nova.db'),
    options.sqliteNativeBinding ? { nativeBinding: options.sqliteNativeBinding } : {},
  );
  const context: CoreContext = {
    options,
    timing,
    clock,
    random: options.random ?? Math.random,
    secretStore: options.secretStore ?? new MemorySecretStore(),
    log,
    events,
    db,
    metrics,
  };
  const metricsServer =
    metricsPort === 'off' ? null : new MetricsServer({ metrics, log: log.scope('metrics'), port: metricsPort });
  wireCoreMetrics(context);

  const rendererLog = log.scope('renderer');
  const connectionSnapshot = (): ConnectionSnapshot => ({
    state: 'CLOSED',
    reason: 'signed out',
    since: context.clock.now(),
    attempt: 0,
    nextAttemptAt: null,
    lastRttMs: null,
    isOsOffline: false,
    pendingCount: 0,
  });

  const handlers: Handlers = instrumentHandlers({
    'auth:login': notImplemented('auth:login'),
    'auth:verify2fa': notImplemented('auth:verify2fa'),
    'auth:logout': notImplemented('auth:logout'),
    'auth:status': () =>
      Promise.resolve({
        signedIn: false,
        user: null,
        serverUrl: options.serverUrl,
        isDemoServer: options.isDemoServer ?? false,
      }),
    'conversations:list': notImplemented('conversations:list'),
    'messages:list': notImplemented('messages:list'),
    'messages:send': notImplemented('messages:send'),
    'messages:markRead': notImplemented('messages:markRead'),
    'outbox:list': notImplemented('outbox:list'),
    'outbox:retry': notImplemented('outbox:retry'),
    'outbox:discard': notImplemented('outbox:discard'),
    'outbox:confirm': notImplemented('outbox:confirm'),
    'connection:get': () => Promise.resolve({ snapshot: connectionSnapshot(), history: [] }),
    'connection:retryNow': notImplemented('connection:retryNow'),
    'diagnostics:collect': notImplemented('diagnostics:collect'),
    'diagnostics:save': notImplemented('diagnostics:save'),
    'diagnostics:showLogsFolder': notImplemented('diagnostics:showLogsFolder'),
    'log:write': (req) => {
      rendererLog.scope(req.scope)[req.level](req.message);
      return Promise.resolve(null);
    },
  } satisfies Handlers, metrics);

  let state: 'idle' | 'started' | 'stopped' = 'idle';
  let stopping: Promise<void> | null = null;

  return {
    handlers,
    events,
    log,
    dataDir: options.dataDir,
    async start() {
      if (state !== 'idle') return;
      state = 'started';
      metrics.coreStarted();
      log.info(`core: started (server ${options.serverUrl})`);
      // The endpoint is for monitoring only: a busy port must not keep anyone from messaging.
      await metricsServer?.start().catch((error: unknown) => log.warn(`metrics: endpoint not started on port ${metricsPort}`, error));
    },
    notifySystem(event) {
      metrics.systemEvent(event);
      log.info(`system: ${event}`);
    },
    getPendingCount() {
      return 0;
    },
    metrics,
    metricsSnapshot: () => metrics.snapshot(),
    metricsPort: () => metricsServer?.port ?? null,
    stop() {
      stopping ??= (async () => {
        state = 'stopped';
        events.clear();
        await metricsServer?.stop();
        // The database closes last: everything above may still write to it while stopping.
        db.close();
        log.info('core: stopped');
      })();
      return stopping;
    },
  };
}

/** Core paths that move metrics by themselves: events towards the window, database size. */
function wireCoreMetrics({ events, metrics, db }: CoreContext): void {
  metrics.connectionState('CLOSED');
  metrics.observeDatabaseSize(() => {
    if (!db.open) return null;
    const pageSize = db.pragma('page_size', { simple: true });
    const pageCount = db.pragma('page_count', { simple: true });
    return typeof pageSize === 'number' && typeof pageCount === 'number' ? pageSize * pageCount : null;
  });
  for (const channel of EVENT_CHANNELS) events.on(channel, () => metrics.coreEvent(channel));
  events.on('notification', (notification) => metrics.notificationShown(notification.code, notification.severity));
}
