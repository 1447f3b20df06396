import type ReconnectingWebSocket from 'reconnecting-websocket';
import type { Timing } from '../options';
import WebSocket from 'ws';
import type { ConnectionSnapshot, ConnectionState, ConnectionTransition, Unsubscribe } from '../../../shared/contract';
import { AppError, type ErrorCode } from '../../../shared/errors';
import { CloseCode, PROTOCOL_VERSION } from '../../../shared/protocol';
import type { Clock, TimerHandle } from '../clock';
import type { BodyReader, ClientFrame, LinkMode, LinkResponse, ParsedResponse, ServerCapabilities, ServerFrame, ServerLink } from '../link';
import type { Logger } from '../logging';
import type { Metrics, ReconnectReason } from '../metrics';
import { RejectedData, parseResponse } from '../server-data';
import { serverDelayMs, type BackoffPolicy } from './backoff';
import { closePolicy, type CloseCause } from './close-policy';
import { createAuthorizedSocketClass, createDialer, type AuthorizedSocketClass } from './dialer';
import { Heartbeat } from './heartbeat';
import { Attempt } from './attempt';
import { ConversationSockets, type LinkSocket } from './legacy';
import { LegacyDialer } from './legacy-dialer';
import { ConnectionStateMachine } from './states';

/** The delays the connection uses; each is explained where it is declared, in `Timing`. */
export type ConnectionTiming = Pick<
  Timing,
  | 'backoffBaseMs'
  | 'backoffCapMs'
  | 'giveUpAfterFailures'
  | 'slowRetryMs'
  | 'resetAfterConnectedMs'
  | 'heartbeatIntervalMs'
  | 'heartbeatTimeoutMs'
  | 'resumePingTimeoutMs'
  | 'longSleepMs'
  | 'handshakeWaitMs'
  | 'connectTimeoutMs'
  | 'closeTimeoutMs'
  | 'eventBatchMs'
>;

/** What the connection needs from auth; the AuthService provides it, benchmarks stub it. */
export interface LinkAuth {
  userId(): string | null;
  /** The token in hand, without I/O; compared with the one a rejected socket used. */
  currentAccessToken(): string | null;
  /** A token good for a while; may refresh. Throws AppError (NETWORK_ERROR, TOKEN_REVOKED, …). */
  freshAccessToken(): Promise<string>;
  /** Forces a refresh (after a 401 or 4001). Throws TOKEN_REVOKED when the session is dead. */
  refresh(): Promise<string>;
  request: ServerLink['request'];
}

export type ConnectionServiceOptions = Readonly<{
  serverUrl: string;
  auth: LinkAuth;
  clock: Clock;
  random: () => number;
  timing: ConnectionTiming;
  log: Logger;
  /** Moved on every transition, socket event, reconnect, heartbeat and frame. */
  metrics: Metrics;
}>;

/** Counters for tests, diagnostics and metrics; no tokens, no URLs. */
export type ConnectionStats = {
  socketsCreated: number;
  attemptsStarted: number;
  connects: number;
  heartbeatTimeouts: number;
  /** Times a new socket was created while the previous one was still open (must stay 0). */
  overlappingSockets: number;
  maxOpenSockets: number;
};

/** A notice the core turns into a toast: update required, session revoked. */
export type ConnectionNotice = Readonly<{ code: ErrorCode }>;

type NextDial = number | 'now' | 'never' | null;

/** What a failed attempt or a lost link leads to; `why` is the metrics' reconnect reason. */
type Failure = Readonly<{
  why: ReconnectReason;
  reason: string;
  retryAfterMs?: number | null;
  dialAtOnce?: boolean;
  serverDirectedDelayMs?: number | null;
}>;

const SESSION_DEAD: ReadonlySet<ErrorCode> = new Set(['TOKEN_REVOKED', 'NOT_SIGNED_IN', 'UNAUTHORIZED']);

function errorCodeOf(error: unknown): ErrorCode {
  return error instanceof AppError ? error.code : 'UNKNOWN_ERROR';
}

/**
 * The connection manager: Nova's six states over reconnecting-websocket, with full-jitter
 * backoff, a give-up threshold with slow retries, a heartbeat, OS sleep/network awareness,
 * close-code policy and auth refresh. Implements ServerLink for delivery.
 */
