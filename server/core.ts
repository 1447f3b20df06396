/**
 * State shared by the REST and WebSocket halves, and the operations both use (sending a
 * message, fanning out events), so the two transports cannot disagree.
 */
import type { WebSocket } from 'ws';
import type { Duplex } from 'node:stream';
import { RETRYABLE_CODES, STATUS_BY_CODE, ERROR_CODE_VERSION, CloseCode } from '../src/shared/protocol';
import type { Conversation, ErrorCode, Message, ServerFrame } from '../src/shared/protocol';
import type { AuthConfig } from './auth';
import {
  conversationMembers,
  getConversation,
  isMember,
  lastMessageId,
  memberIds,
  sendMessage,
  sendMessageLegacy,
  unreadCount,
} from './db';
import type { ConversationRow, DB, MessageRow, SendInput } from './db';
import type { Logger } from './logger';
import type { AdmissionSchedule, FixedWindowLimiter } from './rateLimit';
import type { SignInThrottle } from './signin';

/** `retryAfterMs` is the server's named wait: `retry_after_ms` in a nack, Retry-After on REST. */
export type FailSpec =
  | Readonly<{ status: number; retryable?: boolean; retryAfterMs?: number }>
  | Readonly<{ nackCode: ErrorCode; retryable?: boolean; retryAfterMs?: number }>;

export type FaultState = {
  /** Accept the TCP connection and read the upgrade request, but never answer it. */
  holdUpgrades: boolean;
  /** Open sockets stop being read (so protocol pings go unanswered) and get nothing sent. */
  frozen: boolean;
  ackDelayMs: number;
  failSends: { remaining: number; spec: FailSpec } | null;
  unavailableUntilMs: number;
  rejectLogins: { status: number } | null;
};

export type Conn = {
  readonly id: string;
  readonly ws: WebSocket;
  readonly userId: string;
  readonly sessionId: string;
  /** Token expiry (epoch ms); the socket is closed with 4001 when it passes. */
  readonly expMs: number;
  /** Set for Nova-style conversation-scoped sockets; null for user-scoped ones. */
  readonly conversationId: string | null;
  readonly legacy: boolean;
  /** Conversations a user-scoped socket asked not to hear about (via `unsubscribe`). */
  readonly muted: Set<string>;
  idleTimer: NodeJS.Timeout | null;
  expiryTimer: NodeJS.Timeout | null;
};

export type ServerStats = {
  connectionAttempts: number;
  connectionsAccepted: number;
  upgradesRefused: number;
  framesReceived: number;
};

export type ResolvedOptions = Readonly<{
  maxPayloadSize: number;
  maxMessageBytes: number;
  pingIntervalMs: number;
  idleTimeoutMs: number;
}>;

export type ServerContext = {
  db: DB;
  readonly auth: AuthConfig;
  readonly log: Logger;
  readonly clock: () => number;
  readonly legacy: boolean;
  readonly opts: ResolvedOptions;
  readonly faults: FaultState;
  readonly conns: Map<string, Conn>;
  readonly connsByUser: Map<string, Set<Conn>>;
  readonly limiter: FixedWindowLimiter | null;
  /** Failed sign-in steps per account and per address; null only with throttling turned off. */
  readonly signIn: SignInThrottle | null;
  /** A bcrypt hash of nothing, at the server's cost: unknown e-mails are checked against it. */
  readonly dummyPasswordHash: string;
  /** Host names (lowercase, no port) requests may be addressed to, besides loopback names. */
  readonly allowedHosts: ReadonlySet<string>;
  readonly admission: AdmissionSchedule | null;
  readonly stats: ServerStats;
  /** Upgrade sockets parked by the half-open fault, destroyed on close. */
  readonly heldSockets: Set<Duplex>;
};

export function isoNow(ctx: ServerContext): string {
  return new Date(ctx.clock()).toISOString();
}

export function newFaultState(): FaultState {
  return {
    holdUpgrades: false,
    frozen: false,
    ackDelayMs: 0,
    failSends: null,
    unavailableUntilMs: 0,
    rejectLogins: null,
  };
}

// ---------------------------------------------------------------------------------------
// Views
// ---------------------------------------------------------------------------------------
export function toMessage(m: MessageRow): Message {
  return {
    id: m.id,
    sender_id: m.sender_id,
    sequence_number: m.sequence_number,
    created_at: m.created_at,
    conversation_id: m.conversation_id,
    plaintext: m.plaintext,
    idempotency_key: m.idempotency_key,
    edited_at: m.edited_at,
    deleted_at: m.deleted_at,
    client_seq: m.client_seq,
    updated_seq: m.updated_seq,
  };
}

