/**
 * Reconnect delays, chosen from the herd bench (docs/decisions.md, "Reconnect policy"): the first
 * retry after a lost link at a moment drawn from [base, 7 × base], each later one 1.3 times the
 * last, up to a steady cap with ±10 % jitter, so a fleet that lost the server at once spreads
 * over the first seconds and then retries periodically at the cap instead of in a window that
 * keeps widening. A wait the server names (Retry-After, 4029, an admission turn) is kept to the
 * millisecond: the server chose it to pace us.
 */
export type BackoffPolicy = Readonly<{
  baseMs: number;
  capMs: number;
}>;

/** The first retry is drawn from [base, FIRST_RETRY_SPREAD × base]. */
export const FIRST_RETRY_SPREAD = 7;
export const GROWTH = 1.3;
/** Retries at the cap fall within ±this share of it. */
export const CAP_JITTER = 0.1;

/** The longest a retry can wait for a given attempt number (0 for the first retry). */
export function backoffCeilingMs(policy: BackoffPolicy, attempt: number): number {
  // GROWTH^attempt overflows to Infinity long before it matters; min() keeps the result finite.
  const grown = FIRST_RETRY_SPREAD * policy.baseMs * GROWTH ** Math.max(0, attempt);
  return Math.floor(Math.min(grown, policy.capMs * (1 + CAP_JITTER)));
}

/**
 * `random` is injected so every client (and every test) owns its own source. `firstDraw` (in
 * [0, 1)) places the first retry; the gate draws it once per run of failures, so each retry is
 * 1.3 times the one before it rather than a fresh draw from a wider window.
 */
export function reconnectDelayMs(policy: BackoffPolicy, attempt: number, random: () => number, firstDraw: number = random()): number {
  const first = policy.baseMs * (1 + firstDraw * (FIRST_RETRY_SPREAD - 1));
  const grown = first * GROWTH ** Math.max(0, Math.min(attempt, 1_000));
  const atCap = policy.capMs * (1 - CAP_JITTER + random() * 2 * CAP_JITTER);
  return Math.floor(Math.min(grown, atCap));
}

/** The wait before the next dial: the server's, exactly, when it named one; our backoff otherwise. */
export function serverDelayMs(
  policy: BackoffPolicy,
  attempt: number,
  retryAfterMs: number | null,
  random: () => number,
  firstDraw: number = random(),
): number {
  if (retryAfterMs === null) return reconnectDelayMs(policy, attempt, random, firstDraw);
  return Math.max(0, Math.round(retryAfterMs));
}