export class ConnectionService implements ServerLink {
  private readonly machine: ConnectionStateMachine;
  private readonly heartbeat: Heartbeat;
  private readonly policy: BackoffPolicy;
  private readonly socketClass: AuthorizedSocketClass;
  private readonly rejected: RejectedData;

  private dialer: ReconnectingWebSocket | null = null;
  /** Bumped on every start and close, so callbacks of an old dialer become no-ops. */
  private generation = 0;
  /** The current dial: one `ws` socket (nova-compat) or the per-conversation set (legacy Nova), and its timers. */
  private current: Attempt | null = null;
  private readonly openSockets = new Set<LinkSocket>();
  /** Null until the server has shown what it is; a new session probes nova-compat first. */
  private mode: LinkMode | null = null;
  /** Dials per conversation once the server turned out to be legacy Nova; null until then. */
  private legacy: LegacyDialer | null = null;
  /** The token for the compat dialer's next socket, taken once by the socket class. */
  private pendingToken: string | null = null;
  /** The REST probe after a handshake that failed without a status (§8.1); one at a time. */
  private probe: Promise<void> | null = null;

  private attemptNumber = 0;
  private failures = 0;
  private authRetries = 0;
  private nextDial: NextDial = null;
  private needsRefresh = false;
  private isUpdateRequired = false;
  private waiter: (() => void) | null = null;
  private waitTimer: TimerHandle | null = null;
  private emitTimer: TimerHandle | null = null;

  private isOsOffline = false;
  /** Retry now was pressed: dial even while the OS says offline. */
  private isUserForced = false;
  /** The heartbeat probe in flight was sent on resume: if it fails, dial at once. */
  private resumeProbe = false;
  private suspendedAt: number | null = null;
  private lastRttMs: number | null = null;
  private watched: readonly string[] = [];
  private pendingCount: () => number = () => 0;

  private readonly stats: ConnectionStats = {
    socketsCreated: 0,
    attemptsStarted: 0,
    connects: 0,
    heartbeatTimeouts: 0,
    overlappingSockets: 0,
    maxOpenSockets: 0,
  };

  private readonly changeListeners = new Set<(snapshot: ConnectionSnapshot) => void>();
  private readonly transitionListeners = new Set<(transition: ConnectionTransition) => void>();
  private readonly connectListeners = new Set<(capabilities: ServerCapabilities) => void>();
  private readonly disconnectListeners = new Set<(reason: string) => void>();
  private readonly frameListeners = new Set<(frame: ServerFrame) => void>();
  private readonly noticeListeners = new Set<(notice: ConnectionNotice) => void>();

  constructor(private readonly options: ConnectionServiceOptions) {
    this.machine = new ConnectionStateMachine(() => options.clock.now());
    this.rejected = new RejectedData(options.metrics, options.log);
    options.metrics.connectionState(this.machine.state);
    this.policy = { baseMs: options.timing.backoffBaseMs, capMs: options.timing.backoffCapMs };
    this.heartbeat = new Heartbeat(
      options.clock,
      {
        sendPing: (sentAt) => this.sendPing(sentAt),
        onTimeout: (waited) => this.onHeartbeatTimeout(waited),
        onRoundTrip: (rtt) => {
          this.lastRttMs = rtt;
          options.metrics.heartbeatRtt(rtt);
          this.changed();
        },
      },
      options.timing.heartbeatIntervalMs,
      options.timing.heartbeatTimeoutMs,
    );
    this.socketClass = createAuthorizedSocketClass({
      takeToken: () => {
        const token = this.pendingToken;
        this.pendingToken = null;
        return token;
      },
      onCreated: (socket, token) => this.adopt(socket, token),
      onRefused: (socket, status, headers) => this.onSocketRefused(socket, status, headers),
      closeTimeoutMs: options.timing.closeTimeoutMs,
    });
  }

  // ---- Public surface ---------------------------------------------------------------------

  get state(): ConnectionState {
    return this.machine.state;
  }

  snapshot(): ConnectionSnapshot {
    return {
      state: this.machine.state,
      reason: this.machine.reason,
      since: this.machine.since,
      attempt: this.attemptNumber,
      nextAttemptAt: typeof this.nextDial === 'number' ? this.nextDial : null,
      lastRttMs: this.lastRttMs,
      isOsOffline: this.isOsOffline,
      pendingCount: this.pendingCount(),
    };
  }

