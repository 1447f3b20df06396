import type { StateCreator } from 'zustand';
import type { Preferences } from '../../../shared/preferences';
import type { AppState } from './index';

export type SettingsSlice = {
  /** What main stored; null until it answered (or when it could not). */
  preferences: Preferences | null;
  isSettingsOpen: boolean;
  setPreferences: (preferences: Preferences) => void;
  setSettingsOpen: (isOpen: boolean) => void;
};

export const createSettingsSlice: StateCreator<AppState, [], [], SettingsSlice> = (set) => ({
  preferences: null,
  isSettingsOpen: false,
  setPreferences: (preferences) => set({ preferences }),
  setSettingsOpen: (isSettingsOpen) => set({ isSettingsOpen }),
});
