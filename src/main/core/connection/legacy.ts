/** Legacy Nova's per-conversation sockets, presented to the service as one link socket (`ConversationSockets`). */
import { EventEmitter } from 'node:events';
import WebSocket from 'ws';
import { CloseCode, PROTOCOL_VERSION } from '../../../shared/protocol';
import type { Clock, TimerHandle } from '../clock';
import type { ServerCapabilities } from '../link';
import type { Logger } from '../logging';
import { createAuthorizedSocketClass, type AuthorizedSocketClass } from './dialer';

/**
 * What the connection service needs of "the socket" of a link: one `ws` socket (nova-compat),
 * or the set of per-conversation sockets real Nova needs (legacy). Same events, same states.
 */
export interface LinkSocket {
  readonly readyState: number;
  send(data: string): void;
  ping(): void;
  close(code?: number, reason?: string): void;
  terminate(): void;
  on(event: 'open', listener: () => void): this;
  on(event: 'pong', listener: () => void): this;
  on(event: 'message', listener: (data: WebSocket.RawData, isBinary: boolean) => void): this;
  on(event: 'close', listener: (code: number, reason: Buffer) => void): this;
}

export type ConversationSocketsOptions = Readonly<{
  serverUrl: string;
  userId: string;
  token: string;
  conversationIds: readonly string[];
  clock: Clock;
  /** A member that has not opened by then fails the whole set (as a compat attempt would). */
  connectTimeoutMs: number;
  closeTimeoutMs: number;
  /** An upgrade answered with an HTTP status (401, 503 + Retry-After, …); the first one counts. */
  onRefused: (status: number, headers: Readonly<Record<string, string>>) => void;
  /** Nova upgrades a non-member and closes without a code (1005): that conversation is not ours. */
  onConversationRefused: (conversationId: string) => void;
  log: Logger;
}>;

type Member = {
  readonly conversationId: string;
  readonly socket: WebSocket;
  isOpen: boolean;
  connectTimer: TimerHandle | null;
};

type Cause = Readonly<{ code: number; reason: string }>;

/** Real Nova sends no handshake and advertises nothing; its frame limit is the same 1 MiB. */
export const LEGACY_CAPABILITIES: ServerCapabilities = {
  mode: 'legacy',
  features: new Set(),
  maxPayloadBytes: 1_048_576,
  pingIntervalMs: null,
};

/** Where a conversation's socket lives on real Nova (reference §1.1): the header carries the token. */
export function conversationSocketUrl(serverUrl: string, conversationId: string, userId: string): string {
  const url = new URL('/ws', serverUrl.replace(/^http/, 'ws'));
  url.searchParams.set('conversation_id', conversationId);
  url.searchParams.set('user_id', userId);
  url.searchParams.set('protocol_version', PROTOCOL_VERSION);
  return url.toString();
}

/**
 * Legacy Nova has one socket per conversation. This set presents them as one link: open when
 * every watched conversation's socket is open, a pong when every pinged socket answered (so one
 * dead socket is noticed), every frame of every socket as a message, and closed as soon as any
 * socket is lost (the others are terminated, and the service reconnects them all through its
 * usual policy). The only exception is Nova's non-member answer (upgrade, then close without a
 * code), which drops that conversation from the set instead of failing the link.
 */
export class ConversationSockets extends EventEmitter implements LinkSocket {
  private state: number = WebSocket.CONNECTING;
  private readonly members = new Map<string, Member>();
  private readonly awaitingPong = new Set<Member>();
  private failure: Cause | null = null;
  private token: string;
  private readonly socketClass: AuthorizedSocketClass;

  constructor(private readonly options: ConversationSocketsOptions) {
    super();
    this.token = options.token;
    this.socketClass = createAuthorizedSocketClass({
      takeToken: () => this.token,
      onCreated: () => undefined,
      onRefused: (_socket, status, headers) => {
        if (this.state === WebSocket.CONNECTING || this.state === WebSocket.OPEN) options.onRefused(status, headers);
      },
      closeTimeoutMs: options.closeTimeoutMs,
    });
  }

  get readyState(): number {
    return this.state;
  }

  /** The conversations with a socket (open or opening). */
  conversationIds(): string[] {
    return [...this.members.keys()];
  }

  /** Opens one socket per conversation; call once the listeners are attached. */
  connect(): void {
    for (const id of this.options.conversationIds) this.addMember(id);
    this.checkAllOpen();
  }

  /**
   * Follows delivery's watch list while connected: new conversations get a socket (with a
   * current token; a failure to open is a lost link like any other), dropped ones are closed.
   */
  setConversations(conversationIds: readonly string[], token: string): void {
    if (this.state !== WebSocket.OPEN && this.state !== WebSocket.CONNECTING) return;
    this.token = token;
    const wanted = new Set(conversationIds);
    for (const [id, member] of [...this.members]) {
      if (wanted.has(id)) continue;
      this.members.delete(id);
      this.settlePong(member);
      this.closeMember(member, CloseCode.NORMAL, 'unwatched');
    }
    for (const id of wanted) if (!this.members.has(id)) this.addMember(id);
    this.checkAllOpen();
  }