/** What real Nova returns and broadcasts: no content, no timestamps beyond created_at. */
export function toLegacyMessage(m: MessageRow, withCreatedAt: boolean): Message {
  const base = { id: m.id, sender_id: m.sender_id, sequence_number: m.sequence_number };
  return withCreatedAt ? { ...base, created_at: m.created_at } : base;
}

export function toConversation(ctx: ServerContext, c: ConversationRow, viewerId: string): Conversation {
  const members = conversationMembers(ctx.db, c.id);
  const base = { id: c.id, member_count: members.length, last_message_id: lastMessageId(ctx.db, c.id) };
  if (ctx.legacy) return base;
  return {
    ...base,
    type: c.type,
    name: c.name,
    last_seq: c.last_seq,
    unread_count: unreadCount(ctx.db, c.id, viewerId),
    updated_at: c.updated_at,
    member_ids: members.map((m) => m.user_id),
    members: members.map((m) => ({ user_id: m.user_id, display_name: m.display_name, last_read_seq: m.last_read_seq })),
    last_read_seq: members.find((m) => m.user_id === viewerId)?.last_read_seq ?? 0,
    last_updated_seq: c.last_updated_seq,
  };
}

// ---------------------------------------------------------------------------------------
// Fan-out
// ---------------------------------------------------------------------------------------
export function sendRaw(ctx: ServerContext, conn: Conn, data: string): void {
  if (ctx.faults.frozen) return;
  if (conn.ws.readyState === conn.ws.OPEN) conn.ws.send(data);
}

/**
 * Every frame this server sends: the protocol's union, and the messenger extension's frames
 * that are not in it yet.
 */
export type OutgoingFrame = ServerFrame;

export function sendFrame(ctx: ServerContext, conn: Conn, frame: OutgoingFrame): void {
  sendRaw(ctx, conn, JSON.stringify(frame));
}

export function errorFrame(
  code: ErrorCode,
  message: string,
  extra: { ref?: string; retry_after_ms?: number } = {},
): ServerFrame {
  return { type: 'error', error_code: code, error_code_version: ERROR_CODE_VERSION, message, ...extra };
}

/**
 * Delivers an event to every socket that should see events of this conversation. Legacy
 * sockets get each frame twice: real Nova broadcasts locally and again via its Redis echo.
 * `exceptUser` leaves out every socket of that user (all their devices).
 */
export function publish(
  ctx: ServerContext,
  conversationId: string,
  frame: OutgoingFrame,
  options: { legacyFrame?: ServerFrame; exceptUser?: string } = {},
): void {
  const data = JSON.stringify(frame);
  const legacyData = JSON.stringify(options.legacyFrame ?? frame);
  for (const userId of memberIds(ctx.db, conversationId)) {
    if (userId === options.exceptUser) continue;
    const conns = ctx.connsByUser.get(userId);
    if (!conns) continue;
    for (const conn of conns) {
      if (conn.conversationId !== null && conn.conversationId !== conversationId) continue;
      if (conn.muted.has(conversationId)) continue;
      if (conn.legacy) {
        sendRaw(ctx, conn, legacyData);
        sendRaw(ctx, conn, legacyData);
      } else {
        sendRaw(ctx, conn, data);
      }
    }
  }
}

export function publishMessage(ctx: ServerContext, m: MessageRow): void {
  publish(
    ctx,
    m.conversation_id,
    { type: 'message', conversation_id: m.conversation_id, message: toMessage(m) },
    {
      legacyFrame: {
        type: 'message',
        conversation_id: m.conversation_id,
        message: toLegacyMessage(m, false),
      },
    },
  );
}

export type AuthCloseCode = 'TOKEN_REVOKED' | 'TOKEN_EXPIRED' | 'REFRESH_REUSED';

const AUTH_CLOSE_TEXT: Readonly<Record<AuthCloseCode, string>> = {
  TOKEN_REVOKED: 'Token has been revoked',
  TOKEN_EXPIRED: 'Token has expired',
  REFRESH_REUSED: 'This sign-in was ended: its refresh token was used twice',
};

/** Sends an error frame, then closes 4001, to every socket matching `match`. */
export function closeAuthSockets(ctx: ServerContext, match: (c: Conn) => boolean, code: AuthCloseCode): number {
  let n = 0;
  for (const conn of [...ctx.conns.values()]) {
    if (!match(conn)) continue;
    closeAuth(ctx, conn, code);
    n += 1;
  }
  return n;
}

