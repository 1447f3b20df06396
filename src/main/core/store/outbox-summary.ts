/**
 * What the outbox looks like as a whole, read without visiting every row where it can: the
 * diagnostics summary (counts, ages, errors, recent timelines; never text, keys or ids) and the
 * depth by state the metrics read after every change.
 */
import type { DB } from './database';
import type { OutboxState } from './messages';
import { stmt } from './statements';
import { recentTimelines, type TimelineSummary } from './timeline';

export type OutboxSummary = Readonly<{
  total: number;
  byState: Readonly<Record<string, number>>;
  oldestComposedAgeMs: number | null;
  /** Messages by how long ago they were composed. */
  ages: Readonly<{ under1m: number; under1h: number; under1d: number; older: number }>;
  maxAttempts: number;
  totalAttempts: number;
  errorCodes: Readonly<Record<string, number>>;
  bytes: number;
  /** The newest delivery timelines (waiting first, then delivered), attempts only. */
  timelines: readonly TimelineSummary[];
}>;

const TIMELINES_IN_SUMMARY = 20;

/**
 * For the diagnostics bundle: counts, ages, attempts and error codes of every user's rows, so
 * the bundle tells the same signed in or out; never text, keys or conversation ids.
 */
export function summarizeOutbox(db: DB, now: number): OutboxSummary {
  const byState: Record<string, number> = {};
  for (const row of stmt(db, 'SELECT state, COUNT(*) AS n FROM outbox GROUP BY state').all() as {
    state: string;
    n: number;
  }[]) {
    byState[row.state] = row.n;
  }
  const errorCodes: Record<string, number> = {};
  for (const row of stmt(
    db,
    'SELECT error_code, COUNT(*) AS n FROM outbox WHERE error_code IS NOT NULL GROUP BY error_code',
  ).all() as { error_code: string; n: number }[]) {
    errorCodes[row.error_code] = row.n;
  }
  const totals = stmt(
    db,
    `SELECT COUNT(*) AS total, MIN(composed_at) AS oldest, COALESCE(MAX(attempts), 0) AS max_attempts,
       COALESCE(SUM(attempts), 0) AS total_attempts, COALESCE(SUM(size_bytes), 0) AS bytes,
       COALESCE(SUM(composed_at > @now - 60000), 0) AS under1m,
       COALESCE(SUM(composed_at <= @now - 60000 AND composed_at > @now - 3600000), 0) AS under1h,
       COALESCE(SUM(composed_at <= @now - 3600000 AND composed_at > @now - 86400000), 0) AS under1d
     FROM outbox`,
  ).get({ now }) as {
    total: number;
    oldest: number | null;
    max_attempts: number;
    total_attempts: number;
    bytes: number;
    under1m: number;
    under1h: number;
    under1d: number;
  };
  return {
    total: totals.total,
    byState,
    oldestComposedAgeMs: totals.oldest === null ? null : Math.max(0, now - totals.oldest),
    ages: {
      under1m: totals.under1m,
      under1h: totals.under1h,
      under1d: totals.under1d,
      older: totals.total - totals.under1m - totals.under1h - totals.under1d,
    },
    maxAttempts: totals.max_attempts,
    totalAttempts: totals.total_attempts,
    errorCodes,
    bytes: totals.bytes,
    timelines: recentTimelines(db, TIMELINES_IN_SUMMARY),
  };
}

export type OutboxDepth = Readonly<{
  /** Rows by stored state, every user (a row being sent is still `saved` here). */
  byState: Readonly<Record<OutboxState, number>>;
  /** When the oldest message still on its way (saved or confirming) was composed; null if none. */
  oldestWaitingComposedAt: number | null;
}>;

/**
 * For the metrics after every outbox change: the non-`saved` rows are counted from their partial
 * index (migration 0005), `saved` as the rest of the table, and the oldest waiting row is the
 * first in compose order that is not stopped or held (those are few), so no query visits every row.
 */
export function outboxDepth(db: DB): OutboxDepth {
  const total = stmt(db, 'SELECT COUNT(*) FROM outbox').pluck().get() as number;
  const byState: Record<OutboxState, number> = { saved: 0, confirming: 0, failed: 0, expired: 0, held: 0, cancel_pending: 0, edit_pending: 0 };
  let unsettled = 0;
  const rows = stmt(db, "SELECT state, COUNT(*) FROM outbox WHERE state <> 'saved' GROUP BY state").raw(true).all() as [OutboxState, number][];
  for (const [state, count] of rows) {
    if (state in byState) byState[state] = count;
    unsettled += count;
  }
  byState.saved = Math.max(0, total - unsettled);
  const oldest = stmt(
    db,
    "SELECT composed_at FROM outbox WHERE state IN ('saved', 'confirming') ORDER BY id LIMIT 1",
  )
    .pluck()
    .get() as number | undefined;
  return { byState, oldestWaitingComposedAt: oldest ?? null };
}
