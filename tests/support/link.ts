/**
 * A minimal but real ServerLink for delivery's integration tests: plain `ws` and fetch against
 * the real reference server, signed in over REST. It has none of the connection's healing
 * (heartbeat, backoff, OS events): tests call connect()/disconnect() to drive it. The real
 * connection replaces it in the end-to-end wiring (tests/support/real-core.ts).
 */
import WebSocket from 'ws';
import { AppError } from '../../src/shared/errors';
import type { Unsubscribe } from '../../src/shared/contract';
import type { BodyReader, ClientFrame, LinkResponse, ParsedResponse, ServerCapabilities, ServerFrame, ServerLink } from '../../src/main/core/link';
import { decodeFrame, parseResponse } from '../../src/main/core/server-data';

export type TestLinkOptions = Readonly<{
  url: string;
  wsUrl: string;
  email: string;
  password: string;
  /** Legacy Nova: no handshake, one socket per watched conversation, REST only. */
  legacy?: boolean;
}>;

class Emitter<T> {
  private readonly listeners = new Set<(value: T) => void>();
  on(listener: (value: T) => void): Unsubscribe {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  emit(value: T): void {
    for (const listener of [...this.listeners]) listener(value);
  }
}

export class TestLink implements ServerLink {
  private accessToken: string | null = null;
  private refreshToken: string | null = null;
  private userId: string | null = null;
  private caps: ServerCapabilities | null = null;
  private socket: WebSocket | null = null;
  private readonly legacySockets = new Map<string, WebSocket>();
  private readonly connects = new Emitter<ServerCapabilities>();
  private readonly disconnects = new Emitter<string>();
  private readonly frames = new Emitter<ServerFrame>();
  /** Every frame sent, for assertions (e.g. that nothing went out offline). */
  readonly sent: ClientFrame[] = [];
  /** Frames for which this returns false are lost on the way in, as on a flaky relay. */
  incomingFilter: ((frame: ServerFrame) => boolean) | null = null;
  private options: TestLinkOptions;

  constructor(options: TestLinkOptions) {
    this.options = options;
  }

  /** Points the link at another server address (a restarted server on a new port). */
  retarget(url: string, wsUrl: string): void {
    this.options = { ...this.options, url, wsUrl };
  }

  currentUserId(): string | null {
    return this.userId;
  }
  capabilities(): ServerCapabilities | null {
    return this.caps;
  }
  onDidConnect(listener: (capabilities: ServerCapabilities) => void): Unsubscribe {
    return this.connects.on(listener);
  }
  onDidDisconnect(listener: (reason: string) => void): Unsubscribe {
    return this.disconnects.on(listener);
  }
  onFrame(listener: (frame: ServerFrame) => void): Unsubscribe {
    return this.frames.on(listener);
  }

  sendFrame(frame: ClientFrame): boolean {
    const socket = this.socket;
    if (!this.caps || !socket || socket.readyState !== WebSocket.OPEN) return false;
    this.sent.push(frame);
    socket.send(JSON.stringify(frame));
    return true;
  }

  async request(
    method: 'GET' | 'POST' | 'PUT' | 'DELETE',
    path: string,
    body?: unknown,
    headers: Readonly<Record<string, string>> = {},
  ): Promise<LinkResponse> {
    if (this.accessToken === null) throw new AppError('NOT_SIGNED_IN');
    let response = await this.fetchOnce(method, path, body, headers);
    if (response.status === 401 && (await this.refresh())) {
      response = await this.fetchOnce(method, path, body, headers);
    }
    return response;
  }

  async requestParsed<T>(
    reader: BodyReader<T>,
    method: 'GET' | 'POST' | 'PUT' | 'DELETE',
    path: string,
    body?: unknown,
    headers: Readonly<Record<string, string>> = {},
  ): Promise<ParsedResponse<T>> {
    return parseResponse(reader, await this.request(method, path, body, headers));
  }

  watchConversations(conversationIds: readonly string[]): void {
    if (!this.options.legacy || !this.caps) return;
    for (const id of conversationIds) {
      if (this.legacySockets.has(id)) continue;
      const socket = this.openSocket(`${this.options.wsUrl}?conversation_id=${id}&user_id=${this.userId ?? ''}`);
      this.legacySockets.set(id, socket);
    }
  }

