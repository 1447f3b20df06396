import fs from 'node:fs';
import path from 'node:path';
import {
  EVENT_CHANNELS,
  type CoreInvokeChannel,
  type ParsedReq,
  type Res,
} from '../../shared/contract';
import { ERROR_INFO } from '../../shared/errors';
import { newErrorId } from './errors';
import { systemClock, type Clock } from './clock';
import type { ConnectionService } from './connection';
import { createConnectionStack } from './connection/wiring';
import { CoreEventBus, type CoreEvents } from './events';
import { createCoreDiagnostics, type DiagnosticsRegistry } from './diagnostics';
import { createFileLogger, createRendererLogWriter, type Logger } from './logging';
import { Metrics, MetricsServer, instrumentHandlers, instrumentLogger, resolveMetricsPort } from './metrics';
import { createNotificationReplay } from './notifications';
import { createAttention, type Feed, type IncomingNotice, type ViewState } from './attention';
import { createPreferences, type PreferencesService } from './preferences';
import { DEFAULT_TIMING, type CoreOptions, type Timing } from './options';
import { MemorySecretStore, type SecretStore } from './secret-store';
import type { DB } from './store/database';
import { openStore } from './store/open';
import { createDeliveryService, DEFAULT_OUTBOX_LIMITS, type DeliveryService } from './outbox/service';
import { createSupportServices } from './support';
import type { OutboxSummary } from './store/outbox';

export type { CoreOptions, Timing, AppInfo } from './options';
export type { CoreEvents } from './events';
export type { Metrics } from './metrics';
export type { IncomingNotice, ViewState } from './attention';
export type { PreferencesService } from './preferences';

/** One async function per invoke channel the core answers; each throws AppError for expected failures. */
export type Handlers = { [C in CoreInvokeChannel]: (req: ParsedReq<C>) => Promise<Res<C>> };

/** What the OS tells the shell, forwarded so the connection can react (sleep, network). */
export type SystemEvent = 'suspend' | 'resume' | 'online' | 'offline';

