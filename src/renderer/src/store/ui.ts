import type { StateCreator } from 'zustand';
import type { AppState } from './index';

export type UiSlice = {
  /** The own message whose delivery timeline is open, if any. */
  timelineKey: string | null;
  setTimelineKey: (key: string | null) => void;
};

export const createUiSlice: StateCreator<AppState, [], [], UiSlice> = (set) => ({
  timelineKey: null,
  setTimelineKey: (timelineKey) => set({ timelineKey }),
});
