import fs from 'node:fs';
import path from 'node:path';
import { EVENT_CHANNELS } from '../../shared/contract';
import { createAttention, type Feed, type IncomingNotice, type ViewState } from './attention';
import { systemClock } from './clock';
import type { ConnectionService } from './connection';
import { createConnectionStack } from './connection/wiring';
import { ChangeWindow, CoreEventBus, type CoreEvents } from './events';
import { DisposableStore, toDisposable } from './lifecycle';
import { createCoreDiagnostics, type DiagnosticsService } from './diagnostics';
import {
  createFileLogger,
  createRendererLogWriter,
  RENDERER_LOG_FILE_NAME,
  RENDERER_LOG_FILES,
  RENDERER_LOG_MAX_BYTES,
  type Logger,
} from './logging';
import { Metrics, MetricsServer, instrumentHandlers, instrumentLogger, resolveMetricsPort } from './metrics';
import { NotificationCenter } from './notifications';
import { DEFAULT_TIMING, type CoreOptions, type Timing } from './options';
import { createPreferences, type PreferencesService } from './preferences';
import { MemorySecretStore } from './secret-store';
import { openStore } from './store/open';
import type { CoreContext, Handlers, SystemEvent } from './context';
import type { Delivery } from './outbox/delivery';
import { createSupportServices } from './support';
import { composeOutbox } from './compose-delivery';

/** What the shell needs of the core, and nothing more. */
export interface Core {
  readonly handlers: Handlers;
  readonly events: CoreEvents;
  readonly log: Logger;
  start(): Promise<void>;
  notifySystem(event: SystemEvent): void;
  /** Messages not yet acknowledged by the server; the quit guard asks before leaving them. */
  getPendingCount(): number;
  /** Messages from others as they are stored, for OS notifications. */
  readonly incoming: Feed<IncomingNotice>;
  /** The conversation the window shows, as the renderer reports it. */
  readonly view: ViewState;
  readonly preferences: PreferencesService;
  /** The metrics service: the shell counts its own IPC handlers and its updater's steps here. */
  readonly metrics: Metrics;
  /** Where the shell adds its own parts to the diagnostics bundle (the updater's status). */
  readonly diagnostics: Pick<DiagnosticsService, 'registerSource'>;
  /** Ordered shutdown: support, outbox, socket, metrics, database last. Safe to call twice. */
  stop(): Promise<void>;
}

/** The services behind the facade, for the test entry (`testing.ts`) only. */
export type CoreInternals = Readonly<{
  context: CoreContext;
  connection: ConnectionService;
  delivery: Delivery;
  diagnostics: DiagnosticsService;
  /** The port `/metrics` listens on, or null when it is off or not started. */
  metricsPort(): number | null;
}>;

/** The renderer's own rotating file beside main.log. */
function rendererFileLogger(dir: string, console: boolean): Logger {
  return createFileLogger({
    dir,
    console,
    fileName: RENDERER_LOG_FILE_NAME,
    maxBytes: RENDERER_LOG_MAX_BYTES,
    maxFiles: RENDERER_LOG_FILES,
  });
}

/**
 * The composition root: builds every service in dependency order and wires them. `index.ts`
 * hands the app the `Core` facade; `testing.ts` hands tests the internals as well.
 */
