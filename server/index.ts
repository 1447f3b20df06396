/**
 * The reference nova-compat server, usable in-process (tests, `npm start`'s embedded peer)
 * and from the CLI. It never ships inside the desktop app.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, Server } from 'node:http';
import type { Socket } from 'node:net';
import { randomBytes } from 'node:crypto';
import bcrypt from 'bcryptjs';
import { CloseCode, MAX_PLAINTEXT_LENGTH } from '../src/shared/protocol';
import type { ServerFrame } from '../src/shared/protocol';
import type { AuthConfig } from './auth';
import { bumpTokenGeneration, getUserByEmail, listMessages, openDatabase } from './db';
import { closeAuthSockets, isoNow, newFaultState, performSend, sendFrame, toMessage } from './core';
import type { FailSpec, ServerContext } from './core';
import { handleAdmin } from './faults-endpoint';
import { allowedHostNames, isLoopbackName } from './guard';
import type { HalfOpenMode, RestartOptions, ServerControl, ServerHandle, ServerOptions } from './handle';
import { handleHttp } from './http';
import { silentLogger } from './logger';
import type { Logger } from './logger';
import { AdmissionSchedule, FixedWindowLimiter } from './rateLimit';
import { SignInThrottle } from './signin';
import type { SignInThrottleOptions } from './signin';
import { seedDemo } from './seed';
import type { SeedResult } from './seed';
import { createWss, handleUpgrade } from './ws';

export type { FailSpec, SeedResult, Logger, SignInThrottleOptions };
export type { HalfOpenMode, RestartOptions, ServerControl, ServerHandle, ServerOptions };
export { seedDemo, DEMO_EMAILS, DEMO_PASSWORD } from './seed';

/** How long a shutdown waits for clients to answer the close handshake. */
const CLOSE_GRACE_MS = 500;
/** Re-admission rate assumed for the `reconnect` hint when no admission limit is configured. */
const DEFAULT_READMIT_PER_SECOND = 500;
/** The share of the admission rate a `reconnect` hint plans to use. */
const READMIT_SHARE = 0.8;

