import type { StateCreator } from 'zustand';
import type { ConnectionSnapshot } from '../../../shared/contract';
import type { AppState } from './index';

export type ConnectionSlice = {
  connection: ConnectionSnapshot | null;
  /**
   * When the link last stopped being CONNECTED. The snapshot's `since` moves on every transition
   * (RECONNECTING → CONNECTING → …); the banner's 5 s grace period counts from the first one.
   */
  notConnectedSince: number | null;
  setConnection: (snapshot: ConnectionSnapshot) => void;
};

export const createConnectionSlice: StateCreator<AppState, [], [], ConnectionSlice> = (set) => ({
  connection: null,
  notConnectedSince: null,
  setConnection: (connection) =>
    set((state) => ({
      connection,
      notConnectedSince:
        connection.state === 'CONNECTED' ? null : (state.notConnectedSince ?? connection.since),
    })),
});
