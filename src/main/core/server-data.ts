/**
 * Everything the server sends is parsed here, once, at the edge: each frame the link receives
 * and each REST body delivery reads comes out typed (the zod schemas of src/shared/protocol.ts,
 * which the reference server uses too) or is rejected with a bounded reason. Past the link,
 * nothing picks fields out of `unknown`.
 *
 * Parsing is tolerant where the protocol asks it to be: unknown fields are stripped, optional
 * fields may be missing (legacy Nova omits text and timestamps), and one bad item in a list
 * costs that item, not the page.
 */
import type { z } from 'zod';
import {
  ChangesResponseSchema,
  ConversationSchema,
  MessageByKeyResponseSchema,
  CreateConversationResponseSchema,
  MessageSchema,
  SUPPORTED_EVENTS,
  SendMessageResponseSchema,
  ServerFrameSchema,
  type ChangesResponse,
  UserSearchResponseSchema,
  type Conversation,
  type CreateConversationResponse,
  type Message,
  type MessageByKeyResponse,
  type SendMessageResponse,
  type ServerFrame,
  type UserSearchResponse,
} from '../../shared/protocol';
import type { BodyReader, BodyReading, LinkResponse, ParsedResponse } from './link';
import type { Logger } from './logging';
import { FRAME_TYPES, closedLabel, type FrameRejectReason, type HttpEndpoint, type Metrics } from './metrics';

const SERVER_FRAME_TYPES: ReadonlySet<string> = new Set(['protocol_handshake', ...SUPPORTED_EVENTS]);

/** A rejected frame's JSON is logged (redacted) only up to this size; beyond it, its keys. */
const LOGGED_FRAME_MAX_CHARS = 4096;

export type FrameDecoding =
  | Readonly<{ ok: true; frame: ServerFrame }>
  | Readonly<{
      ok: false;
      reason: FrameRejectReason;
      /** The frame's `type` when it is a JSON object with a string `type`. */
      type: string | null;
      /** What the log may show: issue paths and codes, and the frame for the redacting logger. */
      detail: Readonly<Record<string, unknown>>;
    }>;

/** Where each issue is and what kind it is; never the offending value. */
function describeIssues(error: z.ZodError): string[] {
  return error.issues.slice(0, 10).map((issue) => `${issue.path.join('.') || '(frame)'}: ${issue.code}`);
}

/** A text frame as the server sent it → a typed frame, or why not. */
export function decodeFrame(text: string): FrameDecoding {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, reason: 'not_json', type: null, detail: { chars: text.length } };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, reason: 'not_object', type: null, detail: { chars: text.length } };
  }
  const rawType = (value as { type?: unknown }).type;
  const type = typeof rawType === 'string' ? rawType : null;
  const frame = text.length <= LOGGED_FRAME_MAX_CHARS ? value : { keys: Object.keys(value).slice(0, 20) };
  if (type === null || !SERVER_FRAME_TYPES.has(type)) return { ok: false, reason: 'unknown_type', type, detail: { frame } };
  const parsed = ServerFrameSchema.safeParse(value);
  if (!parsed.success) return { ok: false, reason: 'invalid', type, detail: { issues: describeIssues(parsed.error), frame } };
  return { ok: true, frame: parsed.data };
}

// ---- REST bodies ------------------------------------------------------------------------------

/** A list body: the items that parsed, and how many the server sent (paging goes by that). */
export type ListPage<T> = Readonly<{ items: readonly T[]; received: number }>;

function readList<T>(list: unknown, schema: z.ZodType<T>): BodyReading<ListPage<T>> {
  if (!Array.isArray(list)) return { value: null, rejected: 1, issues: ['(body): not a list'] };
  const items: T[] = [];
  const issues: string[] = [];
  for (const [index, item] of list.entries()) {
    const parsed = schema.safeParse(item);
    if (parsed.success) items.push(parsed.data);
    else if (issues.length < 10) issues.push(...describeIssues(parsed.error).map((issue) => `${index}.${issue}`));
  }
  return { value: { items, received: list.length }, rejected: list.length - items.length, issues };
}

