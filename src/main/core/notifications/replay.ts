/**
 * Replay of notifications the window may have missed. The core emits some before the shell
 * listens (DB_CORRUPT at start-up); the renderer asks `notifications:list` once it is ready.
 * It reads the center's ring (last 100), not a second copy.
 */
import type { AppNotification } from '../../../shared/contract';

export type NotificationReplay = Readonly<{
  /** Sticky notifications the user has not dismissed yet, oldest first. */
  list(): AppNotification[];
  /** The user closed it: it is not replayed again (unknown ids are ignored). */
  dismiss(id: string): void;
}>;

export function createNotificationReplay(recent: () => readonly AppNotification[]): NotificationReplay {
  const dismissed = new Set<string>();
  return {
    list: () => recent().filter((notification) => notification.sticky && !dismissed.has(notification.id)),
    dismiss: (id) => {
      // Only ids still in the ring are worth remembering; the set stays as small as the ring.
      if (!recent().some((notification) => notification.id === id)) return;
      dismissed.add(id);
      const live = new Set(recent().map((notification) => notification.id));
      for (const old of dismissed) if (!live.has(old)) dismissed.delete(old);
    },
  };
}
