/**
 * Builds a notification from the policy table in `errors.ts`. The core and the window both call
 * it, so a code looks and behaves the same wherever it is raised.
 */
import type { AppNotification } from './contract';
import { describeError, notificationStyle, type ErrorCode, type NotificationCase } from './errors';

export type NotificationInput = Readonly<{
  /** The error id: the same id is in the log line. */
  id: string;
  code: ErrorCode;
  case: NotificationCase;
  at: number;
  /** What the user reads; the taxonomy's text (with the real wait, for RATE_LIMITED) by default. */
  message?: string;
  retryAfterMs?: number;
  /** How many messages this one notification stands for (merged within one change batch). */
  count?: number;
  messageKey?: string | null;
}>;

export function buildNotification(input: NotificationInput): AppNotification {
  const style = notificationStyle(input.code, input.case);
  const base = input.message ?? describeError(input.code, input.retryAfterMs);
  const count = input.count ?? 1;
  return {
    id: input.id,
    code: input.code,
    message: count > 1 ? `${base} (${count} messages)` : base,
    severity: style.severity,
    sticky: style.sticky,
    at: input.at,
    actions: [...style.actions],
    messageKey: input.messageKey ?? null,
  };
}
