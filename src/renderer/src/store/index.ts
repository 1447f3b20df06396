import { create, type StateCreator } from 'zustand';
import type { AuthStatus, ConnectionSnapshot } from '../../../shared/contract';

export type ConnectionSlice = {
  connection: ConnectionSnapshot | null;
  setConnection: (snapshot: ConnectionSnapshot) => void;
};

export type SessionSlice = {
  auth: AuthStatus | null;
  setAuth: (auth: AuthStatus) => void;
};

export type AppState = ConnectionSlice & SessionSlice;

export const createConnectionSlice: StateCreator<AppState, [], [], ConnectionSlice> = (set) => ({
  connection: null,
  setConnection: (connection) => set({ connection }),
});

export const createSessionSlice: StateCreator<AppState, [], [], SessionSlice> = (set) => ({
  auth: null,
  setAuth: (auth) => set({ auth }),
});

export const useAppStore = create<AppState>()((...a) => ({
  ...createConnectionSlice(...a),
  ...createSessionSlice(...a),
}));
