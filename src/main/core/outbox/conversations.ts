/**
 * Conversations and their history as the window reads them: the list (refreshed from the server
 * at each connect), read markers, and history paging (the local store first, older pages from
 * the server when the cache ends).
 */
import type { ConversationSummary, Res } from '../../../shared/contract';
import { AppError } from '../../../shared/errors';
import type { ClientFrame, ServerCapabilities, ServerLink } from '../link';
import type { Logger } from '../logging';
import { titleFor } from '../../../shared/people';
import { conversationPeople, saveServerConversation } from '../people/store';
import { SERVER_BODIES } from '../server-data';
import type { DB } from '../store/database';
import { raiseChangesHead } from '../store/message-changes';
import {
  conversationOverview,
  decodeCursor,
  encodeCursor,
  listConversations,
  listMessagePage,
  markConversationRead,
  oldestStoredSeq,
} from '../store/messages';
import type { WriteQueue } from '../store/write-queue';
import type { Reconciler } from '../sync/reconciler';
import { toConversationSummary, toMessageView } from './views';

/** Conversation names for outbox items, read once per conversation and forgotten when it changes. */
export class ConversationNames {
  private readonly names = new Map<string, string>();

  constructor(private readonly db: DB) {}

  nameOf(ownerId: string, conversationId: string): string {
    const cached = this.names.get(conversationId);
    if (cached !== undefined) return cached;
    const name = conversationSummary(this.db, ownerId, conversationId)?.name ?? '';
    this.names.set(conversationId, name);
    return name;
  }

  delete(conversationId: string): void {
    this.names.delete(conversationId);
  }
}

export function conversationSummary(db: DB, ownerId: string, conversationId: string): ConversationSummary | null {
  const overview = conversationOverview(db, ownerId, conversationId);
  if (!overview) return null;
  const summary = toConversationSummary(ownerId, overview);
  // Named after its people: the other person (direct), or the group's name or members.
  const people = conversationPeople(db, ownerId, conversationId);
  return {
    ...summary,
    name: titleFor({ type: summary.type, name: summary.name, members: people.members }, ownerId),
    members: people.members,
    ...(people.memberCount !== null ? { memberCount: people.memberCount } : {}),
    creation: people.creation,
  };
}

export function currentOwner(link: Pick<ServerLink, 'currentUserId'>): string {
  const ownerId = link.currentUserId();
  if (ownerId === null) throw new AppError('NOT_SIGNED_IN');
  return ownerId;
}

export type ConversationsOptions = Readonly<{
  db: DB;
  writes: WriteQueue;
  link: ServerLink;
  log: Logger;
  reconciler: Reconciler;
  names: ConversationNames;
  /** Keys of the sends in flight, so a page shows them as "sending". */
  sending: () => ReadonlySet<string>;
  changes: Readonly<{ conversationChanged(ownerId: string, conversationId: string): void }>;
}>;

type MessagesListRequest = Readonly<{ conversationId: string; olderCursor?: string | null | undefined; limit?: number | undefined }>;

export class Conversations {
  constructor(private readonly o: ConversationsOptions) {}

  list(): ConversationSummary[] {
    const { db, link, writes } = this.o;
    const ownerId = link.currentUserId();
    if (ownerId === null) return [];
    writes.flush();
    return listConversations(db, ownerId)
      .map((c) => conversationSummary(db, ownerId, c.id))
      .filter((c): c is ConversationSummary => c !== null);
  }

  async messages(req: MessagesListRequest): Promise<Res<'messages:list'>> {
    const { db, link, writes, reconciler, log } = this.o;
    const ownerId = currentOwner(link);
    const limit = req.limit ?? 50;
    let cursor = null;
    if (req.olderCursor) {
      cursor = decodeCursor(req.olderCursor);
      if (!cursor) throw new AppError('INVALID_REQUEST', 'That page cursor is not valid.');
    }
    writes.flush();
    let page = listMessagePage(db, ownerId, req.conversationId, cursor, limit);
    if (page.older === null && page.messages.length < limit && link.capabilities() !== null) {
      // The cache ends here; the server may have older history.
      const oldest = oldestStoredSeq(db, ownerId, req.conversationId);
      if (oldest !== null && oldest > 1) {
        try {
          const fetched = await reconciler.fetchOlder(ownerId, req.conversationId, oldest, limit);
          if (fetched > 0) page = listMessagePage(db, ownerId, req.conversationId, cursor, limit);
        } catch (error) {
          log.info(`history: older page unavailable (${error instanceof Error ? error.message : String(error)})`);
        }
      }
    }
    const sending = this.o.sending();
    return {
      messages: page.messages.map((m) => toMessageView(ownerId, m, sending)),
      olderCursor: page.older ? encodeCursor(page.older) : null,
    };
  }

  /** Marks the conversation read here, then tells the server (the socket when it can, else REST). */
  async markRead(conversationId: string): Promise<null> {
    const { db, link, writes, log } = this.o;
    const ownerId = currentOwner(link);
    writes.flush();
    const readSeq = markConversationRead(db, ownerId, conversationId);
    this.o.changes.conversationChanged(ownerId, conversationId);
    const capabilities = link.capabilities();
    if (capabilities === null || readSeq === 0) return null;
    const frame: ClientFrame = { type: 'read', conversation_id: conversationId, last_read_seq: readSeq };
    if (capabilities.mode === 'compat' && link.sendFrame(frame)) return null;
    try {
      await link.request('POST', `/conversations/${encodeURIComponent(conversationId)}/read`, { last_read_seq: readSeq });
    } catch (error) {
      log.info(`read marker not sent (${error instanceof Error ? error.message : String(error)})`);
    }
    return null;
  }

  /** The server's conversation list, stored page by page (legacy Nova has none). */
  async refreshConversations(ownerId: string, capabilities: ServerCapabilities): Promise<void> {
    const { db, link, writes, names } = this.o;
    if (capabilities.mode === 'legacy') return;
    const limit = 100;
    for (let offset = 0; offset < 100_000; offset += limit) {
      const response = await link.requestParsed(SERVER_BODIES.conversationList, 'GET', `/conversations?limit=${limit}&offset=${offset}`);
      if (response.status !== 200 || response.value === null) return;
      const list = response.value.items;
      writes.push(() => {
        for (const c of list) {
          saveServerConversation(db, ownerId, c);
          if (c.last_updated_seq !== undefined) raiseChangesHead(db, ownerId, c.id, c.last_updated_seq);
          names.delete(c.id);
        }
      });
      for (const c of list) this.o.changes.conversationChanged(ownerId, c.id);
      if (response.value.received < limit) return;
    }
  }
}
