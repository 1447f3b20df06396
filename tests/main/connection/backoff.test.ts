import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { backoffCeilingMs, fullJitterDelayMs, serverDelayMs } from '../../../src/main/core/connection/backoff';

const policy = { baseMs: 1000, capMs: 30_000 };

describe('full-jitter backoff', () => {
  it('doubles from 1 s and caps at 30 s', () => {
    expect([0, 1, 2, 3, 4, 5, 6, 20, 2000].map((n) => backoffCeilingMs(policy, n))).toEqual([
      1000, 2000, 4000, 8000, 16_000, 30_000, 30_000, 30_000, 30_000,
    ]);
  });

  it('draws uniformly below the ceiling with the injected random source', () => {
    expect(fullJitterDelayMs(policy, 3, () => 0)).toBe(0);
    expect(fullJitterDelayMs(policy, 3, () => 0.5)).toBe(4000);
    expect(fullJitterDelayMs(policy, 3, () => 0.999_999)).toBe(7999);
  });

  it('stays within [0, ceiling) for any attempt and any random value', () => {
    fc.assert(
      fc.property(fc.nat(10_000), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), (attempt, r) => {
        const delay = fullJitterDelayMs(policy, attempt, () => r);
        return delay >= 0 && delay < backoffCeilingMs(policy, attempt) && Number.isInteger(delay);
      }),
    );
  });

  it('never comes back before the server said, and spreads the clients it turned away', () => {
    expect(serverDelayMs(policy, 0, 1000, () => 0)).toBe(1000);
    expect(serverDelayMs(policy, 0, 1000, () => 0.5)).toBe(1500);
    // Late attempts spread over twice the server's wait, not over the 30 s cap.
    expect(serverDelayMs(policy, 8, 1000, () => 0.999)).toBe(2998);
    expect(serverDelayMs(policy, 2, null, () => 0.5)).toBe(2000);
  });

  it('gives two clients with their own random sources different schedules', () => {
    let a = 1;
    let b = 7;
    const lcg = (seed: () => number) => () => seed() / 2 ** 31;
    const randomA = lcg(() => (a = (a * 1_103_515_245 + 12_345) % 2 ** 31));
    const randomB = lcg(() => (b = (b * 1_103_515_245 + 12_345) % 2 ** 31));
    const scheduleA = [0, 1, 2, 3, 4].map((n) => fullJitterDelayMs(policy, n, randomA));
    const scheduleB = [0, 1, 2, 3, 4].map((n) => fullJitterDelayMs(policy, n, randomB));
    expect(scheduleA).not.toEqual(scheduleB);
  });
});
