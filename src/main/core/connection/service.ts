/**
 * The connection service coordinates the link to the server: it owns Nova's six states and the
 * current Attempt, and lets its parts do the rest. The gate decides when and with which token
 * the next dial goes, a dialer dials (compat, or legacy Nova's per-conversation one), each
 * Attempt owns one socket and its timers, closePolicy says what a socket's end leads to, and
 * Liveness keeps the heartbeat. It implements ServerLink for delivery.
 */
import WebSocket from 'ws';
import type { ConnectionSnapshot, ConnectionState, ConnectionTransition, Unsubscribe } from '../../../shared/contract';
import { AppError } from '../../../shared/errors';
import { CloseCode } from '../../../shared/protocol';
import type { BodyReader, ClientFrame, LinkMode, LinkResponse, ParsedResponse, ServerCapabilities, ServerFrame, ServerLink } from '../link';
import { RejectedData, parseResponse } from '../server-data';
import { Attempt } from './attempt';
import { closePolicy, type CloseCause } from './close-policy';
import { CompatDialer, createAuthorizedSocketClass, type AuthorizedSocketClass } from './dialer';
import { DialGate } from './gate';
import { ConversationSockets, type LinkSocket } from './legacy';
import { LegacyDialer } from './legacy-dialer';
import { Listeners } from './listeners';
import { Liveness } from './liveness';
import { ConnectionStateMachine, type TransitionCause } from './states';
import type { ConnectionNotice, ConnectionServiceOptions, ConnectionStats } from './types';

export class ConnectionService implements ServerLink {
  private readonly machine: ConnectionStateMachine;
  private readonly gate: DialGate;
  private readonly liveness: Liveness;
  private readonly socketClass: AuthorizedSocketClass;
  private readonly rejected: RejectedData;
  /** The compat dialer, or legacy Nova's once the server turned out to be one; null while closed. */
  private dialer: CompatDialer | LegacyDialer | null = null;
  /** The current dial: its socket (one `ws` socket, or legacy Nova's set) and its timers. */
  private current: Attempt | null = null;
  private readonly openSockets = new Set<LinkSocket>();
  /** Null until the server has shown what it is; a new session probes nova-compat first. */
  private mode: LinkMode | null = null;
  /** The token for the compat dialer's next socket, taken once by the socket class. */
  private pendingToken: string | null = null;
  private watched: readonly string[] = [];
  private pendingCount: () => number = () => 0;
  private readonly stats = { socketsCreated: 0, connects: 0, overlappingSockets: 0, maxOpenSockets: 0 };

  private readonly changeListeners = new Listeners<ConnectionSnapshot>();
  private readonly transitionListeners = new Listeners<ConnectionTransition>();
  private readonly connectListeners = new Listeners<ServerCapabilities>();
  private readonly disconnectListeners = new Listeners<string>();
  private readonly frameListeners = new Listeners<ServerFrame>();
  private readonly noticeListeners = new Listeners<ConnectionNotice>();
  /** The change window's flush: one snapshot, read when the window ends, so always the latest. */
  private readonly emitChange = (): void => this.changeListeners.emit(this.snapshot());