export interface Core {
  readonly handlers: Handlers;
  readonly events: CoreEvents;
  readonly log: Logger;
  readonly dataDir: string;
  /** The connection manager; it implements ServerLink (`./link.ts`) for delivery. */
  readonly connection: ConnectionService;
  /** Other services add their part of the diagnostics bundle here, one line each. */
  readonly diagnostics: DiagnosticsRegistry;
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
  /** Outbox counts by state, ages, attempts and error codes (no text), for diagnostics. */
  getOutboxSummary(): OutboxSummary;
  readonly delivery: DeliveryService;
  /** Messages from others as they are stored, for OS notifications. */
  readonly incoming: Feed<IncomingNotice>;
  /** The conversation the window shows, as the renderer reports it. */
  readonly view: ViewState;
  readonly preferences: PreferencesService;
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

export function createCore(options: CoreOptions): Core {
  fs.mkdirSync(options.dataDir, { recursive: true });
  const logsDir = path.join(options.dataDir, 'logs');
  const clock = options.clock ?? systemClock;
  const metrics = new Metrics({ clock, ...(options.appInfo ? { appInfo: options.appInfo } : {}) });
  const metricsPort = resolveMetricsPort(options.metricsPort, process.env['NOVA_METRICS_PORT']);
  const log = instrumentLogger(
    options.logger ?? createFileLogger({ dir: logsDir, console: options.logToConsole ?? false }),
    metrics,
  );
  const timing: Timing = { ...DEFAULT_TIMING, ...options.timing };
  const events = new CoreEventBus({ batchMs: timing.eventBatchMs });
  const store = openStore(path.join(options.dataDir, 'nova.db'), {
    ...(options.sqliteNativeBinding ? { nativeBinding: options.sqliteNativeBinding } : {}),
    now: () => clock.now(),
  });
  const db = store.db;
  if (store.movedAsideTo !== null) log.error(`store: database was damaged; moved to ${path.basename(store.movedAsideTo)}`);
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

  const rendererLog = createRendererLogWriter(log.scope('renderer'), () => context.clock.now());
  const diagnostics = createCoreDiagnostics(context, logsDir, () => handlers);
  diagnostics.registerSource('metrics', () => metrics.snapshot());
  const replay = createNotificationReplay(() => diagnostics.recentNotifications());
  const attention = createAttention();
  const preferences = createPreferences({ db, events, log: log.scope('preferences') });
  // Auth and the connection; the connection service is the ServerLink delivery talks to.
  const connectionStack = createConnectionStack(context);
  const link: ConnectionService = connectionStack.connection;

  const delivery = createDeliveryService({
    db,
    // Tests may hand delivery a link of their own; the app always uses the connection.
    link: options.link ?? link,
    clock,
    random: context.random,
    timing,
    limits: { ...DEFAULT_OUTBOX_LIMITS, ...options.outboxLimits },
    log: log.scope('delivery'),
    events,
    metrics,
    onIncoming: (notice) => attention.received(notice),
  });
  link.setPendingCountProvider(() => delivery.pendingCountForCurrentUser());
  // The banner says how many messages wait, so an outbox change refreshes the snapshot too.
  events.on('outbox:changed', () => link.pendingCountChanged());
  wireCoreMetrics(context);
  const support = createSupportServices(context, {
    diagnostics,
    accessToken: () => connectionStack.auth.currentAccessToken(),
    isOsOffline: () => link.snapshot().isOsOffline,
  });

  const handlers: Handlers = instrumentHandlers({
    ...connectionStack.handlers,
    'conversations:list': delivery.handlers['conversations:list'],
    'messages:list': delivery.handlers['messages:list'],
    'messages:send': delivery.handlers['messages:send'],
    'messages:markRead': delivery.handlers['messages:markRead'],
    'outbox:list': delivery.handlers['outbox:list'],
    'outbox:retry': delivery.handlers['outbox:retry'],
    'outbox:discard': delivery.handlers['outbox:discard'],
    'outbox:confirm': delivery.handlers['outbox:confirm'],
    'diagnostics:collect': () => diagnostics.collect(),
    'diagnostics:save': (req) => diagnostics.save(req.bundleId),
    'diagnostics:showLogsFolder': () => diagnostics.showLogsFolder(),
    'conversations:view': attention.handlers['conversations:view'],
    'preferences:get': preferences.handlers['preferences:get'],
    'preferences:set': preferences.handlers['preferences:set'],
    'notifications:list': () => Promise.resolve(replay.list()),
    'notifications:dismiss': (req) => {
      replay.dismiss(req.id);
      return Promise.resolve(null);
    },
    'log:write': (req) => {
      rendererLog.write(req);
      return Promise.resolve(null);
    },
    ...support.handlers,
  } satisfies Handlers, metrics);

  let state: 'idle' | 'started' | 'stopped' = 'idle';
  let stopping: Promise<void> | null = null;

  return {
    handlers,
    events,
    log,
    dataDir: options.dataDir,
    connection: link,
    diagnostics,
    async start() {
      if (state !== 'idle') return;
      state = 'started';
      metrics.coreStarted();
      // The endpoint is for monitoring only: a busy port must not keep anyone from messaging.
      await metricsServer
        ?.start()
        .catch((error: unknown) => log.warn(`metrics: endpoint not started on port ${metricsPort}`, error));
      delivery.start();
      support.start();
      if (store.movedAsideTo !== null) {
        const id = newErrorId();
        log.error(`store: DB_CORRUPT [${id}]`);
        events.emit('notification', {
          id,
          code: 'DB_CORRUPT',
          message: ERROR_INFO.DB_CORRUPT.message,
          severity: 'critical',
          sticky: true,
          at: clock.now(),
          actions: ['details'],
          messageKey: null,
        });
      }
      log.info(`core: started (server ${options.serverUrl})`);
      await connectionStack.start();
    },
    notifySystem(event) {
      metrics.systemEvent(event);
      log.info(`system: ${event}`);
      if (state === 'started') connectionStack.notifySystem(event);
    },
    getPendingCount() {
      return delivery.pendingCount();
    },
    getOutboxSummary() {
      return delivery.summary();
    },
    delivery,
    incoming: attention.incoming,
    view: attention.view,
    preferences,
    metrics,
    metricsSnapshot: () => metrics.snapshot(),
    metricsPort: () => metricsServer?.port ?? null,
    stop() {
      stopping ??= (async () => {
        state = 'stopped';
        await support.stop();
        delivery.stop();
        connectionStack.stop();
        events.flush();
        rendererLog.flush();
        diagnostics.dispose();
        attention.dispose();
        await metricsServer?.stop();
        events.clear();
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
  metrics.observeDatabaseSize(() => {
    if (!db.open) return null;
    const pageSize = db.pragma('page_size', { simple: true });
    const pageCount = db.pragma('page_count', { simple: true });
    return typeof pageSize === 'number' && typeof pageCount === 'number' ? pageSize * pageCount : null;
  });
  for (const channel of EVENT_CHANNELS) events.on(channel, () => metrics.coreEvent(channel));
  events.on('notification', (notification) => metrics.notificationShown(notification.code, notification.severity));
}
