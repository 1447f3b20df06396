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
 * never earlier than the server asked, plus a jittered share of the backoff so the clients the
 * server turned away in the same second do not all come back in the same millisecond.
 */
export function serverDelayMs(
  policy: BackoffPolicy,
  attempt: number,
  retryAfterMs: number | null,
  random: () => number,
): number {
  const jitter = fullJitterDelayMs(policy, attempt, random);
  if (retryAfterMs === null) return jitter;
  return Math.max(0, retryAfterMs) + jitter;
}
