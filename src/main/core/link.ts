/**
 * The seam between the connection (socket, auth, heartbeat) and delivery (store, outbox,
 * resync). The connection implements ServerLink; delivery only ever talks to the server through
 * it, so neither knows how the other works. What crosses it is already parsed: frames and REST
 * bodies are typed at the link (`server-data.ts`).
 */
import type { Unsubscribe } from '../../shared/contract';
import type { ClientFrame, ServerFrame } from '../../shared/protocol';
import type { HttpEndpoint } from './metrics';

export type { ClientFrame, ServerFrame };

/** `compat`: our protocol (handshake seen). `legacy`: real Nova (user-scoped socket refused with 400, or no handshake within 2 s). */
export type LinkMode = 'compat' | 'legacy';

export type ServerCapabilities = Readonly<{
  mode: LinkMode;
  /** Handshake features: json_ping, ws_send, ws_sync, gapless_seq, client_seq, … (empty in legacy). */
  features: ReadonlySet<string>;
  /** The largest frame the server reads (handshake `max_payload_size`). */
  maxPayloadBytes: number;
  /**
   * The largest message text the server accepts, in UTF-8 bytes (handshake `max_message_bytes`).
   * Absent when the server does not say (legacy Nova, older servers): delivery assumes 64 KB.
   */
  maxMessageBytes?: number;
  pingIntervalMs: number | null;
}>;

export type LinkResponse = Readonly<{
  status: number;
  headers: Readonly<Record<string, string>>;
  /** Parsed JSON when the body is JSON, else the text (legacy Nova answers errors in plain text). */
  body: unknown;
}>;

/** A body as read: the value (null when the body as a whole does not match) and the parts that did not. */
export type BodyReading<T> = Readonly<{ value: T | null; rejected: number; issues: readonly string[] }>;

/** How one kind of REST body is read (`SERVER_BODIES` in server-data.ts), and the endpoint role its rejections count under. */
export type BodyReader<T> = Readonly<{ endpoint: HttpEndpoint; read: (body: unknown) => BodyReading<T> }>;

/** A REST answer with its 2xx body read: `value` is null for any other status, or for a body that did not match. */
export type ParsedResponse<T> = LinkResponse & Readonly<{ value: T | null }>;

export interface ServerLink {
  /** The signed-in user; null when signed out. Delivery never sends as anyone else. */
  currentUserId(): string | null;
  /** Null while not connected. */
  capabilities(): ServerCapabilities | null;
  /** After every (re)connect, once the handshake is done or legacy mode is detected. */
  onDidConnect(listener: (capabilities: ServerCapabilities) => void): Unsubscribe;
  onDidDisconnect(listener: (reason: string) => void): Unsubscribe;
  /**
   * Frames from the server, in arrival order (all sockets, in legacy mode), each parsed against
   * the protocol at the link (server-data.ts): a frame that does not parse is counted, logged
   * once per kind and dropped there, so a listener only ever sees a valid `ServerFrame`.
   */
  onFrame(listener: (frame: ServerFrame) => void): Unsubscribe;
  /** Sends on the live socket. False when there is none: the caller keeps the item queued. */
  sendFrame(frame: ClientFrame): boolean;
  /**
   * Authenticated REST call (path relative to the server URL, e.g. `/conversations`). Refreshes
   * the token once on 401. Rejects with AppError('NETWORK_ERROR' | 'TIMEOUT' | 'NOT_SIGNED_IN').
   */
  request(
    method: 'GET' | 'POST' | 'PUT' | 'DELETE',
    path: string,
    body?: unknown,
    headers?: Readonly<Record<string, string>>,
  ): Promise<LinkResponse>;
  /**
   * `request`, with a 2xx body read by one of `SERVER_BODIES` (server-data.ts): `value` is the
   * typed body, or null for another status or a body that does not match (counted, logged once).
   */
  requestParsed<T>(
    reader: BodyReader<T>,
    method: 'GET' | 'POST' | 'PUT' | 'DELETE',
    path: string,
    body?: unknown,
    headers?: Readonly<Record<string, string>>,
  ): Promise<ParsedResponse<T>>;
  /** Legacy mode has one socket per conversation: delivery says which ones it needs. */
  watchConversations(conversationIds: readonly string[]): void;
}
