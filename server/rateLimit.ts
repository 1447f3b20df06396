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

export type LockoutPolicy = Readonly<{
  /** Failures within `windowMs` that trigger a lockout. */
  maxFailures: number;
  /** The sliding window failures are counted in. */
  windowMs: number;
  /** The first lockout; each further one doubles it, up to `maxLockMs`. */
  baseLockMs: number;
  maxLockMs: number;
  /** A key with no failure for this long starts again from the first lockout. */
  forgetAfterMs: number;
}>;

export type LockoutState =
  | Readonly<{ locked: false }>
  | Readonly<{ locked: true; retryAfterMs: number }>;

type FailureRecord = {
  /** Failure times inside the window, oldest first; never more than maxFailures. */
  failures: number[];
  lockedUntil: number;
  /** Lockouts so far; the next one lasts baseLockMs × 2^lockouts. */
  lockouts: number;
  lastFailureAt: number;
};

/**
 * Counts failures (wrong passwords, wrong codes) per key in a sliding window; reaching the
 * threshold locks the key, for twice as long each time. Successes are not counted: a user who
 * signs in a hundred times loses nothing, a guesser is slowed to a few tries an hour.
 */
export class LockoutThrottle {
  private readonly records = new Map<string, FailureRecord>();

  constructor(
    private readonly policy: LockoutPolicy,
    private readonly maxKeys = 100_000,
  ) {}

  check(key: string, nowMs: number): LockoutState {
    const r = this.records.get(key);
    if (!r || r.lockedUntil <= nowMs) return { locked: false };
    return { locked: true, retryAfterMs: r.lockedUntil - nowMs };
  }

  /** Records a failure; the answer says whether this one locked the key. */
  fail(key: string, nowMs: number): LockoutState {
    const p = this.policy;
    let r = this.records.get(key);
    if (r && nowMs - r.lastFailureAt >= p.forgetAfterMs && r.lockedUntil <= nowMs) {
      this.records.delete(key);
      r = undefined;
    }
    if (!r) {
      r = { failures: [], lockedUntil: 0, lockouts: 0, lastFailureAt: nowMs };
      if (this.records.size >= this.maxKeys) this.prune(nowMs);
      this.records.set(key, r);
    }
    r.lastFailureAt = nowMs;
    if (r.lockedUntil > nowMs) return { locked: true, retryAfterMs: r.lockedUntil - nowMs };
    r.failures = r.failures.filter((t) => nowMs - t < p.windowMs);
    r.failures.push(nowMs);
    if (r.failures.length < p.maxFailures) return { locked: false };
    const lockMs = Math.min(p.maxLockMs, p.baseLockMs * 2 ** r.lockouts);
    r.lockouts += 1;
    r.failures = [];
    r.lockedUntil = nowMs + lockMs;
    return { locked: true, retryAfterMs: lockMs };
  }

  /** A success forgets the key's failures and its lockout history. */
  clear(key: string): void {
    this.records.delete(key);
  }

  reset(): void {
    this.records.clear();
  }

  private prune(nowMs: number): void {
    for (const [k, r] of this.records) {
      if (r.lockedUntil <= nowMs && nowMs - r.lastFailureAt >= this.policy.windowMs) this.records.delete(k);
    }
    // Still full (a flood of keys still inside the window): the oldest go first.
    for (const k of this.records.keys()) {
      if (this.records.size < this.maxKeys) break;
      this.records.delete(k);
    }
  }
}

export type AdmissionDecision = Readonly<{ allowed: true }> | Readonly<{ allowed: false; retryAfterMs: number }>;

/**
 * New sockets per second, in one-second windows. A socket turned away is told its own turn: the
 * first later window with room, at its place in it (1000 ÷ perSecond ms apart), and that place
 * counts as given, so clients that come back when told arrive one by one at the admission rate
 * instead of all at the start of the next window (where most would be turned away again).
 */
export class AdmissionSchedule {
  private window = Number.NEGATIVE_INFINITY;
  private admitted = 0;
  /** Window number → places promised in it. */
  private readonly promised = new Map<number, number>();

  constructor(private readonly perSecond: number) {}

  take(nowMs: number): AdmissionDecision {
    const window = Math.floor(nowMs / 1000);
    if (window !== this.window) {
      this.window = window;
      this.admitted = 0;
      for (const key of this.promised.keys()) if (key <= window) this.promised.delete(key);
    }
    if (this.admitted < this.perSecond) {
      this.admitted += 1;
      return { allowed: true };
    }
    let turn = window + 1;
    while ((this.promised.get(turn) ?? 0) >= this.perSecond) turn += 1;
    const place = this.promised.get(turn) ?? 0;
    this.promised.set(turn, place + 1);
    return { allowed: false, retryAfterMs: Math.ceil(turn * 1000 + (place * 1000) / this.perSecond - nowMs) };
  }

  reset(): void {
    this.window = Number.NEGATIVE_INFINITY;
    this.admitted = 0;
    this.promised.clear();
  }
}
