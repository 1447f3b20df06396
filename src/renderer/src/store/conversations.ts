import type { StateCreator } from 'zustand';
import type { ConversationSummary } from '../../../shared/contract';
import type { AppState } from './index';

export type LoadStatus = 'idle' | 'loading' | 'loaded' | 'unavailable';

export type ConversationsSlice = {
  conversations: Readonly<Record<string, ConversationSummary>>;
  conversationsStatus: LoadStatus;
  selectedConversationId: string | null;
  setConversations: (list: readonly ConversationSummary[]) => void;
  upsertConversations: (list: readonly ConversationSummary[]) => void;
  setConversationsStatus: (status: LoadStatus) => void;
  selectConversation: (id: string | null) => void;
};

export const createConversationsSlice: StateCreator<AppState, [], [], ConversationsSlice> = (set) => ({
  conversations: {},
  conversationsStatus: 'idle',
  selectedConversationId: null,
  setConversations: (list) =>
    set({ conversations: Object.fromEntries(list.map((c) => [c.id, c])), conversationsStatus: 'loaded' }),
  upsertConversations: (list) =>
    set((state) => ({
      conversations: { ...state.conversations, ...Object.fromEntries(list.map((c) => [c.id, c])) },
    })),
  setConversationsStatus: (conversationsStatus) => set({ conversationsStatus }),
  selectConversation: (selectedConversationId) => set({ selectedConversationId }),
});

/** Newest activity first; conversations with no messages keep their name order at the end. */
export function sortConversations(list: readonly ConversationSummary[]): ConversationSummary[] {
  return [...list].sort((a, b) => {
    const at = (b.lastMessage?.at ?? 0) - (a.lastMessage?.at ?? 0);
    return at !== 0 ? at : a.name.localeCompare(b.name);
  });
}

export { conversationTitle } from '../../../shared/conversations';