export function composeCore(options: CoreOptions): { core: Core; internals: CoreInternals } {
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
  // Everything that must end is added here as it is built; stop() disposes it newest first.
  const lifetime = new DisposableStore((error) => log.error('core: a part failed to stop', error));
  lifetime.add(toDisposable(() => log.info('core: stopped')));
  const store = openStore(path.join(options.dataDir, 'nova.db'), {
    ...(options.sqliteNativeBinding ? { nativeBinding: options.sqliteNativeBinding } : {}),
    now: () => clock.now(),
  });
  const db = store.db;
  // The database closes last: everything built after it may still write to it while stopping.
  lifetime.add(toDisposable(() => void db.close()));
  const events = new CoreEventBus();
  lifetime.add(toDisposable(() => events.clear()));
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
    notifications: new NotificationCenter({ events, clock, log: log.scope('notifications'), metrics }),
    changes: new ChangeWindow(clock, timing.eventBatchMs),
  };
  const { notifications } = context;
  const metricsServer =
    metricsPort === 'off' ? null : new MetricsServer({ metrics, log: log.scope('metrics'), port: metricsPort });
  if (metricsServer) lifetime.add(toDisposable(() => metricsServer.stop()));

  const rendererLog = createRendererLogWriter(
    (options.rendererLogger
      ? instrumentLogger(options.rendererLogger, metrics)
      : options.logger
        ? log
        : instrumentLogger(rendererFileLogger(logsDir, options.logToConsole ?? false), metrics)
    ).scope('renderer'),
    () => context.clock.now(),
    {},
    log.scope('renderer'),
  );
  // Reports the lines it dropped before the log ends.
  lifetime.add(toDisposable(() => rendererLog.flush()));
  const diagnostics = createCoreDiagnostics(context, logsDir);
  const attention = createAttention();
  lifetime.add(toDisposable(() => attention.dispose()));
  const preferences = createPreferences({ db, events, log: log.scope('preferences') });
  // Auth and the connection; the connection service is the ServerLink delivery talks to.
  const connectionStack = createConnectionStack(context);
  lifetime.add(toDisposable(() => connectionStack.stop()));
  const link: ConnectionService = connectionStack.connection;

  // Tests may hand delivery a link of their own; the app always uses the connection.
  const outbox = composeOutbox(context, options.link ?? link, lifetime, (notice) => attention.received(notice));
  const { delivery, commands, conversations, own, reconciler, people, search } = outbox;
  link.setPendingCountProvider(() => commands.pendingCountForCurrentUser());
  diagnostics.registerSource('connection-history', () =>
    Promise.resolve({ snapshot: link.snapshot(), history: link.history() }),
  );
  // Every user's rows, counted in the store: the same summary signed in or out.
  diagnostics.registerSource('outbox-summary', () => Promise.resolve(commands.summary()));
  // The banner says how many messages wait, so an outbox change refreshes the snapshot too.
  events.on('outbox:changed', () => link.pendingCountChanged());
  wireCoreMetrics(context);
  // Added last, so it stops first: its last state file still reads the open database.
  const support = createSupportServices(context, {
    diagnostics,
    accessToken: () => connectionStack.auth.currentAccessToken(),
    isOsOffline: () => link.snapshot().isOsOffline,
  });
  lifetime.add(toDisposable(() => support.stop()));

  const handlers: Handlers = instrumentHandlers({
    ...connectionStack.handlers,
    'conversations:list': async () => conversations.list(),
    'messages:list': async (req) => conversations.messages(req),
    'messages:markRead': async (req) => conversations.markRead(req.conversationId),
    'messages:send': async (req) => commands.send(req),
    'outbox:list': async () => commands.list(),
    'outbox:retry': async (req) => commands.retry(req.key),
    'outbox:discard': async (req) => commands.discard(req.key),
    'outbox:confirm': async (req) => commands.confirm(req.key, req.send),
    'messages:cancel': (req) => own.cancel(req.key),
    'messages:edit': (req) => own.edit(req.key, req.text),
    'messages:delete': (req) => own.delete(req.key),
    'messages:timeline': async (req) => own.timeline(req.key),
    'messages:undoIntent': async (req) => own.undoIntent(req.key),
    'sync:status': async () => reconciler.status(),
    'people:search': (req) => people.search(req.query),
    'conversations:create': (req) => people.creations.create(req),
    'conversations:retryCreation': (req) => people.creations.retry(req.conversationId),
    'conversations:discardCreation': async (req) => people.creations.discard(req.conversationId),
    'conversations:typing': async (req) => {
      people.live.setTyping(req.conversationId, req.isTyping);
      return null;
    },
    'diagnostics:collect': () => diagnostics.collect(),
    'diagnostics:save': (req) => diagnostics.save(req.bundleId),
    'diagnostics:showLogsFolder': () => diagnostics.showLogsFolder(),
    'conversations:view': attention.handlers['conversations:view'],
    'preferences:get': preferences.handlers['preferences:get'],
    'preferences:set': preferences.handlers['preferences:set'],
    'notifications:list': () => Promise.resolve(notifications.list()),
    'notifications:dismiss': (req) => {
      notifications.dismiss(req.id);
      return Promise.resolve(null);
    },
    ...search.handlers,
    'log:write': (req) => {
      rendererLog.write(req);
      return Promise.resolve(null);
    },
    ...support.handlers,
  } satisfies Handlers, metrics);

  let state: 'idle' | 'started' | 'stopped' = 'idle';

  const core: Core = {
    handlers,
    events,
    log,
    async start() {
      if (state !== 'idle') return;
      state = 'started';
      metrics.coreStarted();
      // The endpoint is for monitoring only: a busy port must not keep anyone from messaging.
      await metricsServer
        ?.start()
        .catch((error: unknown) => log.warn(`metrics: endpoint not started on port ${metricsPort}`, error));
      delivery.start();
      people.start();
      search.start();
      support.start();
      // Raised at start, before the window listens: the window asks for it with notifications:list.
      if (store.movedAsideTo !== null) notifications.raise('DB_CORRUPT', 'store');
      log.info(`core: started (server ${options.serverUrl})`);
      await connectionStack.start();
    },
    notifySystem(event) {
      metrics.systemEvent(event);
      log.info(`system: ${event}`);
      if (state === 'started') connectionStack.notifySystem(event);
    },
    getPendingCount() {
      return commands.pendingCount();
    },
    incoming: attention.incoming,
    view: attention.view,
    preferences,
    metrics,
    diagnostics,
    stop() {
      state = 'stopped';
      return lifetime.dispose();
    },
  };
  return {
    core,
    internals: { context, connection: link, delivery, diagnostics, metricsPort: () => metricsServer?.port ?? null },
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
}
