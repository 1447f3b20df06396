/**
 * Delivery timelines after delivery: the outbox row's attempts (and the ack) move to the message
 * when it leaves the outbox, bounded per message and dropped with age.
 */
import type { DB } from './database';
import type { AttemptRecord } from './outbox';
import { stmt } from './statements';

/** Attempts kept per message: enough to read a bad hour, small enough for every row. */
export const TIMELINE_KEPT = 20;
/** Timelines older than this (by compose time) are dropped at start-up. */
export const TIMELINE_MAX_AGE_MS = 30 * 24 * 60 * 60 * 1000;

/**
 * The timeline a delivered message keeps: its outbox history (JSON) with the ack at the end,
 * bounded; null when there is nothing to keep. Most messages are delivered at the first try,
 * so an empty history is not parsed.
 */
export function timelineOf(history: string, ack: AttemptRecord | null): string | null {
  if (history === '[]') return ack ? JSON.stringify([ack]) : null;
  const attempts = JSON.parse(history) as AttemptRecord[];
  if (ack) attempts.push(ack);
  return attempts.length === 0 ? null : JSON.stringify(attempts.slice(-TIMELINE_KEPT));
}

/** A delivered message's timeline; empty when it has none (never queued here, or pruned). */
export function getTimeline(db: DB, ownerId: string, key: string): AttemptRecord[] {
  const row = stmt(db, 'SELECT timeline FROM messages WHERE owner_id = ? AND key = ?').pluck().get(ownerId, key) as
    | string
    | null
    | undefined;
  return row ? (JSON.parse(row) as AttemptRecord[]) : [];
}

/** Drops the timelines of messages composed before `before`; returns how many. */
export function pruneTimelines(db: DB, before: number): number {
  return stmt(db, 'UPDATE messages SET timeline = NULL WHERE timeline IS NOT NULL AND composed_at < ?').run(before).changes;
}

export type TimelineSummary = Readonly<{
  delivered: boolean;
  attempts: readonly Readonly<{
    at: number;
    transport: string;
    outcome: string;
    code: string | null;
    errorId: string | null;
    waitMs: number | null;
  }>[];
}>;

/**
 * The newest timelines, delivered and still waiting, for the diagnostics bundle: times,
 * transports, outcomes, codes and error ids only; never text, keys or conversation ids.
 */
export function recentTimelines(db: DB, limit: number): TimelineSummary[] {
  const delivered = stmt(db, 'SELECT timeline FROM messages WHERE timeline IS NOT NULL ORDER BY composed_at DESC LIMIT ?')
    .pluck()
    .all(limit) as string[];
  const waiting = stmt(db, "SELECT history FROM outbox WHERE history <> '[]' ORDER BY id DESC LIMIT ?").pluck().all(limit) as string[];
  const shape = (json: string, isDelivered: boolean): TimelineSummary => ({
    delivered: isDelivered,
    attempts: (JSON.parse(json) as AttemptRecord[]).map((a) => ({
      at: a.at,
      transport: a.transport,
      outcome: a.outcome,
      code: a.code,
      errorId: a.errorId ?? null,
      waitMs: a.waitMs ?? null,
    })),
  });
  return [...waiting.map((j) => shape(j, false)), ...delivered.map((j) => shape(j, true))].slice(0, limit);
}
