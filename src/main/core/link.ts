/**
 * The seam between the connection (issue 5: socket, auth, heartbeat) and delivery (issue 4:
 * store, outbox, resync). The connection implements ServerLink; delivery only ever talks to the
 * server through it, so neither knows how the other works.
 */
import type { Unsubscribe } from '../../shared/contract';

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

export interface ServerLink {
  /** The signed-in user; null when signed out. Delivery never sends as anyone else. */
  currentUserId(): string | null;
  /** Null while not connected. */
  capabilities(): ServerCapabilities | null;
  /** After every (re)connect, once the handshake is done or legacy mode is detected. */
  onDidConnect(listener: (capabilities: ServerCapabilities) => void): Unsubscribe;
  onDidDisconnect(listener: (reason: string) => void): Unsubscribe;
  /** Parsed JSON frames from the server, in arrival order (all sockets, in legacy mode). */
  onFrame(listener: (frame: Readonly<Record<string, unknown>>) => void): Unsubscribe;
  /** Sends on the live socket. False when there is none: the caller keeps the item queued. */
  sendFrame(frame: Readonly<Record<string, unknown>>): boolean;
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
  /** Legacy mode has one socket per conversation: delivery says which ones it needs. */
  watchConversations(conversationIds: readonly string[]): void;
}