  history(): ConnectionTransition[] {
    return this.machine.history();
  }

  getStats(): Readonly<ConnectionStats> {
    return { ...this.stats };
  }

  /** Delivery plugs in the outbox size, so the banner can say how many messages are safe. */
  setPendingCountProvider(provider: () => number): void {
    this.pendingCount = provider;
    this.changed();
  }

  /** The outbox changed: the snapshot's pending count did too (coalesced like any change). */
  pendingCountChanged(): void {
    this.changed();
  }

  /** Coalesced: at most one call per `eventBatchMs`, always with the latest snapshot. */
  onDidChange(listener: (snapshot: ConnectionSnapshot) => void): Unsubscribe {
    return subscribe(this.changeListeners, listener);
  }

  /** Every transition, synchronously (tests, metrics). */
  onDidTransition(listener: (transition: ConnectionTransition) => void): Unsubscribe {
    return subscribe(this.transitionListeners, listener);
  }

  onDidNotice(listener: (notice: ConnectionNotice) => void): Unsubscribe {
    return subscribe(this.noticeListeners, listener);
  }

  /** Begins connecting (CLOSED → CONNECTING). No-op unless CLOSED and signed in. */
  start(): void {
    if (this.machine.state !== 'CLOSED' || this.options.auth.userId() === null) return;
    this.generation += 1;
    const generation = this.generation;
    this.attemptNumber = 0;
    this.failures = 0;
    this.authRetries = 0;
    this.isUpdateRequired = false;
    this.needsRefresh = false;
    this.mode = null;
    this.nextDial = 'now';
    this.transition('CONNECTING', 'starting');
    this.dialer = createDialer({
      nextUrl: () => this.gate(generation),
      socketClass: this.socketClass,
      connectTimeoutMs: this.options.timing.connectTimeoutMs,
    });
  }

  /** Stops dialing and closes the socket (→ CLOSED). Safe in any state. */
  close(reason: string): void {
    this.generation += 1;
    this.legacy?.dispose();
    this.legacy = null;
    const dialer = this.dialer;
    this.dialer = null;
    this.heartbeat.stop();
    this.nextDial = null;
    // Resolve a pending wait so the old dialer's promise chain ends; its close flag stops it.
    dialer?.close(CloseCode.NORMAL, 'client closing');
    this.wake();
    const attempt = this.current;
    if (attempt) {
      this.endAttempt(attempt, { code: CloseCode.NORMAL, reason }, false);
      if (attempt.socket.readyState !== WebSocket.CLOSED) {
        attempt.socket.close(CloseCode.NORMAL, 'client closing');
        // Once our close frame is out the socket carries nothing more: it no longer counts as open.
        this.openSockets.delete(attempt.socket);
      }
    }
    if (this.machine.state !== 'CLOSED') this.transition('CLOSED', reason);
  }

  /** "Retry now": dial at once from any state but CLOSED, even while the OS says offline. */
  retryNow(): void {
    if (this.machine.state === 'CLOSED') throw new AppError('NOT_SIGNED_IN');
    if (this.machine.state === 'CONNECTED') {
      this.heartbeat.probeNow(this.options.timing.resumePingTimeoutMs);
      return;
    }
    this.isUpdateRequired = false;
    this.isUserForced = true;
    this.dialNow('retry now', 'manual');
  }