  async signIn(): Promise<void> {
    const response = await fetch(`${this.options.url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ email: this.options.email, password: this.options.password }),
    });
    if (response.status !== 200) throw new Error(`login answered ${response.status}`);
    const tokens = (await response.json()) as { access_token: string; refresh_token: string; user_id?: string };
    this.accessToken = tokens.access_token;
    this.refreshToken = tokens.refresh_token;
    this.userId = tokens.user_id ?? JSON.parse(Buffer.from(tokens.access_token.split('.')[1] ?? '', 'base64url').toString()).sub;
  }

  /** Signs in if needed, opens the socket, waits for the handshake (compat), then announces it. */
  async connect(): Promise<ServerCapabilities> {
    if (this.accessToken === null) await this.signIn();
    if (this.options.legacy) {
      this.caps = { mode: 'legacy', features: new Set(), maxPayloadBytes: 64 * 1024, pingIntervalMs: null };
      this.connects.emit(this.caps);
      return this.caps;
    }
    const socket = this.openSocket(`${this.options.wsUrl}?protocol_version=1.0`);
    this.socket = socket;
    const handshake = await new Promise<ServerFrame & { type: 'protocol_handshake' }>((resolve, reject) => {
      const onMessage = (data: WebSocket.RawData): void => {
        const decoded = decodeFrame(String(data));
        if (decoded.ok && decoded.frame.type === 'protocol_handshake') {
          socket.off('message', onMessage);
          resolve(decoded.frame);
        }
      };
      socket.on('message', onMessage);
      socket.once('close', (code) => reject(new Error(`socket closed before handshake (${code})`)));
      socket.once('error', reject);
    });
    const capabilities = handshake.server_capabilities;
    this.caps = {
      mode: 'compat',
      features: new Set(capabilities.features),
      maxPayloadBytes: capabilities.max_payload_size,
      ...(capabilities.max_message_bytes !== undefined ? { maxMessageBytes: capabilities.max_message_bytes } : {}),
      pingIntervalMs: capabilities.ping_interval_ms,
    };
    this.connects.emit(this.caps);
    return this.caps;
  }

  /** Drops the connection as a network loss would; the user stays signed in. */
  disconnect(reason = 'test disconnect'): void {
    const hadConnection = this.caps !== null;
    this.caps = null;
    const sockets = [this.socket, ...this.legacySockets.values()];
    this.socket = null;
    this.legacySockets.clear();
    for (const socket of sockets) socket?.terminate();
    if (hadConnection) this.disconnects.emit(reason);
  }

  signOut(): void {
    this.disconnect('signed out');
    this.accessToken = null;
    this.refreshToken = null;
    this.userId = null;
  }

  private openSocket(address: string): WebSocket {
    const socket = new WebSocket(address, { headers: { Authorization: `Bearer ${this.accessToken ?? ''}` } });
    socket.on('message', (data) => {
      // Parsed as the real link parses: delivery only ever sees valid frames.
      const decoded = decodeFrame(String(data));
      if (!decoded.ok) return;
      const frame = decoded.frame;
      if (frame.type === 'protocol_handshake') return;
      if (this.incomingFilter && !this.incomingFilter(frame)) return;
      // Legacy sockets are per conversation; their frames lack conversation ids on some types.
      this.frames.emit(frame);
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      if (socket === this.socket && this.caps) {
        this.caps = null;
        this.socket = null;
        this.disconnects.emit('socket closed');
      }
    });
    return socket;
  }

  private async fetchOnce(
    method: string,
    path: string,
    body: unknown,
    headers: Readonly<Record<string, string>>,
  ): Promise<LinkResponse> {
    let response: Response;
    try {
      response = await fetch(`${this.options.url}${path}`, {
        method,
        headers: {
          Authorization: `Bearer ${this.accessToken ?? ''}`,
          ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}),
          ...headers,
        },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
    } catch {
      throw new AppError('NETWORK_ERROR');
    }
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = text === '' ? null : JSON.parse(text);
    } catch {
      // legacy Nova answers errors in plain text
    }
    const out: Record<string, string> = {};
    response.headers.forEach((value, key) => {
      out[key] = value;
    });
    return { status: response.status, headers: out, body: parsed };
  }

  private async refresh(): Promise<boolean> {
    if (this.refreshToken === null) return false;
    const response = await fetch(`${this.options.url}/api/v1/auth/refresh`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ refresh_token: this.refreshToken }),
    });
    if (response.status !== 200) return false;
    const tokens = (await response.json()) as { access_token: string; refresh_token: string };
    this.accessToken = tokens.access_token;
    this.refreshToken = tokens.refresh_token;
    return true;
  }
}
