/**
 * One dial and the connection it may become: the socket (a `ws` socket, or legacy Nova's set of
 * conversation sockets), what the server said on it, and the timers that live exactly as long
 * as it does (the handshake wait, the "connected long enough" timer). Every dial gets a new
 * Attempt, so nothing of the last one carries over by construction; `end()` and `dispose()` stop
 * its timers and silence its socket's events.
 */
import WebSocket from 'ws';
import { CloseCode } from '../../../shared/protocol';
import type { Clock, TimerHandle } from '../clock';
import type { ClientFrame, ServerCapabilities, ServerFrame } from '../link';
import type { Logger } from '../logging';
import type { Metrics } from '../metrics';
import { decodeFrame, type RejectedData } from '../server-data';
import type { CloseCause, Refusal } from './close-policy';
import { ConversationSockets, LEGACY_CAPABILITIES, type LinkSocket } from './legacy';

/** What the attempt tells the connection service; nothing after the attempt has ended, except where said. */
export type AttemptEvents = Readonly<{
  /** The handshake arrived (compat), or every conversation socket is open (legacy). */
  connected: (attempt: Attempt, capabilities: ServerCapabilities) => void;
  /** The socket opened but no handshake came in time: the server behaves like real Nova. */
  handshakeMissing: (attempt: Attempt) => void;
  /** Connected for `stableAfterMs`: the link has proven itself. */
  stable: (attempt: Attempt) => void;
  pong: (attempt: Attempt) => void;
  /** A frame for delivery (parsed at the link); only while connected. */
  frame: (attempt: Attempt, frame: ServerFrame) => void;
  /** The socket closed with this code and reason. */
  closed: (attempt: Attempt, code: number, reason: string) => void;
  /** A socket opened or closed, whether or not its attempt is still the current one. */
  socketOpened: (socket: LinkSocket) => void;
  socketClosed: (socket: LinkSocket) => void;
}>;

export type AttemptOptions = Readonly<{
  clock: Clock;
  log: Logger;
  metrics: Metrics;
  rejected: RejectedData;
  handshakeWaitMs: number;
  stableAfterMs: number;
  events: AttemptEvents;
}>;

/** What an ended attempt leaves for the close policy. */
export type AttemptOutcome = Readonly<{
  wasConnected: boolean;
  refusal: Refusal | null;
  /** The cause with what the server said on the socket (error frame, restart hint) and the dial error. */
  cause: CloseCause;
}>;

export class Attempt {
  /** Set once the handshake (or legacy open) came; null before, and for an attempt that failed. */
  private caps: ServerCapabilities | null = null;
  private isEnded = false;
  private hasOpened = false;
  private drop: CloseCause | null = null;
  private refusal: Refusal | null = null;
  private errorFrame: Readonly<{ code: string; retryAfterMs: number | null }> | null = null;
  private restartHint: Readonly<{ retryAfterMs: number; spreadMs: number }> | null = null;
  private dialError: string | null = null;
  private handshakeTimer: TimerHandle | null = null;
  private stableTimer: TimerHandle | null = null;

  constructor(
    readonly socket: LinkSocket,
    /** The token this socket presented; compared with the one in hand after a 401/4001. */
    readonly token: string | null,
    private readonly o: AttemptOptions,
  ) {
    if (socket instanceof WebSocket) {
      socket.on('error', (error: Error & { code?: string }) => {
        if (!this.isEnded && !this.hasOpened) this.dialError = error.code ?? 'error';
        // ws has already sent a 1009 close: the drop is counted under its own reason, not as a lost link.
        if (!this.isEnded && error.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') {
          this.drop ??= { code: CloseCode.MESSAGE_TOO_BIG, reason: 'frame too large', errorType: 'too_large' };
        }
      });
    }
    socket.on('open', () => this.onOpen());
    socket.on('message', (data, isBinary) => {
      if (!this.isEnded) this.onMessage(data, isBinary);
    });
    socket.on('pong', () => {
      if (!this.isEnded) o.events.pong(this);
    });
    socket.on('close', (code, reason) => {
      // Nova's statuses: an open socket closes; one that never opened is an error.
      o.metrics.socketEvent(this.hasOpened ? 'closed' : 'error');
      o.events.socketClosed(socket);
      if (!this.isEnded) o.events.closed(this, code, reason.toString('utf8'));
    });
  }

  get capabilities(): ServerCapabilities | null {
    return this.caps;
  }

  get isConnected(): boolean {
    return this.caps !== null;
  }

  /** Connected and its socket still open: nothing to settle. */
  get isUsable(): boolean {
    return this.isConnected && this.socket.readyState === WebSocket.OPEN;
  }

  /** Set when we dropped the link ourselves (heartbeat timeout, long sleep): it names the cause. */
  get dropCause(): CloseCause | null {
    return this.drop;
  }