export function closeAuth(ctx: ServerContext, conn: Conn, code: AuthCloseCode): void {
  if (conn.ws.readyState !== conn.ws.OPEN) return;
  if (!conn.legacy) conn.ws.send(JSON.stringify(errorFrame(code, AUTH_CLOSE_TEXT[code])));
  conn.ws.close(CloseCode.UNAUTHORIZED, code.toLowerCase());
}

// ---------------------------------------------------------------------------------------
// Sending
// ---------------------------------------------------------------------------------------
/** A send as a transport hands it over; the database adds the time it is stored. */
export type SendRequest = Omit<SendInput, 'now'>;

export type SendResult =
  | { ok: true; duplicate: boolean; message: MessageRow }
  | {
      ok: false;
      code: ErrorCode;
      status: number;
      error: string;
      retryable: boolean;
      expectedClientSeq?: number;
      retryAfterMs?: number;
    };

function codeForStatus(status: number): ErrorCode {
  const byStatus: Record<number, ErrorCode> = {
    400: 'INVALID_INPUT',
    401: 'UNAUTHORIZED',
    403: 'FORBIDDEN',
    404: 'NOT_FOUND',
    409: 'CONFLICT',
    413: 'PAYLOAD_TOO_LARGE',
    429: 'RATE_LIMITED',
    500: 'INTERNAL_ERROR',
    503: 'SERVICE_UNAVAILABLE',
  };
  return byStatus[status] ?? (status >= 500 ? 'INTERNAL_ERROR' : 'INVALID_INPUT');
}

function fail(code: ErrorCode, error: string, status = STATUS_BY_CODE[code]): SendResult {
  return { ok: false, code, status, error, retryable: RETRYABLE_CODES.has(code) };
}

/** The advertised `max_message_bytes` is the rule: counted in UTF-8 bytes, whatever the characters. */
export function isTooLarge(ctx: ServerContext, plaintext: unknown): boolean {
  return typeof plaintext === 'string' && Buffer.byteLength(plaintext, 'utf8') > ctx.opts.maxMessageBytes;
}

export function tooLargeText(ctx: ServerContext): string {
  return `Message text is over ${ctx.opts.maxMessageBytes} bytes`;
}

/** Injected failures come first so a test can fail a send without touching the database. */
export function performSend(ctx: ServerContext, req: SendRequest): SendResult {
  const injected = ctx.faults.failSends;
  if (injected && injected.remaining > 0) {
    injected.remaining -= 1;
    if (injected.remaining === 0) ctx.faults.failSends = null;
    const spec = injected.spec;
    const code = 'status' in spec ? codeForStatus(spec.status) : spec.nackCode;
    const status = 'status' in spec ? spec.status : STATUS_BY_CODE[spec.nackCode];
    return {
      ok: false,
      code,
      status,
      error: 'Injected failure',
      retryable: spec.retryable ?? RETRYABLE_CODES.has(code),
      ...(spec.retryAfterMs !== undefined ? { retryAfterMs: spec.retryAfterMs } : {}),
    };
  }
  if (isTooLarge(ctx, req.plaintext)) return fail('PAYLOAD_TOO_LARGE', tooLargeText(ctx));
  if (!getConversation(ctx.db, req.conversationId)) return fail('NOT_FOUND', 'Conversation not found');
  if (!isMember(ctx.db, req.conversationId, req.senderId)) {
    return fail('NOT_MEMBER', 'Not a member of this conversation');
  }
  const input = { ...req, now: isoNow(ctx) };
  const outcome = ctx.legacy ? sendMessageLegacy(ctx.db, input) : sendMessage(ctx.db, input);
  switch (outcome.kind) {
    case 'accepted':
      publishMessage(ctx, outcome.message);
      return { ok: true, duplicate: false, message: outcome.message };
    case 'duplicate':
      // real Nova re-broadcasts retries; we do not, so a retry never shows twice
      if (ctx.legacy) publishMessage(ctx, outcome.message);
      return { ok: true, duplicate: true, message: outcome.message };
    case 'key_conflict':
      return fail('CONFLICT', 'idempotency_key already used in another conversation');
    case 'deleted':
      return fail('MESSAGE_DELETED', 'The message with this idempotency_key was deleted or withdrawn');
    case 'out_of_order':
      return {
        ...(fail('OUT_OF_ORDER', `client_seq out of order; expected ${outcome.expected}`) as {
          ok: false;
          code: ErrorCode;
          status: number;
          error: string;
          retryable: boolean;
        }),
        expectedClientSeq: outcome.expected,
      };
  }
}
