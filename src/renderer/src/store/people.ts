import type { StateCreator } from 'zustand';
import type { AppState } from './index';

export type PeopleSlice = {
  /** Per conversation, who types now (user ids, as main reports them). */
  typing: Readonly<Record<string, readonly string[]>>;
  /** The new-conversation dialog is open. */
  isNewConversationOpen: boolean;
  /**
   * Per conversation, the first message below the user's read marker when it was opened: the
   * "New messages" divider stays there while the thread is open, although reading moves the marker.
   */
  unreadDivider: Readonly<Record<string, string | null>>;
  setTyping: (conversationId: string, userIds: readonly string[]) => void;
  setNewConversationOpen: (open: boolean) => void;
  setUnreadDivider: (conversationId: string, key: string | null) => void;
  /** A conversation made here got its server id: selection, draft and list follow it. */
  resolveConversation: (localId: string, conversationId: string) => void;
  /** What a discarded conversation left behind: its name and the text that was never sent, until dismissed. */
  discarded: DiscardedConversation | null;
  /** A refused conversation the user discarded: gone from the list, its unsent text kept in `discarded`. */
  discardConversation: (localId: string, discarded: DiscardedConversation) => void;
  dismissDiscarded: () => void;
};

export type DiscardedConversation = Readonly<{ name: string; texts: readonly string[] }>;

/** The state without a local (not yet created) conversation: its summary, draft and thread. */
function withoutLocal(state: AppState, localId: string): Pick<AppState, 'conversations' | 'drafts' | 'threads'> {
  const conversations = { ...state.conversations };
  delete conversations[localId];
  const drafts = { ...state.drafts };
  delete drafts[localId];
  const threads = { ...state.threads };
  delete threads[localId];
  return { conversations, drafts, threads };
}

export const createPeopleSlice: StateCreator<AppState, [], [], PeopleSlice> = (set) => ({
  typing: {},
  isNewConversationOpen: false,
  unreadDivider: {},
  setTyping: (conversationId, userIds) =>
    set((state) => {
      const typing = { ...state.typing };
      if (userIds.length === 0) delete typing[conversationId];
      else typing[conversationId] = userIds;
      return { typing };
    }),
  setNewConversationOpen: (isNewConversationOpen) => set({ isNewConversationOpen }),
  setUnreadDivider: (conversationId, key) => set((state) => ({ unreadDivider: { ...state.unreadDivider, [conversationId]: key } })),
  discarded: null,
  discardConversation: (localId, discarded) =>
    set((state) => ({
      ...withoutLocal(state, localId),
      discarded,
      selectedConversationId: state.selectedConversationId === localId ? null : state.selectedConversationId,
    })),
  dismissDiscarded: () => set({ discarded: null }),
  resolveConversation: (localId, conversationId) =>
    set((state) => {
      const left = withoutLocal(state, localId);
      const draft = state.drafts[localId];
      // The draft written while the conversation was queued follows it to its server id.
      const drafts = draft !== undefined && left.drafts[conversationId] === undefined ? { ...left.drafts, [conversationId]: draft } : left.drafts;
      return {
        ...left,
        drafts,
        selectedConversationId: state.selectedConversationId === localId ? conversationId : state.selectedConversationId,
      };
    }),
});

/** The first message from someone else above the read marker, in thread order: where "New messages" goes. */
export function firstUnreadKey(
  thread: Readonly<{ order: readonly string[]; byKey: ReadonlyMap<string, { isOwn: boolean; seq: number | null }> }> | undefined,
  readSeq: number,
): string | null {
  if (!thread) return null;
  for (const key of thread.order) {
    const message = thread.byKey.get(key);
    if (message && !message.isOwn && message.seq !== null && message.seq > readSeq) return key;
  }
  return null;
}