  notifySystem(event: 'suspend' | 'resume' | 'online' | 'offline'): void {
    const log = this.options.log;
    switch (event) {
      case 'offline': {
        this.isOsOffline = true;
        log.info('system: offline');
        if (this.machine.state === 'CONNECTED') {
          // The OS is often right but not always (network switch): let a quick probe decide.
          this.heartbeat.probeNow(this.options.timing.resumePingTimeoutMs);
        } else if (this.waiter !== null && this.machine.state !== 'CLOSED') {
          this.nextDial = 'never';
          this.transition('DISCONNECTED', 'waiting for network');
        }
        this.changed();
        return;
      }
      case 'online': {
        const wasOffline = this.isOsOffline;
        this.isOsOffline = false;
        log.info('system: online');
        if (this.machine.state === 'CONNECTED') this.heartbeat.probeNow(this.options.timing.resumePingTimeoutMs);
        else if (wasOffline || this.waiter !== null) this.dialNow('network back', 'network_change');
        this.changed();
        return;
      }
      case 'suspend': {
        this.suspendedAt = this.options.clock.now();
        // A heartbeat deadline that expires across the sleep would blame the link for the lid.
        this.heartbeat.stop();
        log.info('system: suspend');
        return;
      }
      case 'resume': {
        const asleepMs = this.suspendedAt === null ? 0 : this.options.clock.now() - this.suspendedAt;
        this.suspendedAt = null;
        log.info(`system: resume after ${Math.round(asleepMs / 1000)} s`);
        if (this.machine.state === 'CONNECTED') {
          if (asleepMs > this.options.timing.longSleepMs) {
            this.dropSocket(
            { code: CloseCode.NORMAL, reason: `resumed after ${Math.round(asleepMs / 60_000)} min asleep`, dropReason: 'resume' },
            true,
          );
          } else {
            this.startHeartbeat();
            this.heartbeat.probeNow(this.options.timing.resumePingTimeoutMs);
            this.resumeProbe = true;
          }
        } else if (this.machine.state !== 'CLOSED') {
          this.dialNow('resumed from sleep', 'resume');
        }
        return;
      }
    }
  }

  // ---- ServerLink -------------------------------------------------------------------------

  currentUserId(): string | null {
    return this.options.auth.userId();
  }

  capabilities(): ServerCapabilities | null {
    return this.machine.state === 'CONNECTED' ? (this.current?.capabilities ?? null) : null;
  }

  onDidConnect(listener: (capabilities: ServerCapabilities) => void): Unsubscribe {
    return subscribe(this.connectListeners, listener);
  }

  onDidDisconnect(listener: (reason: string) => void): Unsubscribe {
    return subscribe(this.disconnectListeners, listener);
  }

  onFrame(listener: (frame: ServerFrame) => void): Unsubscribe {
    return subscribe(this.frameListeners, listener);
  }

  sendFrame(frame: ClientFrame): boolean {
    const socket = this.current?.socket ?? null;
    if (this.machine.state !== 'CONNECTED' || socket === null || socket.readyState !== WebSocket.OPEN) return false;
    let isSent = true;
    if (socket instanceof ConversationSockets) isSent = socket.sendTo('conversation_id' in frame ? frame.conversation_id : null, JSON.stringify(frame));
    else socket.send(JSON.stringify(frame));
    if (isSent) this.options.metrics.frameSent(frame.type);
    return isSent;
  }

  request(
    method: 'GET' | 'POST' | 'PUT' | 'DELETE',
    path: string,
    body?: unknown,
    headers?: Readonly<Record<string, string>>,
  ): Promise<LinkResponse> {
    return this.options.auth.request(method, path, body, headers);
  }

  async requestParsed<T>(
    reader: BodyReader<T>,
    method: 'GET' | 'POST' | 'PUT' | 'DELETE',
    path: string,
    body?: unknown,
    headers?: Readonly<Record<string, string>>,
  ): Promise<ParsedResponse<T>> {
    const response = await this.options.auth.request(method, path, body, headers);
    return parseResponse(reader, response, (endpoint, reading) => this.rejected.body(endpoint, reading));
  }

  watchConversations(conversationIds: readonly string[]): void {
    this.watched = [...conversationIds];
    const socket = this.current?.socket;
    if (this.legacy === null || !(socket instanceof ConversationSockets) || socket.readyState !== WebSocket.OPEN) return;
    this.legacy.follow(socket, () => this.current?.socket === socket);
  }

  /** Conversations delivery asked to watch (legacy mode opens one socket each). */
  watchedConversations(): readonly string[] {
    return this.watched;
  }

  dispose(): void {
    this.close('stopped');
    this.clearTimer('emitTimer');
    for (const socket of this.openSockets) socket.terminate();
    this.changeListeners.clear();
    this.transitionListeners.clear();
    this.connectListeners.clear();
    this.disconnectListeners.clear();
    this.frameListeners.clear();
    this.noticeListeners.clear();
  }

  // ---- The gate: every dial passes through here ------------------------------------------

  /**
   * reconnecting-websocket calls this before every attempt (its own delays are zero). It
   * waits for our policy to allow the next dial, fetches a fresh token, and never rejects:
   * a rejected URL provider stops reconnecting-websocket for good (issues #134, #166).
   */
  private async gate(generation: number): Promise<string> {
    const token = await this.awaitTurnAndToken(generation);
    if (token !== null) this.beginAttempt(token);
    return this.dialUrl();
  }

