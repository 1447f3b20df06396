import fs from 'node:fs';
import path from 'node:path';
import type {
  InvokeChannel,
  ParsedReq,
  Res,
} from '../../shared/contract';
import { AppError } from '../../shared/errors';
import { systemClock, type Clock } from './clock';
import type { ConnectionService } from './connection';
import { createConnectionStack } from './connection/wiring';
import { CoreEventBus, type CoreEvents } from './events';
import { createCoreDiagnostics, type DiagnosticsRegistry } from './diagnostics';
import { createFileLogger, createRendererLogWriter, type Logger } from './logging';
import { DEFAULT_TIMING, type CoreOptions, type Timing } from './options';
import { MemorySecretStore, type SecretStore } from './secret-store';
import { openDatabase, type DB } from './store/database';

export type { CoreOptions, Timing, AppInfo } from './options';
export type { CoreEvents } from './events';

/** One async function per invoke channel; each throws AppError for expected failures. */
export type Handlers = { [C in InvokeChannel]: (req: ParsedReq<C>) => Promise<Res<C>> };

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
}>;

function notImplemented(channel: InvokeChannel): () => Promise<never> {
  return () => Promise.reject(new AppError('NOT_IMPLEMENTED', `${channel} is not available yet.`));
}

export function createCore(options: CoreOptions): Core {
  fs.mkdirSync(options.dataDir, { recursive: true });
  const logsDir = path.join(options.dataDir, 'logs');
  const log = options.logger ?? createFileLogger({ dir: logsDir, console: options.logToConsole ?? false });
  const timing: Timing = { ...DEFAULT_TIMING, ...options.timing };
  const events = new CoreEventBus({ batchMs: timing.eventBatchMs });
  const clock = options.clock ?? systemClock;
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
  };

  const rendererLog = createRendererLogWriter(log.scope('renderer'), () => context.clock.now());
  const diagnostics = createCoreDiagnostics(context, logsDir, () => handlers);
  // Auth and the connection; `link` is the ServerLink delivery talks to (issue 4 plugs in
  // `link.setPendingCountProvider(…)` and subscribes to onDidConnect/onFrame).
  const connectionStack = createConnectionStack(context);
  const link: ConnectionService = connectionStack.connection;

  const handlers: Handlers = {
    ...connectionStack.handlers,
    'conversations:list': notImplemented('conversations:list'),
    'messages:list': notImplemented('messages:list'),
    'messages:send': notImplemented('messages:send'),
    'messages:markRead': notImplemented('messages:markRead'),
    'outbox:list': notImplemented('outbox:list'),
    'outbox:retry': notImplemented('outbox:retry'),
    'outbox:discard': notImplemented('outbox:discard'),
    'outbox:confirm': notImplemented('outbox:confirm'),
    'diagnostics:collect': () => diagnostics.collect(),
    'diagnostics:save': (req) => diagnostics.save(req.bundleId),
    'diagnostics:showLogsFolder': () => diagnostics.showLogsFolder(),
    'log:write': (req) => {
      rendererLog.write(req);
      return Promise.resolve(null);
    },
  };

  let state: 'idle' | 'started' | 'stopped' = 'idle';
  let stopping: Promise<void> | null = null;

  return {
    handlers,
    events,
    log,
    dataDir: options.dataDir,
    connection: link,
    diagnostics,
    start() {
      if (state !== 'idle') return Promise.resolve();
      state = 'started';
      log.info(`core: started (server ${options.serverUrl})`);
      return connectionStack.start();
    },
    notifySystem(event) {
      log.info(`system: ${event}`);
      if (state === 'started') connectionStack.notifySystem(event);
    },
    getPendingCount() {
      return 0;
    },
    stop() {
      stopping ??= (async () => {
        state = 'stopped';
        connectionStack.stop();
        events.flush();
        rendererLog.flush();
        diagnostics.dispose();
        events.clear();
        // The database closes last: everything above may still write to it while stopping.
        db.close();
        log.info('core: stopped');
      })();
      return stopping;
    },
  };
}
