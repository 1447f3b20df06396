/**
 * nova-compat's dialer: reconnecting-websocket as a bare dialer over a `ws` subclass that puts a
 * fresh bearer token on every upgrade and reports refusals with their status. When to dial is
 * not decided here: the gate's wait is the dialer's URL provider.
 */
import type { IncomingHttpHeaders } from 'node:http';
import ReconnectingWebSocket from 'reconnecting-websocket';
import WebSocket from 'ws';
import { CloseCode, PROTOCOL_VERSION } from '../../../shared/protocol';

/**
 * The largest frame we accept from the server. It sends one message per frame (at most 65,536
 * characters of text), far below this; a bigger frame is a broken or hostile peer, and without a
 * bound `ws` would buffer up to 100 MiB of it. ws closes such a socket with 1009.
 */
export const MAX_INCOMING_FRAME_BYTES = 2 * 1024 * 1024;

/** What the dialer reports about each raw socket it creates. */
export type DialHooks = Readonly<{
  /** The token for the attempt about to start; read once, in the socket's constructor. */
  takeToken: () => string | null;
  /** A socket was created with this token (read once, in its constructor). */
  onCreated: (socket: WebSocket, token: string | null) => void;
  /** The server answered the upgrade with a status other than 101 (401, 429, 503, 400, …). */
  onRefused: (socket: WebSocket, status: number, headers: Readonly<Record<string, string>>) => void;
  /** How long a graceful close may wait for the peer before the socket is destroyed. */
  closeTimeoutMs: number;
}>;

function flattenHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [key, value] of Object.entries(headers)) {
    if (value !== undefined) flat[key] = Array.isArray(value) ? value.join(', ') : value;
  }
  return flat;
}

/**
 * A `ws` subclass that puts a fresh bearer token in the upgrade request of every attempt
 * (reconnecting-websocket only ever calls `new WebSocket(url)`, so headers must come from the
 * class; Nova requires the header on /ws, reference §1.1) and reports refusals with their
 * status and Retry-After, which `ws` otherwise folds into a bare 'Unexpected server response'.
 */
export function createAuthorizedSocketClass(hooks: DialHooks): AuthorizedSocketClass {
  return class AuthorizedWebSocket extends WebSocket {
    constructor(address: string | URL, protocols?: string | string[]) {
      const token = hooks.takeToken();
      const options: WebSocket.ClientOptions & { closeTimeout: number } = {
        headers: token !== null ? { Authorization: `Bearer ${token}` } : {},
        closeTimeout: hooks.closeTimeoutMs,
        maxPayload: MAX_INCOMING_FRAME_BYTES,
        // ws has already attached its own 'response' handler, so ours runs after it and only
        // reads; ws still aborts the request and emits error/close on the next tick.
        finishRequest: (request, socket) => {
          request.on('response', (response) => {
            hooks.onRefused(socket, response.statusCode ?? 0, flattenHeaders(response.headers));
          });
          request.end();
        },
      };
      super(address, protocols ?? [], options);
      // Every socket gets an error listener at birth: reconnecting-websocket removes its own
      // listeners before closing, and an EventEmitter 'error' without a listener throws.
      this.on('error', () => undefined);
      hooks.onCreated(this, token);
    }
  };
}

/** What reconnecting-websocket needs: `new (url, protocols?)` yielding a `ws` socket. */
export type AuthorizedSocketClass = new (address: string | URL, protocols?: string | string[]) => WebSocket;

type DialerOptions = Readonly<{
  /** Called before every attempt; resolves when it is time to dial. Must never reject. */
  nextUrl: () => Promise<string>;
  socketClass: AuthorizedSocketClass;
  connectTimeoutMs: number;
}>;

/**
 * reconnecting-websocket as a bare dialer: its own delays are zero, its queue is off and it has
 * no retry limit, so it never gives up (its upstream bug #165: after maxRetries its connect lock stays held
 * and reconnect() does nothing). All waiting happens in `nextUrl`, which is our policy.
 */
function createDialer(options: DialerOptions): ReconnectingWebSocket {
  return new ReconnectingWebSocket(options.nextUrl, undefined, {
    WebSocket: options.socketClass,
    minReconnectionDelay: 0,
    maxReconnectionDelay: 0,
    reconnectionDelayGrowFactor: 1,
    minUptime: 0,
    connectionTimeout: options.connectTimeoutMs,
    maxRetries: Infinity,
    maxEnqueuedMessages: 0,
    startClosed: false,
  });
}

/** nova-compat's user-scoped socket; the token goes in the header, never in the URL. */
function compatUrl(serverUrl: string, userId: string | null): string {
  const url = new URL('/ws', serverUrl.replace(/^http/, 'ws'));
  if (userId !== null) url.searchParams.set('user_id', userId);
  url.searchParams.set('protocol_version', PROTOCOL_VERSION);
  return url.toString();
}

export type CompatDialerOptions = Readonly<{
  serverUrl: string;
  userId: () => string | null;
  socketClass: AuthorizedSocketClass;
  connectTimeoutMs: number;
  /** The gate: resolves with a token when it is time to dial, null once this dialer is retired. Never rejects. */
  nextTurn: () => Promise<string | null>;
  /** A dial begins with this token (the socket class presents it). */
  begin: (token: string) => void;
}>;

/** Dials the user-scoped socket again whenever the gate lets it, until disposed. */
export class CompatDialer {
  private readonly dialer: ReconnectingWebSocket;

  constructor(o: CompatDialerOptions) {
    this.dialer = createDialer({
      nextUrl: async () => {
        const token = await o.nextTurn();
        if (token !== null) o.begin(token);
        return compatUrl(o.serverUrl, o.userId());
      },
      socketClass: o.socketClass,
      connectTimeoutMs: o.connectTimeoutMs,
    });
  }

  /** Stops dialing; a socket of its still open gets a close frame with `reason`. */
  dispose(reason = 'client closing'): void {
    this.dialer.close(CloseCode.NORMAL, reason);
  }
}