  /**
   * Waits until our policy allows the next dial and returns a fresh token; null when this
   * dialer's generation has ended (closed, or replaced by the legacy dialer). Never rejects.
   */
  private async awaitTurnAndToken(generation: number): Promise<string | null> {
    for (;;) {
      if (generation !== this.generation) return null;
      // The previous socket may still be closing (connect timeout path): settle it first, so
      // two sockets are never open at once and its outcome is counted before we decide.
      this.settleSocket();
      await this.waitForTurn();
      // A REST probe in flight may be refreshing the token: dial with its outcome, not before.
      if (this.probe !== null) await this.probe;
      if (generation !== this.generation) return null;
      let token: string;
      try {
        token = this.needsRefresh ? await this.options.auth.refresh() : await this.options.auth.freshAccessToken();
        this.needsRefresh = false;
      } catch (error) {
        if (generation !== this.generation) return null;
        const code = errorCodeOf(error);
        if (SESSION_DEAD.has(code)) {
          // Auth has ended the session and tells the core, which owns the sticky notification.
          this.options.log.warn(`dial: session ended (${code})`);
          this.close('signed out: session revoked');
          return null;
        }
        this.attemptNumber += 1;
        this.stats.attemptsStarted += 1;
        this.afterFailure({ why: 'auth_refresh', reason: `token unavailable (${code})` });
        continue;
      }
      if (generation !== this.generation) return null;
      return token;
    }
  }

  /**
   * The server is real Nova (or behaves like it): from now on this session dials one socket per
   * watched conversation. Not a failure: the next dial is at once and counts nothing.
   */
  private switchToLegacy(why: string): void {
    this.mode = 'legacy';
    this.options.log.info(`dial: ${why}; legacy Nova mode (one socket per watched conversation)`);
    // Retire the compat dialer: its pending callbacks see a stale generation and stop.
    this.generation += 1;
    const dialer = this.dialer;
    this.dialer = null;
    dialer?.close(CloseCode.NORMAL, 'legacy Nova');
    this.wake();
    this.nextDial = 'now';
    this.changed();
    const generation = this.generation;
    const { serverUrl, clock, log, timing, auth } = this.options;
    this.legacy?.dispose();
    this.legacy = new LegacyDialer({
      serverUrl,
      clock,
      log,
      connectTimeoutMs: timing.connectTimeoutMs,
      closeTimeoutMs: timing.closeTimeoutMs,
      userId: () => auth.userId(),
      watched: () => this.watched,
      freshAccessToken: () => auth.freshAccessToken(),
      nextTurn: () => this.awaitTurnAndToken(generation),
      adopt: (set, token) => {
        this.beginAttempt(token);
        this.adopt(set, token);
      },
      refused: (set, status, headers) => this.onSocketRefused(set, status, headers),
    });
    void this.legacy.run();
  }

  private dialUrl(): string {
    const url = new URL('/ws', this.options.serverUrl.replace(/^http/, 'ws'));
    const userId = this.options.auth.userId();
    if (userId !== null) url.searchParams.set('user_id', userId);
    url.searchParams.set('protocol_version', PROTOCOL_VERSION);
    return url.toString();
  }

  private waitForTurn(): Promise<void> {
    let due = this.nextDial;
    const now = this.options.clock.now();
    if (this.isOsOffline && !this.isUserForced && due !== 'now' && this.machine.state !== 'CLOSED') {
      // The OS went offline after the last failure armed a backoff but before this wait began
      // (reconnecting-websocket calls us a tick after the close): burn no attempt meanwhile.
      due = 'never';
      this.nextDial = 'never';
      if (this.machine.state !== 'DISCONNECTED') this.transition('DISCONNECTED', 'waiting for network');
    }
    if (due === 'now' || (typeof due === 'number' && due <= now)) {
      this.nextDial = null;
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => {
      this.waiter = () => {
        this.nextDial = null;
        resolve();
      };
      if (typeof due === 'number') {
        this.waitTimer = this.options.clock.setTimeout(() => {
          this.waitTimer = null;
          this.wake();
        }, due - now);
      }
    });
  }

  private wake(): void {
    this.clearTimer('waitTimer');
    const waiter = this.waiter;
    this.waiter = null;
    waiter?.();
  }

