/**
 * Shows notification content with Electron's `Notification`. Each one is kept referenced until
 * it is clicked or closed: a notification object that is garbage-collected loses its click
 * handler on some platforms.
 */
import type { Notification as ElectronNotification } from 'electron';
import type { Logger } from '../core/logging';
import type { NotificationContent, ShownNotification } from './notifier';

export type NotificationClass = {
  new (options: Electron.NotificationConstructorOptions): ElectronNotification;
  isSupported(): boolean;
};

export function createOsNotifications(
  Notification: NotificationClass,
  onClick: (content: NotificationContent) => void,
  log: Logger,
): (content: NotificationContent) => ShownNotification {
  const live = new Set<ElectronNotification>();
  let hasWarned = false;
  return (content) => {
    if (!Notification.isSupported()) {
      if (!hasWarned) log.warn('notify: this system shows no notifications');
      hasWarned = true;
      return { close: () => undefined };
    }
    // One group per conversation in Action Center / Notification Center.
    const notification = new Notification({ title: content.title, body: content.body, silent: false, groupId: content.conversationId ?? 'nova-catch-up' });
    live.add(notification);
    const forget = (): void => {
      live.delete(notification);
    };
    notification.on('click', () => {
      forget();
      onClick(content);
    });
    notification.on('close', forget);
    notification.on('failed', (_event, error) => {
      forget();
      log.warn(`notify: the OS refused a notification (${error})`);
    });
    notification.show();
    return {
      close: () => {
        forget();
        notification.close();
      },
    };
  };
}
