import type { StateCreator } from 'zustand';
import type { OutboxItem } from '../../../shared/contract';
import type { AppState } from './index';

export type OutboxSlice = {
  /** Every message not yet acknowledged by the server, by key. */
  outbox: Readonly<Record<string, OutboxItem>>;
  isOutboxOpen: boolean;
  setOutbox: (items: readonly OutboxItem[]) => void;
  upsertOutbox: (items: readonly OutboxItem[]) => void;
  removeOutboxItem: (key: string) => void;
  setOutboxOpen: (isOpen: boolean) => void;
};

/** An acknowledged message has left the outbox; the core still reports it once so the view can drop it. */
function isWaiting(item: OutboxItem): boolean {
  return item.state !== 'sent';
}

export const createOutboxSlice: StateCreator<AppState, [], [], OutboxSlice> = (set) => ({
  outbox: {},
  isOutboxOpen: false,
  setOutbox: (items) => set({ outbox: Object.fromEntries(items.filter(isWaiting).map((i) => [i.key, i])) }),
  upsertOutbox: (items) =>
    set((state) => {
      const outbox = { ...state.outbox };
      for (const item of items) {
        if (isWaiting(item)) outbox[item.key] = item;
        else delete outbox[item.key];
      }
      return { outbox };
    }),
  removeOutboxItem: (key) =>
    set((state) => {
      if (!(key in state.outbox)) return state;
      const outbox = { ...state.outbox };
      delete outbox[key];
      return { outbox };
    }),
  setOutboxOpen: (isOutboxOpen) => set({ isOutboxOpen }),
});