  /** The server answered the upgrade with a status; the first one counts. */
  noteRefusal(status: number, headers: Readonly<Record<string, string>>): void {
    if (this.isEnded || this.refusal !== null) return;
    // Retry-After-Ms (the reference server's admission turn) is exact; Retry-After is whole seconds.
    const exactMs = Number(headers['retry-after-ms']);
    const seconds = Number(headers['retry-after']);
    const retryAfterMs = headers['retry-after-ms'] !== undefined && Number.isFinite(exactMs) && exactMs >= 0 ? exactMs : Number.isFinite(seconds) ? seconds * 1000 : null;
    this.refusal = { status, retryAfterMs };
  }

  /** The connection is up: the handshake wait ends, and the link has to stay up a while to count as stable. */
  markConnected(capabilities: ServerCapabilities): void {
    this.clearTimers();
    this.caps = capabilities;
    this.stableTimer = this.o.clock.setTimeout(() => {
      this.stableTimer = null;
      if (!this.isEnded) this.o.events.stable(this);
    }, this.o.stableAfterMs);
  }

  /** Sends a frame on an open socket (legacy Nova: on the socket of the conversation it names). */
  send(frame: ClientFrame): boolean {
    const socket = this.socket;
    if (socket.readyState !== WebSocket.OPEN) {
      // Closing, its close not processed yet: the caller keeps the frame (the outbox resends it).
      this.o.metrics.socketError('send_failed');
      return false;
    }
    const data = JSON.stringify(frame);
    if (socket instanceof ConversationSockets) return socket.sendTo('conversation_id' in frame ? frame.conversation_id : null, data);
    socket.send(data);
    return true;
  }

  /** Client-side drop: send the close frame if we can, but do not wait for a dead peer. */
  dropWith(cause: CloseCause): void {
    this.drop = cause;
    try {
      if (this.socket.readyState === WebSocket.OPEN) this.socket.close(cause.code, cause.reason);
    } catch {
      // an invalid state for close() is fine: terminate below ends it either way
    }
    this.socket.terminate();
  }

  /** Ends the attempt (its socket's events are ignored from here) and says how it went. */
  end(cause: CloseCause): AttemptOutcome {
    const wasConnected = this.isConnected;
    this.dispose();
    this.caps = null;
    return {
      wasConnected,
      refusal: this.refusal,
      cause: { ...cause, errorFrame: this.errorFrame, restartHint: this.restartHint, dialError: this.dialError },
    };
  }

  dispose(): void {
    this.isEnded = true;
    this.clearTimers();
  }

  private onOpen(): void {
    this.hasOpened = true;
    this.o.metrics.socketEvent('opened');
    this.o.events.socketOpened(this.socket);
    if (this.isEnded) return;
    if (this.socket instanceof ConversationSockets) {
      this.o.events.connected(this, LEGACY_CAPABILITIES);
      return;
    }
    this.handshakeTimer = this.o.clock.setTimeout(() => {
      this.handshakeTimer = null;
      if (!this.isEnded && !this.isConnected) this.o.events.handshakeMissing(this);
    }, this.o.handshakeWaitMs);
  }

  private onMessage(data: WebSocket.RawData, isBinary: boolean): void {
    const { metrics, rejected, events } = this.o;
    if (isBinary) {
      rejected.frame({ ok: false, reason: 'binary', type: null, detail: {} });
      return;
    }
    const decoded = decodeFrame(String(data as Buffer));
    if (!decoded.ok) {
      if (decoded.reason === 'not_json' || decoded.reason === 'not_object') metrics.socketError('decode');
      else metrics.frameReceived(decoded.type ?? 'other');
      rejected.frame(decoded);
      return;
    }
    const frame = decoded.frame;
    metrics.frameReceived(frame.type);
    switch (frame.type) {
      case 'protocol_handshake': {
        if (this.isConnected) return;
        const advertised = frame.server_capabilities;
        events.connected(this, {
          mode: 'compat',
          features: new Set(advertised.features),
          maxPayloadBytes: advertised.max_payload_size,
          ...(advertised.max_message_bytes !== undefined ? { maxMessageBytes: advertised.max_message_bytes } : {}),
          pingIntervalMs: advertised.ping_interval_ms,
        });
        return;
      }
      case 'pong':
        events.pong(this);
        return;
      case 'reconnect':
        this.restartHint = { retryAfterMs: frame.retry_after_ms, spreadMs: frame.spread_ms };
        this.o.log.info(`link: server announced a restart (back in ${frame.retry_after_ms} ms, spread ${frame.spread_ms} ms)`);
        return;
      case 'error':
        this.errorFrame = { code: frame.error_code, retryAfterMs: frame.retry_after_ms ?? null };
        break;
      default:
        break;
    }
    if (this.isConnected) events.frame(this, frame);
  }

  private clearTimers(): void {
    if (this.handshakeTimer !== null) this.o.clock.clearTimeout(this.handshakeTimer);
    if (this.stableTimer !== null) this.o.clock.clearTimeout(this.stableTimer);
    this.handshakeTimer = null;
    this.stableTimer = null;
  }
}
