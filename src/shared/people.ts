/**
 * People in the IPC contract: conversation members with names and read markers, people search,
 * new conversations, typing. The channels are declared in contract.ts from these shapes; the
 * helpers here are pure, so the core and the window name and count things the same way.
 */
import { z } from 'zod';

/** The protocol's pace (docs/protocol.md §4.6): "typing" again at most this often while typing… */
export const TYPING_RESEND_MS = 3_000;
/** …and a receiver shows it this long after the last one (a typist that went away sends no stop). */
export const TYPING_SHOW_MS = 6_000;
/** Prefix of a conversation that exists only here until the server creates it. */
export const LOCAL_CONVERSATION_PREFIX = 'local:';
export const PERSON_QUERY_MAX = 64;
export const GROUP_NAME_MAX = 200;
export const GROUP_MEMBERS_MAX = 100;

export function isLocalConversationId(id: string): boolean {
  return id.startsWith(LOCAL_CONVERSATION_PREFIX);
}

export const MemberSchema = z.object({
  userId: z.string(),
  displayName: z.string(),
  /** The highest sequence number this member has read (on any device): what "Seen" is made of. */
  lastReadSeq: z.number().int(),
});
export type Member = z.infer<typeof MemberSchema>;

/** Whether the server still has to create a conversation made here (queued, or refused for good). */
export const CREATION_STATES = ['pending', 'failed'] as const;

export const PersonSchema = z.object({
  id: z.string(),
  displayName: z.string(),
  username: z.string(),
  /** Only for people of the user's own organisation. */
  email: z.string().nullable(),
});
export type Person = z.infer<typeof PersonSchema>;

export const PeopleSearchResultSchema = z.object({ people: z.array(PersonSchema), hasMore: z.boolean() });
export type PeopleSearchResult = z.infer<typeof PeopleSearchResultSchema>;

export const peopleChannels = {
  /** People the user may start a conversation with (server search; needs the connection). */
  'people:search': {
    req: z.object({ query: z.string().trim().min(1).max(PERSON_QUERY_MAX) }).strict(),
    res: PeopleSearchResultSchema,
  },
  /**
   * Opens the direct conversation with one person (an existing one when there is one), or
   * creates a group. Offline, the creation is queued in front of the messages written to it.
   */
  'conversations:create': {
    req: z.discriminatedUnion('type', [
      z.object({ type: z.literal('direct'), person: PersonSchema }).strict(),
      z
        .object({
          type: z.literal('group'),
          name: z.string().trim().max(GROUP_NAME_MAX),
          people: z.array(PersonSchema).min(1).max(GROUP_MEMBERS_MAX),
        })
        .strict(),
    ]),
    res: z.object({ conversationId: z.string() }),
  },
  /** A creation the server refused (or that may have landed, on legacy Nova): the user asks for it again. */
  'conversations:retryCreation': {
    req: z.object({ conversationId: z.string().min(1).max(200) }).strict(),
    res: z.object({ conversationId: z.string() }),
  },
  /**
   * A refused creation the user gives up on: the local conversation and the messages written to it
   * are removed; their text comes back (oldest first) so nothing is lost without the user seeing it.
   */
  'conversations:discardCreation': {
    req: z.object({ conversationId: z.string().min(1).max(200) }).strict(),
    res: z.object({ messages: z.array(z.object({ key: z.string(), text: z.string(), composedAt: z.number() })) }),
  },
  /** The user types in (true) or left (false) a conversation's composer; the core paces what it sends. */
  'conversations:typing': {
    req: z.object({ conversationId: z.string().min(1).max(200), isTyping: z.boolean() }).strict(),
    res: z.null(),
  },
} as const;

export const peopleEvents = {
  /** Who is typing in a conversation now (user ids; never the user). */
  'typing:changed': z.object({ conversationId: z.string(), userIds: z.array(z.string()) }),
  /** A conversation made here got its server id: the window moves its thread, draft and selection. */
  'conversations:resolved': z.object({ localId: z.string(), conversationId: z.string() }),
} as const;

/** "Alice Martin" → "AM", "bob" → "B"; at most two letters. */
export function initials(name: string): string {
  const words = name.trim().split(/\s+/u).filter((w) => w !== '');
  const letters = words.length > 1 ? [words[0], words.at(-1)] : words.slice(0, 1);
  return letters.map((w) => [...(w ?? '')][0]?.toUpperCase() ?? '').join('') || '?';
}

/** A short stand-in for someone whose name the server never told (legacy Nova). */
export function shortUserId(userId: string): string {
  return `User ${userId.slice(0, 8)}`;
}

/** What a conversation is called: the other person (direct), or the group's name, or its people. */
export function titleFor(
  conversation: Readonly<{ type: 'direct' | 'group'; name: string; members: readonly Member[] }>,
  ownerId: string,
): string {
  const others = conversation.members.filter((m) => m.userId !== ownerId);
  if (conversation.type === 'direct') return others[0]?.displayName ?? (conversation.name || 'Direct conversation');
  if (conversation.name) return conversation.name;
  if (others.length > 0) return others.map((m) => m.displayName.split(/\s+/u)[0] ?? m.displayName).join(', ');
  return 'Group conversation';
}

/**
 * Who of the others has read an own message numbered `seq`: a direct conversation shows "Seen",
 * a group how many (docs/protocol.md §4.6).
 */
export function readersOf(members: readonly Member[] | undefined, ownerId: string, seq: number | null): number {
  if (seq === null || !members) return 0;
  return members.filter((m) => m.userId !== ownerId && m.lastReadSeq >= seq).length;
}
