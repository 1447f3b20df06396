/**
 * The one owner of notifications: every notification the core shows is built here from the
 * shared policy table (`src/shared/errors.ts`), counted, logged with its error id, emitted to the
 * window and kept in a ring of the last 100, which the diagnostics bundle and the replay
 * (`notifications:list`/`dismiss`) read.
 */
import type { AppNotification } from '../../../shared/contract';
import type { ErrorCode, NotificationCase } from '../../../shared/errors';
import { buildNotification } from '../../../shared/notifications';
import type { Clock } from '../clock';
import { newErrorId } from '../errors';
import type { CoreEventBus } from '../events';
import type { Logger } from '../logging';
import type { Metrics } from '../metrics';
import { createNotificationReplay, type NotificationReplay } from './replay';

export { createNotificationReplay, type NotificationReplay } from './replay';

/** Notifications kept for the diagnostics bundle and the replay. */
export const NOTIFICATION_HISTORY = 100;

export type RaiseOptions = Readonly<{
  messageKey?: string;
  /** Replaces the taxonomy's text (the window passes the error's own message). */
  message?: string;
  retryAfterMs?: number;
}>;

export type NotificationCenterOptions = Readonly<{
  events: CoreEventBus;
  clock: Pick<Clock, 'now'>;
  log: Logger;
  metrics: Metrics;
}>;

export class NotificationCenter {
  private readonly ring: AppNotification[] = [];
  private readonly replay: NotificationReplay = createNotificationReplay(() => this.ring);

  constructor(private readonly o: NotificationCenterOptions) {}

  raise(code: ErrorCode, notificationCase: NotificationCase, options: RaiseOptions & { count?: number } = {}): AppNotification {
    const notification = buildNotification({ id: newErrorId(), code, case: notificationCase, at: this.o.clock.now(), ...options });
    const count = options.count ?? 1;
    const line = `notification: ${code} [${notification.id}]${count > 1 ? ` x${count}` : ''}`;
    if (notification.severity === 'error' || notification.severity === 'critical') this.o.log.warn(line);
    else this.o.log.info(line);
    this.o.metrics.notificationShown(code, notification.severity);
    this.ring.push(notification);
    if (this.ring.length > NOTIFICATION_HISTORY) this.ring.shift();
    this.o.events.emit('notification', notification);
    return notification;
  }

  /** Collects notifications raised within one change batch; `flush` raises one per code. */
  batch(): NotificationBatch {
    return new NotificationBatch(this);
  }

  /** The last NOTIFICATION_HISTORY notifications, oldest first. */
  recent(): readonly AppNotification[] {
    return [...this.ring];
  }

  /** Sticky notifications the user has not dismissed, for a window that was not listening yet. */
  list(): AppNotification[] {
    return this.replay.list();
  }

  dismiss(id: string): void {
    this.replay.dismiss(id);
  }
}

type Pending = { count: number; messageKey: string | null; retryAfterMs?: number };

/**
 * A burst of failures (a server refusing a whole outbox) becomes one notification per code,
 * "(N messages)", not a toast per message. It belongs to a change batch and has no timer.
 */
export class NotificationBatch {
  private readonly pending = new Map<ErrorCode, Pending & { notificationCase: NotificationCase }>();

  constructor(private readonly center: NotificationCenter) {}

  get size(): number {
    return this.pending.size;
  }

  add(code: ErrorCode, notificationCase: NotificationCase, options: Readonly<{ messageKey?: string; retryAfterMs?: number }> = {}): void {
    const entry = this.pending.get(code);
    if (entry) {
      entry.count += 1;
      // Several messages: the toast is about all of them, not the first.
      entry.messageKey = null;
      if (options.retryAfterMs !== undefined) entry.retryAfterMs = options.retryAfterMs;
      return;
    }
    this.pending.set(code, {
      notificationCase,
      count: 1,
      messageKey: options.messageKey ?? null,
      ...(options.retryAfterMs !== undefined ? { retryAfterMs: options.retryAfterMs } : {}),
    });
  }

  flush(): void {
    for (const [code, entry] of this.pending) {
      this.center.raise(code, entry.notificationCase, {
        count: entry.count,
        ...(entry.messageKey !== null ? { messageKey: entry.messageKey } : {}),
        ...(entry.retryAfterMs !== undefined ? { retryAfterMs: entry.retryAfterMs } : {}),
      });
    }
    this.pending.clear();
  }
}
