import fs from 'node:fs';
import path from 'node:path';
import type {
  ConnectionSnapshot,
  InvokeChannel,
  ParsedReq,
  Res,
} from '../../shared/contract';
import { AppError, ERROR_INFO } from '../../shared/errors';
import { newErrorId } from './errors';
import { systemClock, type Clock } from './clock';
import { CoreEventBus, type CoreEvents } from './events';
import { createFileLogger, type Logger } from './logging';
import { DEFAULT_TIMING, type CoreOptions, type Timing } from './options';
import { MemorySecretStore, type SecretStore } from './secret-store';
import type { DB } from './store/database';
import { openStore } from './store/open';
import { offlineLink } from './outbox/offline-link';
import { createDeliveryService, DEFAULT_OUTBOX_LIMITS, type DeliveryService } from './outbox/service';
import type { OutboxSummary } from './store/outbox';

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
  start(): Promise<void>;
  notifySystem(event: SystemEvent): void;
  /** Messages not yet acknowledged by the server; the quit guard asks before leaving them. */
  getPendingCount(): number;
  /** Outbox counts by state, ages, attempts and error codes (no text), for diagnostics. */
  getOutboxSummary(): OutboxSummary;
  readonly delivery: DeliveryService;
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
  const log =
    options.logger ??
    createFileLogger({ dir: path.join(options.dataDir, 'logs'), console: options.logToConsole ?? false });
  const events = new CoreEventBus();
  const clock = options.clock ?? systemClock;
  const timing: Timing = { ...DEFAULT_TIMING, ...options.timing };
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
  };

  const delivery = createDeliveryService({
    db,
    link: options.link ?? offlineLink,
    clock,
    random: context.random,
    timing,
    limits: { ...DEFAULT_OUTBOX_LIMITS, ...options.outboxLimits },
    log: log.scope('delivery'),
    events,
  });

  const rendererLog = log.scope('renderer');
  const connectionSnapshot = (): ConnectionSnapshot => ({
    state: 'CLOSED',
    reason: 'signed out',
    since: context.clock.now(),
    attempt: 0,
    nextAttemptAt: null,
    lastRttMs: null,
    isOsOffline: false,
    pendingCount: delivery.pendingCountForCurrentUser(),
  });

  const handlers: Handlers = {
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
    'conversations:list': delivery.handlers['conversations:list'],
    'messages:list': delivery.handlers['messages:list'],
    'messages:send': delivery.handlers['messages:send'],
    'messages:markRead': delivery.handlers['messages:markRead'],
    'outbox:list': delivery.handlers['outbox:list'],
    'outbox:retry': delivery.handlers['outbox:retry'],
    'outbox:discard': delivery.handlers['outbox:discard'],
    'outbox:confirm': delivery.handlers['outbox:confirm'],
    'connection:get': () => Promise.resolve({ snapshot: connectionSnapshot(), history: [] }),
    'connection:retryNow': notImplemented('connection:retryNow'),
    'diagnostics:collect': notImplemented('diagnostics:collect'),
    'diagnostics:save': notImplemented('diagnostics:save'),
    'diagnostics:showLogsFolder': notImplemented('diagnostics:showLogsFolder'),
    'log:write': (req) => {
      rendererLog.scope(req.scope)[req.level](req.message);
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
    start() {
      if (state !== 'idle') return Promise.resolve();
      state = 'started';
      delivery.start();
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
      return Promise.resolve();
    },
    notifySystem(event) {
      log.info(`system: ${event}`);
    },
    getPendingCount() {
      return delivery.pendingCount();
    },
    getOutboxSummary() {
      return delivery.summary();
    },
    delivery,
    stop() {
      stopping ??= (async () => {
        state = 'stopped';
        delivery.stop();
        events.clear();
        // The database closes last: everything above may still write to it while stopping.
        db.close();
        log.info('core: stopped');
      })();
      return stopping;
    },
  };
}