function readWhole<T>(body: unknown, schema: z.ZodType<T>): BodyReading<T> {
  const parsed = schema.safeParse(body);
  return parsed.success ? { value: parsed.data, rejected: 0, issues: [] } : { value: null, rejected: 1, issues: describeIssues(parsed.error) };
}

/** The REST bodies the core reads. Only 2xx bodies are read; error bodies stay as they came. */
export const SERVER_BODIES = {
  /** `GET /conversations` (nova-compat only; legacy Nova has no list). */
  conversationList: {
    endpoint: 'conversations_list',
    read: (body) => {
      const conversations = typeof body === 'object' && body !== null ? (body as { conversations?: unknown }).conversations : undefined;
      return readList(conversations, ConversationSchema);
    },
  } satisfies BodyReader<ListPage<Conversation>>,
  /** `GET /conversations/:id/messages`: a bare array, ascending (legacy Nova: ids and numbers only). */
  messagePage: {
    endpoint: 'messages_list',
    read: (body) => readList(body, MessageSchema),
  } satisfies BodyReader<ListPage<Message>>,
  /** `POST /conversations/:id/messages` (legacy Nova answers `{id, sequence_number}` only). */
  sendAnswer: {
    endpoint: 'messages_send',
    read: (body) => readWhole(body, SendMessageResponseSchema),
  } satisfies BodyReader<SendMessageResponse>,
  /** `GET /conversations/:id/changes` (extension, docs/protocol.md §3.7): read whole, a bad item costs the page. */
  changes: {
    endpoint: 'messages_changes',
    read: (body) => readWhole(body, ChangesResponseSchema),
  } satisfies BodyReader<ChangesResponse>,
  /** `PUT`/`DELETE /conversations/:id/messages/by-key/:key` (extension, protocol §3.8). */
  messageByKey: {
    endpoint: 'message_change',
    read: (body) => readWhole(body, MessageByKeyResponseSchema),
  } satisfies BodyReader<MessageByKeyResponse>,
  /** `POST /conversations` (legacy Nova answers `{id, member_count, last_message_id}` only). */
  createdConversation: {
    endpoint: 'conversation_create',
    read: (body) => readWhole(body, CreateConversationResponseSchema),
  } satisfies BodyReader<CreateConversationResponse>,
  /** `GET /users/search` (extension; legacy Nova has no such route). */
  userSearch: {
    endpoint: 'users_search',
    read: (body) => readWhole(body, UserSearchResponseSchema),
  } satisfies BodyReader<UserSearchResponse>,
} as const;

export function parseResponse<T>(
  reader: BodyReader<T>,
  response: LinkResponse,
  onRejected?: (endpoint: HttpEndpoint, reading: BodyReading<T>) => void,
): ParsedResponse<T> {
  if (response.status < 200 || response.status >= 300) return { ...response, value: null };
  const reading = reader.read(response.body);
  if (reading.rejected > 0) onRejected?.(reader.endpoint, reading);
  return { ...response, value: reading.value };
}

// ---- Counting and logging what was dropped ---------------------------------------------------

/**
 * Counts everything the server sent that did not parse, and logs each kind once per link (a
 * broken server repeats itself; the log should not). The logger redacts what it writes, so the
 * frame itself may go in the detail.
 */
export class RejectedData {
  private readonly logged = new Set<string>();

  constructor(
    private readonly metrics: Metrics,
    private readonly log: Logger,
  ) {}

  frame(rejection: Extract<FrameDecoding, { ok: false }>): void {
    const type = closedLabel(rejection.type, FRAME_TYPES);
    this.metrics.frameRejected(rejection.reason, type);
    this.once(`frame:${rejection.reason}:${type}`, () => {
      this.log.warn(`frame: dropped (${rejection.reason}, type ${type}); further ones of this kind are only counted`, rejection.detail);
    });
  }

  body(endpoint: HttpEndpoint, reading: BodyReading<unknown>): void {
    this.metrics.bodyRejected(endpoint, reading.rejected);
    this.once(`body:${endpoint}`, () => {
      this.log.warn(`rest: ${reading.rejected} part(s) of a ${endpoint} answer dropped; further ones are only counted`, { issues: reading.issues });
    });
  }

  private once(kind: string, write: () => void): void {
    if (this.logged.has(kind)) return;
    this.logged.add(kind);
    write();
  }
}