  private dialNow(reason: string, why: ReconnectReason): void {
    if (this.machine.state === 'CLOSED') return;
    this.nextDial = 'now';
    if (this.waiter !== null) {
      this.options.log.info(`dial: now (${reason})`);
      // Only a wait cut short is a reconnect of its own; mid-attempt, the attempt's end counts it.
      this.options.metrics.reconnect(why, 0);
      if (this.machine.state === 'DISCONNECTED' || this.machine.state === 'ERROR') this.transition('RECONNECTING', reason);
      this.wake();
    }
    this.changed();
  }

  private beginAttempt(token: string): void {
    this.isUserForced = false;
    this.attemptNumber += 1;
    this.stats.attemptsStarted += 1;
    this.pendingToken = token;
    if (this.machine.state === 'DISCONNECTED' || this.machine.state === 'ERROR') {
      this.transition('RECONNECTING', `attempt ${this.attemptNumber}`);
    } else {
      this.changed();
    }
  }

  // ---- The current attempt ---------------------------------------------------------------

  /** A new socket (either dialer's): it becomes the current attempt, with nothing carried over. */
  private adopt(socket: LinkSocket, token: string | null): void {
    this.stats.socketsCreated += 1;
    const previous = this.current;
    if (previous !== null && previous.socket.readyState !== WebSocket.CLOSED) {
      // Cannot happen through the gate; if it ever does, the old one goes, never both.
      this.stats.overlappingSockets += 1;
      this.options.log.error('dial: a socket was still open when a new one was created; terminating it');
      this.endAttempt(previous, { code: CloseCode.ABNORMAL, reason: 'superseded' }, true);
      previous.socket.terminate();
    }
    previous?.dispose();
    const { clock, log, metrics, timing } = this.options;
    this.current = new Attempt(socket, token, {
      clock,
      log,
      metrics,
      rejected: this.rejected,
      handshakeWaitMs: timing.handshakeWaitMs,
      stableAfterMs: timing.resetAfterConnectedMs,
      events: {
        connected: (attempt, capabilities) => this.onConnected(attempt, capabilities),
        handshakeMissing: (attempt) => {
          // This socket carries no conversation: leave it quietly (no failure) and dial per conversation.
          this.endAttempt(attempt, { code: CloseCode.NORMAL, reason: 'legacy Nova' }, false);
          this.switchToLegacy('no handshake');
        },
        stable: () => {
          this.attemptNumber = 0;
          this.changed();
        },
        pong: () => this.onPong(),
        frame: (_attempt, frame) => {
          for (const listener of [...this.frameListeners]) listener(frame);
        },
        closed: (attempt, code, reason) => this.endAttempt(attempt, attempt.dropCause ?? { code, reason }, true),
        socketOpened: (opened) => {
          this.openSockets.add(opened);
          this.stats.maxOpenSockets = Math.max(this.stats.maxOpenSockets, this.openSockets.size);
        },
        socketClosed: (closed) => this.openSockets.delete(closed),
      },
    });
  }

  private onSocketRefused(socket: LinkSocket, status: number, headers: Readonly<Record<string, string>>): void {
    if (this.current?.socket === socket) this.current.noteRefusal(status, headers);
  }

  private onConnected(attempt: Attempt, capabilities: ServerCapabilities): void {
    attempt.markConnected(capabilities);
    this.mode = capabilities.mode;
    this.failures = 0;
    this.authRetries = 0;
    this.nextDial = null;
    this.stats.connects += 1;
    this.transition('CONNECTED', capabilities.mode === 'compat' ? 'handshake received' : 'legacy Nova: conversation sockets open');
    this.startHeartbeat();
    for (const listener of [...this.connectListeners]) listener(capabilities);
  }

  // ---- Heartbeat --------------------------------------------------------------------------

  private startHeartbeat(): void {
    const advertised = this.current?.capabilities?.pingIntervalMs ?? null;
    const interval = Math.min(this.options.timing.heartbeatIntervalMs, advertised ?? Number.POSITIVE_INFINITY);
    this.heartbeat.start(interval, this.options.timing.heartbeatTimeoutMs);
  }

  private sendPing(sentAt: number): boolean {
    const attempt = this.current;
    if (attempt === null || attempt.socket.readyState !== WebSocket.OPEN || attempt.capabilities === null) return false;
    if (attempt.capabilities.features.has('json_ping')) {
      attempt.socket.send(JSON.stringify({ type: 'ping', ts: sentAt }));
      this.options.metrics.frameSent('ping');
    } else {
      attempt.socket.ping();
    }
    return true;
  }

