/**
 * Fixed-window counters. Nova's limiter slid its window on every request yet advertised a
 * fixed Retry-After (§7.13); here Retry-After and X-RateLimit-Reset come from the real window.
 */
export type RateDecision = Readonly<{
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Epoch ms at which the current window ends. */
  resetAtMs: number;
  retryAfterMs: number;
}>;

export class FixedWindowLimiter {
  private readonly windows = new Map<string, { start: number; count: number }>();

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
  ) {}

  take(key: string, nowMs: number): RateDecision {
    let w = this.windows.get(key);
    if (!w || nowMs >= w.start + this.windowMs) {
      w = { start: nowMs, count: 0 };
      this.windows.set(key, w);
      // keep the map bounded when many keys come and go
      if (this.windows.size > 10_000) this.prune(nowMs);
    }
    const resetAtMs = w.start + this.windowMs;
    if (w.count >= this.limit) {
      return { allowed: false, limit: this.limit, remaining: 0, resetAtMs, retryAfterMs: resetAtMs - nowMs };
    }
    w.count += 1;
    return {
      allowed: true,
      limit: this.limit,
      remaining: this.limit - w.count,
      resetAtMs,
      retryAfterMs: 0,
    };
  }

  reset(): void {
    this.windows.clear();
  }

  private prune(nowMs: number): void {
    for (const [k, w] of this.windows) if (nowMs >= w.start + this.windowMs) this.windows.delete(k);
  }
}
