/**
 * Reconnect delays. Full jitter (delay drawn uniformly from [0, min(cap, base·2^attempt)]) spreads
 * a fleet that lost the server at the same instant, which a fixed ladder such as
 * reconnecting-websocket's 1.3^n (peer-clients §5.2) cannot: its clients retry in lock-step.
 */
export type BackoffPolicy = Readonly<{
  baseMs: number;
  capMs: number;
}>;

/** The ceiling of the jitter window for a given attempt number (0 for the first retry). */
export function backoffCeilingMs(policy: BackoffPolicy, attempt: number): number {
  // 2^attempt overflows to Infinity long before it matters; min() keeps the result finite.
  return Math.min(policy.capMs, policy.baseMs * 2 ** Math.max(0, attempt));
}

/** `random` is injected so every client (and every test) owns its own source. */
export function fullJitterDelayMs(policy: BackoffPolicy, attempt: number, random: () => number): number {
  return Math.floor(random() * backoffCeilingMs(policy, attempt));
}

/**
 * The wait before the next dial when the server named one (Retry-After, 4029 retry_after_ms):
 * never earlier than it asked, plus a jittered spread of up to twice that wait (bounded by the
 * backoff ceiling), so the clients it turned away in the same second come back over the next
 * two windows instead of all at once, and none of them sleeps for the full 30 s cap.
 */
export function serverDelayMs(
  policy: BackoffPolicy,
  attempt: number,
  retryAfterMs: number | null,
  random: () => number,
): number {
  if (retryAfterMs === null) return fullJitterDelayMs(policy, attempt, random);
  const wait = Math.max(0, retryAfterMs);
  const spread = Math.min(backoffCeilingMs(policy, attempt), 2 * Math.max(wait, policy.baseMs));
  return wait + Math.floor(random() * spread);
}