  private onPong(): void {
    this.heartbeat.pong();
    this.resumeProbe = false;
  }

  private onHeartbeatTimeout(waitedMs: number): void {
    this.stats.heartbeatTimeouts += 1;
    this.options.metrics.heartbeatTimeout();
    const afterResume = this.resumeProbe;
    this.resumeProbe = false;
    this.options.log.warn(`heartbeat: no pong in ${waitedMs} ms; terminating (4008)`);
    this.dropSocket({ code: CloseCode.HEARTBEAT_TIMEOUT, reason: 'heartbeat timeout' }, afterResume);
  }

  /** We end the link ourselves (heartbeat timeout, long sleep); its close is then processed as usual. */
  private dropSocket(cause: CloseCause, dialAtOnce: boolean): void {
    const attempt = this.current;
    if (attempt === null) return;
    if (dialAtOnce) this.nextDial = 'now';
    attempt.dropWith(cause);
  }

  // ---- Outcome of an attempt or a connection ------------------------------------------------

  /** If the current socket is no longer usable but its close was not processed, process it. */
  private settleSocket(): void {
    const attempt = this.current;
    if (attempt === null || attempt.isUsable) return;
    if (attempt.socket.readyState !== WebSocket.CLOSED) attempt.socket.terminate();
    this.endAttempt(attempt, attempt.dropCause ?? { code: CloseCode.ABNORMAL, reason: 'connect timeout', errorType: 'timeout' }, true);
  }

  /** The attempt is over: tell delivery if it had connected, and (`decide`) let the close policy pick what follows. */
  private endAttempt(attempt: Attempt, closeCause: CloseCause, decide: boolean): void {
    if (attempt !== this.current) return;
    this.current = null;
    this.heartbeat.stop();
    const { wasConnected, refusal, cause } = attempt.end(closeCause);
    const description = refusal ? `upgrade refused (${refusal.status})` : `closed ${cause.code}${cause.reason ? ` ${cause.reason}` : ''}`;
    if (wasConnected) {
      this.options.log.info(`link: lost (${description})`);
      for (const listener of [...this.disconnectListeners]) listener(description);
    }
    if (!decide || this.machine.state === 'CLOSED') return;

    if (refusal?.status === 400 && this.mode === null) {
      // Real Nova refuses a socket without conversation_id (its query extractor fails): 400.
      this.switchToLegacy('the user-scoped socket was refused (400)');
      return;
    }
    const { errorType, next } = closePolicy(cause, refusal, wasConnected);
    if (errorType !== null) this.options.metrics.socketError(errorType);
    switch (next.kind) {
      case 'refresh':
        // The token the socket used is still the one in hand: it needs a refresh first.
        this.needsRefresh = this.options.auth.currentAccessToken() === attempt.token;
        this.authRetries += 1;
        if (next.countsAsFailure) this.failures += 1;
        // One immediate retry with a fresh token; a server that keeps refusing gets the backoff.
        this.afterFailure({
          why: 'auth_refresh',
          reason: `${next.revoked ? 'session revoked' : 'token expired'}; refreshing`,
          dialAtOnce: this.authRetries <= 1,
        });
        return;
      case 'update_required':
        this.isUpdateRequired = true;
        this.nextDial = 'never';
        this.emitNotice({ code: 'UPDATE_REQUIRED' });
        this.transition('ERROR', 'update required');
        return;
      case 'protocol_rejected':
        this.nextDial = 'never';
        this.transition('ERROR', 'the server rejected the protocol (4000)');
        return;
      case 'restart': {
        // A planned restart: come back when the server said, at a moment of our own within the
        // window it needs to take everyone back. The server named it, so it is no failure, and
        // the backoff starts afresh should the server be later than it thought.
        const delayMs = next.retryAfterMs + Math.floor(this.options.random() * next.spreadMs);
        this.attemptNumber = 0;
        this.afterFailure({
          why: 'server_shutdown',
          reason: `server restarting (${description}); back in ${(delayMs / 1000).toFixed(1)} s`,
          serverDirectedDelayMs: delayMs,
        });
        return;
      }
      case 'retry':
        if (next.countsAsFailure) this.failures += 1;
        this.afterFailure({
          why: next.why,
          reason: wasConnected ? `link lost (${description})` : `attempt ${this.attemptNumber} failed (${description})`,
          retryAfterMs: next.retryAfterMs,
        });
        if (next.probeSession) this.probeSession(attempt.token);
        return;
    }
  }

