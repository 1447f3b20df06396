import { AuthService } from '../auth';
import type { CoreContext, Handlers, SystemEvent } from '../context';
import { ConnectionService } from './service';

type ConnectionHandlers = Pick<
  Handlers,
  'auth:login' | 'auth:verify2fa' | 'auth:logout' | 'auth:status' | 'connection:get' | 'connection:retryNow'
>;

export type ConnectionStack = Readonly<{
  auth: AuthService;
  /** Implements ServerLink: this is what delivery talks to. */
  connection: ConnectionService;
  handlers: ConnectionHandlers;
  start(): Promise<void>;
  notifySystem(event: SystemEvent): void;
  stop(): void;
}>;

/** Auth and connection, wired to the core's events and handlers (the composition root calls this once). */
export function createConnectionStack(context: CoreContext): ConnectionStack {
  const { options, timing, clock, events, log, metrics, notifications, changes } = context;
  const auth = new AuthService({
    serverUrl: options.serverUrl,
    isDemoServer: options.isDemoServer ?? false,
    secretStore: context.secretStore,
    clock,
    timing,
    log: log.scope('auth'),
    metrics,
  });
  const connection = new ConnectionService({
    serverUrl: options.serverUrl,
    auth: {
      userId: () => auth.user?.id ?? null,
      currentAccessToken: () => auth.currentAccessToken(),
      freshAccessToken: () => auth.freshAccessToken(),
      refresh: () => auth.refresh(),
      request: (method, path, body, headers) => auth.request(method, path, body, headers),
    },
    clock,
    random: context.random,
    timing,
    log: log.scope('connection'),
    metrics,
    changes,
  });

  let isStarted = false;
  auth.onDidChange((cause, revocation) => {
    events.emit('auth:changed', auth.status());
    if (cause === 'signed_in' && isStarted) connection.start();
    if (cause === 'signed_out') connection.close('signed out');
    if (cause === 'revoked') {
      // The outbox is not touched: its rows wait for the next sign-in.
      connection.close('signed out: session revoked');
      notifications.raise(revocation ?? 'TOKEN_REVOKED', 'session');
    }
  });
  connection.onDidChange((snapshot) => events.emit('connection:changed', snapshot));
  connection.onDidNotice((notice) => notifications.raise(notice.code, 'connection'));

  const handlers: ConnectionHandlers = {
    'auth:login': (req) => auth.login(req.email, req.password),
    'auth:verify2fa': (req) => auth.verifyTwoFactor(req.challengeId, req.code),
    'auth:logout': async () => {
      await auth.logout();
      return null;
    },
    'auth:status': () => Promise.resolve(auth.status()),
    'connection:get': () => Promise.resolve({ snapshot: connection.snapshot(), history: connection.history() }),
    'connection:retryNow': async () => {
      connection.retryNow();
      return Promise.resolve(null);
    },
  };

  return {
    auth,
    connection,
    handlers,
    async start() {
      await auth.load();
      isStarted = true;
      connection.start();
    },
    notifySystem: (event) => connection.notifySystem(event),
    stop() {
      isStarted = false;
      connection.dispose();
      auth.dispose();
    },
  };
}