  constructor(private readonly options: ConnectionServiceOptions) {
    const { auth, clock, random, timing, log, metrics } = options;
    this.machine = new ConnectionStateMachine(() => clock.now());
    this.rejected = new RejectedData(metrics, log);
    metrics.connectionState(this.machine.state);
    this.gate = new DialGate({
      auth,
      clock,
      random,
      timing,
      log,
      metrics,
      host: {
        state: () => this.machine.state,
        transition: (to, reason, cause) => this.transition(to, reason, cause),
        changed: () => this.changed(),
        settle: () => this.settleSocket(),
        endSession: () => this.close('signed out: session revoked'),
        notice: (code) => this.noticeListeners.emit({ code }),
      },
    });
    this.liveness = new Liveness({
      clock,
      timing,
      log,
      metrics,
      current: () => this.current,
      drop: (cause, dialAtOnce) => this.dropSocket(cause, dialAtOnce),
      changed: () => this.changed(),
    });
    this.socketClass = createAuthorizedSocketClass({
      takeToken: () => {
        const token = this.pendingToken;
        this.pendingToken = null;
        return token;
      },
      onCreated: (socket, token) => this.adopt(socket, token),
      onRefused: (socket, status, headers) => this.onSocketRefused(socket, status, headers),
      closeTimeoutMs: timing.closeTimeoutMs,
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
      attempt: this.gate.attempt,
      nextAttemptAt: this.gate.nextAttemptAt,
      lastRttMs: this.liveness.lastRttMs,
      isOsOffline: this.gate.isOffline,
      pendingCount: this.pendingCount(),
      ...this.machine.cause,
    };
  }

  history(): ConnectionTransition[] {
    return this.machine.history();
  }

  getStats(): Readonly<ConnectionStats> {
    return { ...this.stats, attemptsStarted: this.gate.started, heartbeatTimeouts: this.liveness.heartbeatTimeouts };
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

  /** Coalesced in the core's change window: at most one call per window, always with the latest snapshot. */
  onDidChange(listener: (snapshot: ConnectionSnapshot) => void): Unsubscribe {
    return this.changeListeners.add(listener);
  }

  /** Every transition, synchronously (tests, metrics). */
  onDidTransition(listener: (transition: ConnectionTransition) => void): Unsubscribe {
    return this.transitionListeners.add(listener);
  }

  onDidNotice(listener: (notice: ConnectionNotice) => void): Unsubscribe {
    return this.noticeListeners.add(listener);
  }

  /** Begins connecting (CLOSED → CONNECTING). No-op unless CLOSED and signed in. */
  start(): void {
    if (this.machine.state !== 'CLOSED' || this.options.auth.userId() === null) return;
    const ticket = this.gate.open();
    this.mode = null;
    this.transition('CONNECTING', 'starting');
    this.dialer = new CompatDialer({
      serverUrl: this.options.serverUrl,
      userId: () => this.options.auth.userId(),
      socketClass: this.socketClass,
      connectTimeoutMs: this.options.timing.connectTimeoutMs,
      nextTurn: () => this.gate.turn(ticket),
      begin: (token) => this.beginAttempt(token),
    });
  }

  /** Stops dialing and closes the socket (→ CLOSED). Safe in any state. */
  close(reason: string): void {
    // A dialer parked at the gate is released and gets no token; the dialer itself stops.
    this.gate.shut();
    const dialer = this.dialer;
    this.dialer = null;
    this.liveness.stop();
    dialer?.dispose();
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
      this.liveness.probe();
      return;
    }
    this.gate.force();
    this.gate.dialNow('retry now', 'manual');
  }

  notifySystem(event: 'suspend' | 'resume' | 'online' | 'offline'): void {
    const { log } = this.options;
    const state = this.machine.state;
    switch (event) {
      case 'offline':
        this.gate.setOffline(true);
        log.info('system: offline');
        // The OS is often right but not always (network switch): let a quick probe decide.
        if (state === 'CONNECTED') this.liveness.probe();
        else if (this.gate.isWaiting && state !== 'CLOSED') {
          this.gate.hold();
          this.transition('DISCONNECTED', 'waiting for network');
        }
        this.changed();
        return;
      case 'online': {
        const wasOffline = this.gate.isOffline;
        this.gate.setOffline(false);
        log.info('system: online');
        if (state === 'CONNECTED') this.liveness.probe();
        else if (wasOffline || this.gate.isWaiting) this.gate.dialNow('network back', 'network_change');
        this.changed();
        return;
      }
      case 'suspend':
        this.liveness.suspend();
        log.info('system: suspend');
        return;
      case 'resume': {
        const asleepMs = this.liveness.resumed();
        log.info(`system: resume after ${Math.round(asleepMs / 1000)} s`);
        if (state === 'CONNECTED') this.liveness.checkAfterSleep(asleepMs);
        else if (state !== 'CLOSED') this.gate.dialNow('resumed from sleep', 'resume');
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
    return this.connectListeners.add(listener);
  }

  onDidDisconnect(listener: (reason: string) => void): Unsubscribe {
    return this.disconnectListeners.add(listener);
  }

  onFrame(listener: (frame: ServerFrame) => void): Unsubscribe {
    return this.frameListeners.add(listener);
  }

  sendFrame(frame: ClientFrame): boolean {
    const isSent = this.machine.state === 'CONNECTED' && this.current !== null && this.current.send(frame);
    if (isSent) this.options.metrics.frameSent(frame.type);
    return isSent;
  }

  request(method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, body?: unknown, headers?: Readonly<Record<string, string>>): Promise<LinkResponse> {
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
    if (!(this.dialer instanceof LegacyDialer) || !(socket instanceof ConversationSockets) || socket.readyState !== WebSocket.OPEN) return;
    this.dialer.follow(socket, () => this.current?.socket === socket);
  }

  /** Conversations delivery asked to watch (legacy mode opens one socket each). */
  watchedConversations(): readonly string[] {
    return this.watched;
  }

  dispose(): void {
    this.close('stopped');
    this.options.changes.unmark(this.emitChange);
    for (const socket of this.openSockets) socket.terminate();
    for (const listeners of [this.changeListeners, this.transitionListeners, this.connectListeners, this.disconnectListeners, this.frameListeners, this.noticeListeners]) {
      listeners.clear();
    }
  }

  // ---- Dialing ----------------------------------------------------------------------------

  private beginAttempt(token: string): void {
    this.pendingToken = token;
    this.gate.begin();
  }

  /**
   * The server is real Nova (or behaves like it): from now on this session dials one socket per
   * watched conversation. Not a failure: the next dial is at once and counts nothing.
   */
  private switchToLegacy(why: string): void {
    this.mode = 'legacy';
    this.options.log.info(`dial: ${why}; legacy Nova mode (one socket per watched conversation)`);
    // Retire the compat dialer: its pending turn gets no token, and it stops.
    if (this.dialer instanceof CompatDialer) this.dialer.dispose('legacy Nova');
    else this.dialer?.dispose();
    const ticket = this.gate.reissue();
    this.changed();
    const { serverUrl, clock, log, timing, auth } = this.options;
    const legacy = new LegacyDialer({
      serverUrl,
      clock,
      log,
      timing,
      auth,
      watched: () => this.watched,
      nextTurn: () => this.gate.turn(ticket),
      adopt: (set, token) => {
        this.beginAttempt(token);
        this.adopt(set, token);
      },
      refused: (set, status, headers) => this.onSocketRefused(set, status, headers),
    });
    this.dialer = legacy;
    void legacy.run();
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
        stable: () => this.gate.stable(),
        pong: () => this.liveness.pong(),
        frame: (_attempt, frame) => this.frameListeners.emit(frame),
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
    this.gate.connected();
    this.stats.connects += 1;
    this.transition('CONNECTED', capabilities.mode === 'compat' ? 'handshake received' : 'legacy Nova: conversation sockets open');
    this.liveness.start();
    this.connectListeners.emit(capabilities);
  }

  /** We end the link ourselves (heartbeat timeout, long sleep); its close is then processed as usual. */
  private dropSocket(cause: CloseCause, dialAtOnce: boolean): void {
    const attempt = this.current;
    if (attempt === null) return;
    if (dialAtOnce) this.gate.dialAtOnceNext();
    attempt.dropWith(cause);
  }

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
    this.liveness.stop();
    const { wasConnected, refusal, cause } = attempt.end(closeCause);
    const description = refusal ? `upgrade refused (${refusal.status})` : `closed ${cause.code}${cause.reason ? ` ${cause.reason}` : ''}`;
    if (wasConnected) {
      this.options.log.info(`link: lost (${description})`);
      this.disconnectListeners.emit(description);
    }
    if (!decide || this.machine.state === 'CLOSED') return;
    if (refusal?.status === 400 && this.mode === null) {
      // Real Nova refuses a socket without conversation_id (its query extractor fails): 400.
      this.switchToLegacy('the user-scoped socket was refused (400)');
      return;
    }
    const { errorType, next } = closePolicy(cause, refusal, wasConnected);
    if (errorType !== null) this.options.metrics.socketError(errorType);
    const transitionCause: TransitionCause = refusal ? { httpStatus: refusal.status } : { closeCode: cause.code };
    this.gate.afterClose(next, { token: attempt.token, description, wasConnected, cause: transitionCause });
  }

  // ---- Plumbing ---------------------------------------------------------------------------

  private transition(to: ConnectionState, reason: string, cause?: TransitionCause): void {
    const from = this.machine.state;
    if (!this.machine.transition(to, reason, cause)) {
      this.changed();
      return;
    }
    const history = this.machine.history();
    const last = history[history.length - 1];
    this.options.log.info(`state: ${from} → ${to} (${reason})`);
    this.options.metrics.connectionState(to);
    if (last) this.transitionListeners.emit(last);
    this.changed();
  }

  private changed(): void {
    if (this.changeListeners.size > 0) this.options.changes.mark(this.emitChange);
  }
}