  /** Decides the next dial after a failed attempt or a lost link, and the state to show. */
  private afterFailure(next: Failure): void {
    if (this.machine.state === 'CLOSED') return;
    const { why, reason, retryAfterMs = null, dialAtOnce = false, serverDirectedDelayMs = null } = next;
    const now = this.options.clock.now();
    if (this.isOsOffline && !this.isUserForced) {
      // No reconnect is scheduled while offline: the network coming back counts one.
      this.nextDial = 'never';
      this.transition('DISCONNECTED', 'waiting for network');
      return;
    }
    let state: ConnectionState = 'RECONNECTING';
    let shown = reason;
    if (this.nextDial === 'now' || dialAtOnce) {
      this.nextDial = 'now';
    } else if (serverDirectedDelayMs !== null) {
      this.nextDial = now + serverDirectedDelayMs;
    } else if (this.failures >= this.options.timing.giveUpAfterFailures) {
      this.nextDial = now + this.options.timing.slowRetryMs;
      state = 'ERROR';
      shown = `gave up after ${this.failures} attempts (${reason}); retrying every ${Math.round(this.options.timing.slowRetryMs / 1000)} s`;
    } else {
      this.nextDial = now + serverDelayMs(this.policy, this.attemptNumber, retryAfterMs, this.options.random);
    }
    this.options.metrics.reconnect(why, this.nextDial === 'now' ? 0 : this.nextDial - now);
    this.transition(state, shown);
  }

  /**
   * A dial failed with no HTTP status although the server took the connection (reset during
   * the upgrade, 1006 before open): a gateway may be hiding a 401. Ask REST (protocol §8.1):
   * `request` refreshes once on 401, so a new token means dial again now with it; a dead
   * session signs out; anything else leaves the backoff as it is.
   */
  private probeSession(tokenBefore: string | null): void {
    if (this.probe !== null || this.options.auth.currentAccessToken() === null) return;
    const generation = this.generation;
    this.probe = this.options.auth
      .request('GET', '/conversations?limit=1')
      .then(
        (response) => {
          if (generation !== this.generation) return;
          this.options.log.info(`probe: REST answered ${response.status} after a failed handshake`);
          if (this.options.auth.currentAccessToken() !== tokenBefore) this.dialNow('token refreshed after a failed handshake', 'auth_refresh');
        },
        (error: unknown) => {
          const code = errorCodeOf(error);
          this.options.log.info(`probe: REST failed (${code}) after a failed handshake`);
          if (generation === this.generation && SESSION_DEAD.has(code)) this.close('signed out: session revoked');
        },
      )
      .finally(() => {
        this.probe = null;
      });
  }

  // ---- Plumbing ---------------------------------------------------------------------------

  private transition(to: ConnectionState, reason: string): void {
    const from = this.machine.state;
    if (!this.machine.transition(to, reason)) {
      this.changed();
      return;
    }
    const history = this.machine.history();
    const last = history[history.length - 1];
    this.options.log.info(`state: ${from} → ${to} (${reason})`);
    this.options.metrics.connectionState(to);
    if (last) for (const listener of [...this.transitionListeners]) listener(last);
    this.changed();
  }

  private changed(): void {
    if (this.emitTimer !== null || this.changeListeners.size === 0) return;
    this.emitTimer = this.options.clock.setTimeout(() => {
      this.emitTimer = null;
      const snapshot = this.snapshot();
      for (const listener of [...this.changeListeners]) listener(snapshot);
    }, this.options.timing.eventBatchMs);
  }

  private emitNotice(notice: ConnectionNotice): void {
    for (const listener of [...this.noticeListeners]) listener(notice);
  }

  private clearTimer(name: 'waitTimer' | 'emitTimer'): void {
    const handle = this[name];
    if (handle !== null) this.options.clock.clearTimeout(handle);
    this[name] = null;
  }
}

function subscribe<T>(set: Set<T>, listener: T): Unsubscribe {
  set.add(listener);
  return () => {
    set.delete(listener);
  };
}
