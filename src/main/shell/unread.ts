/**
 * The conversations as the core last described them, kept by the shell for the unread badge
 * and for naming conversations in notifications. Fed by `conversations:list` and the
 * `conversations:changed` events; emptied on sign-out.
 */
import type { ConversationSummary } from '../../shared/contract';
import { conversationTitle } from '../../shared/conversations';

export type UnreadTracker = Readonly<{
  replaceAll(list: readonly ConversationSummary[]): void;
  upsert(list: readonly ConversationSummary[]): void;
  clear(): void;
  /** Unread messages over every conversation that is not muted. */
  total(muted: readonly string[]): number;
  title(conversationId: string): string;
}>;

export function createUnreadTracker(): UnreadTracker {
  const byId = new Map<string, ConversationSummary>();
  return {
    replaceAll(list) {
      byId.clear();
      for (const conversation of list) byId.set(conversation.id, conversation);
    },
    upsert(list) {
      for (const conversation of list) byId.set(conversation.id, conversation);
    },
    clear: () => byId.clear(),
    total(muted) {
      const skip = new Set(muted);
      let sum = 0;
      for (const conversation of byId.values()) if (!skip.has(conversation.id)) sum += Math.max(0, conversation.unreadCount);
      return sum;
    },
    title: (conversationId) => conversationTitle(byId.get(conversationId)),
  };
}
