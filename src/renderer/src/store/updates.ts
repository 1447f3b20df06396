import type { StateCreator } from 'zustand';
import type { UpdateStatus } from '../../../shared/updates';
import type { AppState } from './index';

export type UpdatesSlice = {
  /** What the shell's updater last reported; null until it answered. */
  update: UpdateStatus | null;
  /** The version whose prompt the user put off with "Later"; a newer version asks again. */
  updatePromptDismissedFor: string | null;
  setUpdateStatus: (status: UpdateStatus) => void;
  dismissUpdatePrompt: (version: string) => void;
};

export const createUpdatesSlice: StateCreator<AppState, [], [], UpdatesSlice> = (set) => ({
  update: null,
  updatePromptDismissedFor: null,
  setUpdateStatus: (update) => set({ update }),
  dismissUpdatePrompt: (version) => set({ updatePromptDismissedFor: version }),
});