  /** A frame goes to the socket of the conversation it names (legacy Nova accepts only `typing`). */
  sendTo(conversationId: unknown, data: string): boolean {
    const member = typeof conversationId === 'string' ? this.members.get(conversationId) : undefined;
    if (this.state !== WebSocket.OPEN || member === undefined || member.socket.readyState !== WebSocket.OPEN) return false;
    member.socket.send(data);
    return true;
  }

  send(data: string): void {
    let conversationId: unknown;
    try {
      conversationId = (JSON.parse(data) as { conversation_id?: unknown }).conversation_id;
    } catch {
      return;
    }
    this.sendTo(conversationId, data);
  }

  /** A protocol ping on every open socket; 'pong' once all of them answered. */
  ping(): void {
    this.awaitingPong.clear();
    for (const member of this.members.values()) {
      if (member.socket.readyState !== WebSocket.OPEN) continue;
      this.awaitingPong.add(member);
      member.socket.ping();
    }
    // Watching nothing: there is no socket that could be dead.
    if (this.awaitingPong.size === 0) queueMicrotask(() => this.emit('pong'));
  }

  close(code: number = CloseCode.NORMAL, reason = ''): void {
    this.fail({ code, reason }, (member) => this.closeMember(member, code, reason));
  }

  terminate(): void {
    this.fail(this.failure ?? { code: CloseCode.ABNORMAL, reason: 'terminated' }, (member) => member.socket.terminate());
  }

  // ---- members ------------------------------------------------------------------------------

  private addMember(conversationId: string): void {
    const url = conversationSocketUrl(this.options.serverUrl, conversationId, this.options.userId);
    const socket = new this.socketClass(url);
    const member: Member = { conversationId, socket, isOpen: false, connectTimer: null };
    this.members.set(conversationId, member);
    member.connectTimer = this.options.clock.setTimeout(() => {
      member.connectTimer = null;
      if (this.members.get(conversationId) !== member || member.isOpen) return;
      this.options.log.info('legacy: a conversation socket did not open in time');
      this.fail({ code: CloseCode.ABNORMAL, reason: 'connect timeout' }, (other) => other.socket.terminate());
    }, this.options.connectTimeoutMs);
    socket.on('open', () => {
      this.clearConnectTimer(member);
      member.isOpen = true;
      this.checkAllOpen();
    });
    socket.on('message', (data, isBinary) => {
      if (this.members.get(conversationId) === member) this.emit('message', data, isBinary);
    });
    socket.on('pong', () => {
      if (this.awaitingPong.delete(member) && this.awaitingPong.size === 0) this.emit('pong');
    });
    socket.on('close', (code, reason) => this.onMemberClose(member, code, reason.toString('utf8')));
  }

  private onMemberClose(member: Member, code: number, reason: string): void {
    this.clearConnectTimer(member);
    const isCurrent = this.members.get(member.conversationId) === member;
    if (isCurrent) this.members.delete(member.conversationId);
    this.settlePong(member);
    if (this.state === WebSocket.CLOSING || this.state === WebSocket.CLOSED) {
      this.finishIfEmpty();
      return;
    }
    if (!isCurrent) return; // unwatched: closed on purpose
    if (code === CloseCode.NO_STATUS && member.isOpen) {
      this.options.log.warn('legacy: a conversation socket was closed without a code (not a member); not watching it');
      this.options.onConversationRefused(member.conversationId);
      this.checkAllOpen();
      return;
    }
    this.fail({ code, reason }, (other) => other.socket.terminate());
  }

  /** The first loss decides the cause; every other member is ended, and 'close' follows the last. */
  private fail(cause: Cause, end: (member: Member) => void): void {
    if (this.state === WebSocket.CLOSED) return;
    this.failure ??= cause;
    this.state = WebSocket.CLOSING;
    this.awaitingPong.clear();
    for (const member of this.members.values()) {
      this.clearConnectTimer(member);
      end(member);
    }
    this.finishIfEmpty();
  }

  private finishIfEmpty(): void {
    if (this.state !== WebSocket.CLOSING) return;
    for (const member of this.members.values()) {
      if (member.socket.readyState !== WebSocket.CLOSED) return;
    }
    this.members.clear();
    this.state = WebSocket.CLOSED;
    const cause = this.failure ?? { code: CloseCode.ABNORMAL, reason: '' };
    // Asynchronous, like a socket's own 'close', so callers finish what they were doing first.
    queueMicrotask(() => this.emit('close', cause.code, Buffer.from(cause.reason, 'utf8')));
  }

  private checkAllOpen(): void {
    if (this.state !== WebSocket.CONNECTING) return;
    for (const member of this.members.values()) if (!member.isOpen) return;
    this.state = WebSocket.OPEN;
    this.emit('open');
  }

  private settlePong(member: Member): void {
    if (this.awaitingPong.delete(member) && this.awaitingPong.size === 0) this.emit('pong');
  }

  private closeMember(member: Member, code: number, reason: string): void {
    if (member.socket.readyState === WebSocket.OPEN) member.socket.close(code, reason);
    else member.socket.terminate();
  }

  private clearConnectTimer(member: Member): void {
    if (member.connectTimer !== null) this.options.clock.clearTimeout(member.connectTimer);
    member.connectTimer = null;
  }
}