export async function startServer(options: ServerOptions = {}): Promise<ServerHandle> {
  const host = options.host ?? '127.0.0.1';
  if (options.legacyNova && !isLoopbackName(host)) {
    throw new Error(
      `--legacy-nova listens on loopback only (got host ${host}): it reproduces real Nova's flaws ` +
        '(the socket trusts the user_id it is given, a refresh token works as an access token, ' +
        'logout revokes nothing), which anyone who can reach the port could use',
    );
  }
  const clock = options.clock ?? Date.now;
  const dataFile = options.dataFile ?? ':memory:';
  const secret =
    typeof options.jwtSecret === 'string'
      ? new TextEncoder().encode(options.jwtSecret)
      : (options.jwtSecret ?? randomBytes(32));
  const legacy = options.legacyNova ?? false;
  const bcryptRounds = options.bcryptRounds ?? 10;
  const throttle = options.signInThrottle ?? true;
  const faultsToken = options.faultsEndpoint ? randomBytes(24).toString('base64url') : null;
  const auth: AuthConfig = {
    secret,
    accessTtlS: options.accessTokenTtlS ?? 3600,
    refreshTtlS: options.refreshTokenTtlS ?? 30 * 24 * 3600,
    twoFactorTtlS: options.twoFactorTtlS ?? 300,
    clock,
    lax: legacy,
  };
  const ctx: ServerContext = {
    db: openDatabase(dataFile),
    auth,
    log: options.logger ?? silentLogger,
    clock,
    legacy,
    opts: {
      maxPayloadSize: options.maxPayloadSize ?? 1_048_576,
      // The schema's character cap is the ceiling: UTF-8 bytes never undercount UTF-16 units.
      maxMessageBytes: Math.min(options.maxMessageBytes ?? MAX_PLAINTEXT_LENGTH, MAX_PLAINTEXT_LENGTH),
      pingIntervalMs: options.pingIntervalMs ?? 30_000,
      idleTimeoutMs: options.idleTimeoutMs ?? 75_000,
    },
    faults: newFaultState(),
    conns: new Map(),
    connsByUser: new Map(),
    limiter: options.rateLimit ? new FixedWindowLimiter(options.rateLimit.limit, options.rateLimit.windowMs) : null,
    signIn: throttle === false ? null : new SignInThrottle(throttle === true ? {} : throttle),
    dummyPasswordHash: await bcrypt.hash(randomBytes(16).toString('hex'), bcryptRounds),
    allowedHosts: allowedHostNames(host, options.publicHosts ?? []),
    admission:
      options.admissionPerSecond !== undefined ? new AdmissionSchedule(options.admissionPerSecond) : null,
    stats: { connectionAttempts: 0, connectionsAccepted: 0, upgradesRefused: 0, framesReceived: 0 },
    heldSockets: new Set(),
  };
  const seed = options.seed
    ? seedDemo(ctx.db, { bcryptRounds, now: clock })
    : null;
  const wss = createWss(ctx);
  const tcpSockets = new Set<Socket>();
  let server: Server = createHttpServer();
  let port = await listen(server, options.port ?? 0);
  ctx.log.info('server: listening', { host, port, mode: legacy ? 'legacy-nova' : 'nova-compat', dataFile });
  let closed = false;
  const unfreeze = (): void => {
    if (!ctx.faults.frozen) return;
    ctx.faults.frozen = false;
    for (const c of ctx.conns.values()) c.ws.resume();
  };

  function createHttpServer(): Server {
    const s = createServer((req, res) => {
      if (faultsToken !== null && (req.url ?? '').startsWith('/__faults')) {
        void handleAdmin(ctx, control, faultsToken, req, res);
        return;
      }
      void handleHttp(ctx, req, res);
    });
    s.on('connection', (sock: Socket) => {
      tcpSockets.add(sock);
      sock.once('close', () => tcpSockets.delete(sock));
    });
    s.on('upgrade', (req: IncomingMessage, socket, head: Buffer) => handleUpgrade(ctx, wss, req, socket, head));
    s.on('clientError', (_err, socket) => socket.destroy());
    return s;
  }

  async function shutdown(how: Readonly<{ downMs: number; announce: boolean; crash: boolean }> = { downMs: 0, announce: false, crash: false }): Promise<void> {
    unfreeze();
    const conns = [...ctx.conns.values()];
    // The server's own schedule: listening again `downMs` after this announcement (restart keeps
    // to it), and taking everyone back within sockets ÷ (80 % of the admission rate): clients
    // that each draw a moment at random bunch up by chance, and the 20 % headroom absorbs that
    // instead of turning the bunches away with 503s.
    const readmitPerSecond = READMIT_SHARE * (options.admissionPerSecond ?? DEFAULT_READMIT_PER_SECOND);
    const hint: ServerFrame = {
      type: 'reconnect',
      retry_after_ms: how.downMs,
      spread_ms: Math.ceil((conns.length * 1000) / readmitPerSecond),
      reason: 'restart',
    };
    const closing = conns.map(
      (c) =>
        new Promise<void>((resolve) => {
          if (c.ws.readyState === c.ws.CLOSED) return resolve();
          c.ws.once('close', () => resolve());
          if (how.crash) {
            c.ws.terminate();
          } else if (how.announce && !c.legacy) {
            // Nova has no such frame: legacy sockets get the plain shutdown close.
            sendFrame(ctx, c, hint);
            c.ws.close(CloseCode.SERVICE_RESTART, 'service_restart');
          } else {
            c.ws.close(CloseCode.GOING_AWAY, 'server_shutdown');
          }
        }),
    );
    // a client that never answers the close handshake must not hold the shutdown hostage
    const grace = new Promise<void>((resolve) => setTimeout(resolve, CLOSE_GRACE_MS).unref());
    await Promise.race([Promise.all(closing), grace]);
    for (const c of ctx.conns.values()) c.ws.terminate();
    for (const s of ctx.heldSockets) s.destroy();
    ctx.heldSockets.clear();
    const closedServer = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    for (const s of tcpSockets) s.destroy();
    await closedServer;
  }

  const control: ServerControl = {
    dropAllSockets: (opts = {}) => {
      const conns = [...ctx.conns.values()];
      for (const c of conns) {
        if (opts.code !== undefined) c.ws.close(opts.code, opts.reason ?? 'dropped');
        else c.ws.terminate();
      }
      return conns.length;
    },
    halfOpen: (mode) => {
      ctx.faults.holdUpgrades = mode === 'upgrades';
      if (mode === 'freeze') {
        ctx.faults.frozen = true;
        for (const c of ctx.conns.values()) c.ws.pause();
      } else {
        unfreeze();
      }
      if (mode === 'off') {
        for (const s of ctx.heldSockets) s.destroy();
        ctx.heldSockets.clear();
      }
    },
    delayAcks: (ms) => {
      ctx.faults.ackDelayMs = Math.max(0, ms);
    },
    failNextSends: (n, spec) => {
      ctx.faults.failSends = n > 0 ? { remaining: n, spec } : null;
    },
    throttleNextSends: (n, retryAfterMs) => {
      control.failNextSends(n, { nackCode: 'RATE_LIMITED', retryable: true, retryAfterMs });
    },
    unavailable: (ms) => {
      ctx.faults.unavailableUntilMs = ms > 0 ? clock() + ms : 0;
    },
    revokeUser: (email) => {
      const user = getUserByEmail(ctx.db, email);
      if (!user) throw new Error(`revokeUser: no user ${email}`);
      bumpTokenGeneration(ctx.db, user.id, isoNow(ctx));
      return closeAuthSockets(ctx, (c) => c.userId === user.id, 'TOKEN_REVOKED');
    },
    rejectLogins: (on, opts = {}) => {
      ctx.faults.rejectLogins = on ? { status: opts.status ?? 503 } : null;
    },
    restart: async (opts = {}) => {
      ctx.log.info('server: restarting', { port, downMs: opts.downMs ?? 0, announce: opts.announce ?? false, crash: opts.crash ?? false });
      const announcedAt = Date.now();
      const downMs = opts.downMs ?? 0;
      await shutdown({ downMs, announce: opts.announce ?? false, crash: opts.crash ?? false });
      if (dataFile !== ':memory:') {
        ctx.db.close();
        ctx.db = openDatabase(dataFile);
      }
      // An announced restart keeps the time it announced (closing is part of the downtime).
      const waitMs = opts.announce ? Math.max(0, downMs - (Date.now() - announcedAt)) : downMs;
      if (waitMs > 0) await new Promise((r) => setTimeout(r, waitMs));
      server = createHttpServer();
      port = await listen(server, port);
    },
    reset: () => {
      const fresh = newFaultState();
      control.halfOpen('off');
      Object.assign(ctx.faults, fresh);
      ctx.limiter?.reset();
      ctx.admission?.reset();
      ctx.signIn?.reset();
    },
    listMessages: (conversationId) =>
      listMessages(ctx.db, conversationId, { limit: Number.MAX_SAFE_INTEGER }).map(toMessage),
    // counts OPEN sockets only: a socket we are closing is gone as far as a client can tell
    socketCount: (email) => {
      const user = email === undefined ? undefined : getUserByEmail(ctx.db, email);
      if (email !== undefined && !user) return 0;
      const pool = user ? (ctx.connsByUser.get(user.id) ?? new Set()) : ctx.conns.values();
      let n = 0;
      for (const c of pool) if (c.ws.readyState === c.ws.OPEN) n += 1;
      return n;
    },
    connectionAttempts: () => ctx.stats.connectionAttempts,
    stats: () => ({ ...ctx.stats, sockets: ctx.conns.size }),
    faultState: () => ({ ...ctx.faults }),
    userId: (email) => getUserByEmail(ctx.db, email)?.id,
    sendAs: (email, conversationId, plaintext, idempotencyKey) => {
      const user = getUserByEmail(ctx.db, email);
      if (!user) throw new Error(`sendAs: no user ${email}`);
      const r = performSend(ctx, {
        conversationId,
        senderId: user.id,
        plaintext,
        idempotencyKey: idempotencyKey ?? null,
        clientSeq: null,
        deviceId: null,
      });
      if (!r.ok) throw new Error(`sendAs: ${r.code} ${r.error}`);
      return toMessage(r.message);
    },
    db: () => ctx.db,
  };

  return {
    get url() {
      return `http://${host}:${port}`;
    },
    get wsUrl() {
      return `ws://${host}:${port}/ws`;
    },
    get port() {
      return port;
    },
    host,
    control,
    seed,
    faultsToken,
    close: async () => {
      if (closed) return;
      closed = true;
      await shutdown();
      ctx.db.close();
    },
  };

  function listen(s: Server, p: number): Promise<number> {
    return new Promise((resolve, reject) => {
      s.once('error', reject);
      s.listen(p, host, () => {
        s.off('error', reject);
        const addr = s.address();
        resolve(typeof addr === 'object' && addr ? addr.port : p);
      });
    });
  }
}
