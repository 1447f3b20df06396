import type { StateCreator } from 'zustand';
import type { AppState } from './index';

export type DraftsSlice = {
  drafts: Readonly<Record<string, string>>;
  setDraft: (conversationId: string, text: string) => void;
};

export const createDraftsSlice: StateCreator<AppState, [], [], DraftsSlice> = (set) => ({
  drafts: {},
  setDraft: (conversationId, text) =>
    set((state) => {
      const drafts = { ...state.drafts };
      if (text === '') delete drafts[conversationId];
      else drafts[conversationId] = text;
      return { drafts };
    }),
});
