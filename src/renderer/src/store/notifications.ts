import type { StateCreator } from 'zustand';
import type { AppNotification } from '../../../shared/contract';
import type { AppState } from './index';

export const MAX_VISIBLE_TOASTS = 5;
export const TOAST_TIMEOUT_MS = 5_000;

/** One toast on screen; identical errors arriving while it shows raise its count instead of stacking. */
export type Toast = Readonly<{
  mergeKey: string;
  /** The latest occurrence: its id is the one the user quotes to support. */
  notification: AppNotification;
  count: number;
  /** Restarts the 5 s timer when a duplicate arrives. */
  updatedAt: number;
}>;

export type NotificationsSlice = {
  /** Oldest first; the newest MAX_VISIBLE_TOASTS are shown, the rest wait their turn. */
  toasts: readonly Toast[];
  notify: (notification: AppNotification) => void;
  dismissToast: (mergeKey: string) => void;
  /** Drops toasts about one message once it is dealt with (discarded, sent). */
  dismissToastsFor: (messageKey: string) => void;
};

export function toastMergeKey(notification: AppNotification): string {
  // A rate-limit text carries the current wait, which changes on every repeat: merge on the code.
  const text = notification.code === 'RATE_LIMITED' ? '' : notification.message;
  return `${notification.code}|${notification.messageKey ?? ''}|${text}`;
}

export const createNotificationsSlice: StateCreator<AppState, [], [], NotificationsSlice> = (set) => ({
  toasts: [],
  notify: (notification) =>
    set((state) => {
      const mergeKey = toastMergeKey(notification);
      const existing = state.toasts.find((t) => t.mergeKey === mergeKey);
      if (existing) {
        return {
          toasts: state.toasts.map((t) =>
            t === existing ? { mergeKey, notification, count: t.count + 1, updatedAt: notification.at } : t,
          ),
        };
      }
      return { toasts: [...state.toasts, { mergeKey, notification, count: 1, updatedAt: notification.at }] };
    }),
  dismissToast: (mergeKey) => set((state) => ({ toasts: state.toasts.filter((t) => t.mergeKey !== mergeKey) })),
  dismissToastsFor: (messageKey) =>
    set((state) => {
      const toasts = state.toasts.filter((t) => t.notification.messageKey !== messageKey);
      return toasts.length === state.toasts.length ? state : { toasts };
    }),
});
