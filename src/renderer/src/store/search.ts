import type { StateCreator } from 'zustand';
import type { SearchIndexStatus } from '../../../shared/search';
import type { AppState } from './index';

/** A message the thread scrolls to and marks (a search result the user picked). */
export type JumpTarget = Readonly<{ conversationId: string; key: string; at: number }>;

export type SearchSlice = {
  isSearchOpen: boolean;
  setSearchOpen: (isOpen: boolean) => void;
  /** The background indexing of an existing cache; null until the core reports it. */
  searchIndex: SearchIndexStatus | null;
  setSearchIndex: (status: SearchIndexStatus) => void;
  jumpTarget: JumpTarget | null;
  setJumpTarget: (target: JumpTarget | null) => void;
};

export const createSearchSlice: StateCreator<AppState, [], [], SearchSlice> = (set) => ({
  isSearchOpen: false,
  setSearchOpen: (isSearchOpen) => set({ isSearchOpen }),
  searchIndex: null,
  setSearchIndex: (searchIndex) => set({ searchIndex }),
  jumpTarget: null,
  setJumpTarget: (jumpTarget) => set({ jumpTarget }),
});
