/**
 * The notification policy table (src/shared/errors.ts), as both the core and the window build
 * notifications from it.
 */
import { describe, expect, it } from 'vitest';
import {
  ERROR_CODES,
  ERROR_INFO,
  NOTIFICATION_ACTIONS,
  NOTIFICATION_CASES,
  NOTIFICATION_POLICY,
  notificationStyle,
  type ErrorCode,
  type NotificationCase,
  type Severity,
} from '../../src/shared/errors';
import { buildNotification } from '../../src/shared/notifications';

const RANK: Record<Severity, number> = { info: 0, warning: 1, error: 2, critical: 3 };

describe('notification policy', () => {
  it('gives every code in every case a severity, a stickiness and known actions', () => {
    for (const code of ERROR_CODES) {
      for (const notificationCase of NOTIFICATION_CASES) {
        const style = notificationStyle(code, notificationCase);
        expect(Object.keys(RANK)).toContain(style.severity);
        expect(typeof style.sticky).toBe('boolean');
        for (const action of style.actions) expect(NOTIFICATION_ACTIONS).toContain(action);
      }
    }
  });

  it('never shows a code as less serious than the taxonomy says, except where the table declares it', () => {
    for (const code of ERROR_CODES) {
      for (const notificationCase of NOTIFICATION_CASES) {
        if (NOTIFICATION_POLICY[notificationCase].codes?.[code]?.severity !== undefined) continue;
        expect(RANK[notificationStyle(code, notificationCase).severity], `${code} in ${notificationCase}`).toBeGreaterThanOrEqual(
          RANK[ERROR_INFO[code].severity],
        );
      }
    }
  });

  it('reads as the user meets it: each case the app raises today', () => {
    const rows: [ErrorCode, NotificationCase, string, boolean, string[]][] = [
      // A request the window made: the taxonomy's own severity, told once.
      ['OUTBOX_FULL', 'request', 'error', false, ['details']],
      ['STORAGE_FULL', 'request', 'critical', true, ['details']],
      // A queued message that stopped: it waits for the user, and so does the toast.
      ['MESSAGE_REJECTED', 'message', 'error', true, ['retry', 'discard']],
      ['MESSAGE_TOO_LARGE', 'message', 'error', true, ['retry', 'discard']],
      ['MESSAGE_EXPIRED', 'message', 'error', true, ['retry', 'discard']],
      ['RATE_LIMITED', 'message', 'warning', false, []],
      ['MESSAGES_HELD', 'message', 'warning', true, ['details']],
      ['UPDATE_REQUIRED', 'connection', 'critical', true, []],
      ['TOKEN_REVOKED', 'session', 'critical', true, ['sign_in']],
      ['SESSION_COMPROMISED', 'session', 'critical', true, ['sign_in']],
      ['DB_CORRUPT', 'store', 'critical', true, ['details']],
    ];
    for (const [code, notificationCase, severity, sticky, actions] of rows) {
      expect(notificationStyle(code, notificationCase), `${code} in ${notificationCase}`).toEqual({ severity, sticky, actions });
    }
  });

  it('agrees with the taxonomy where a code is only ever one case: an expired message is sticky in both', () => {
    expect(ERROR_INFO.MESSAGE_EXPIRED.sticky).toBe(notificationStyle('MESSAGE_EXPIRED', 'message').sticky);
    expect(ERROR_INFO.MESSAGE_EXPIRED.severity).toBe(notificationStyle('MESSAGE_EXPIRED', 'message').severity);
  });

  it('builds the notification: taxonomy text, the real wait of a rate limit, the count of a merged burst', () => {
    expect(buildNotification({ id: 'E-1', code: 'DB_CORRUPT', case: 'store', at: 5 })).toEqual({
      id: 'E-1',
      code: 'DB_CORRUPT',
      message: ERROR_INFO.DB_CORRUPT.message,
      severity: 'critical',
      sticky: true,
      at: 5,
      actions: ['details'],
      messageKey: null,
    });
    expect(buildNotification({ id: 'E-2', code: 'RATE_LIMITED', case: 'message', at: 0, retryAfterMs: 2_500 }).message).toBe(
      'Too many requests. Retrying in 3 s.',
    );
    const burst = buildNotification({ id: 'E-3', code: 'FORBIDDEN', case: 'message', at: 0, count: 3 });
    expect(burst.message).toBe(`${ERROR_INFO.FORBIDDEN.message} (3 messages)`);
    expect(buildNotification({ id: 'E-4', code: 'CONFLICT', case: 'request', at: 0, message: 'Already gone.' }).message).toBe('Already gone.');
  });
});
