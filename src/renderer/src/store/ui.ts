import type { StateCreator } from 'zustand';
import type { AppState } from './index';

/** The own message the composer is editing, and the text as the user has changed it so far. */
export type Editing = Readonly<{ conversationId: string; key: string; text: string }>;

export type UiSlice = {
  /** The own message whose delivery timeline is open, if any. */
  timelineKey: string | null;
  setTimelineKey: (key: string | null) => void;
  editing: Editing | null;
  setEditing: (editing: Editing | null) => void;
  setEditingText: (text: string) => void;
  /** A cancel found this message on the server already: its row says so and offers Delete. */
  alreadyDeliveredKey: string | null;
  setAlreadyDeliveredKey: (key: string | null) => void;
  /** Conversations whose resync has not succeeded yet: their thread says "catching up…". */
  catchingUp: readonly string[];
  setCatchingUp: (conversationIds: readonly string[]) => void;
};

export const createUiSlice: StateCreator<AppState, [], [], UiSlice> = (set) => ({
  timelineKey: null,
  setTimelineKey: (timelineKey) => set({ timelineKey }),
  editing: null,
  setEditing: (editing) => set({ editing }),
  setEditingText: (text) => set((state) => (state.editing ? { editing: { ...state.editing, text } } : state)),
  alreadyDeliveredKey: null,
  setAlreadyDeliveredKey: (alreadyDeliveredKey) => set({ alreadyDeliveredKey }),
  catchingUp: [],
  setCatchingUp: (catchingUp) => set({ catchingUp }),
});
