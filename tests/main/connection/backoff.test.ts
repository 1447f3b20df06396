import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { backoffCeilingMs, reconnectDelayMs, serverDelayMs } from '../../../src/main/core/connection/backoff';

const policy = { baseMs: 1000, capMs: 10_000 };
const unit = fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true });

/** A random source that answers the given values in turn. */
function sequence(...values: number[]): () => number {
  let index = 0;
  return () => values[index++ % values.length] as number;
}

describe('reconnect backoff', () => {
  it('draws the first retry from [1 s, 7 s]', () => {
    expect(reconnectDelayMs(policy, 0, sequence(0, 0.5))).toBe(1000);
    expect(reconnectDelayMs(policy, 0, sequence(0.5, 0.5))).toBe(4000);
    expect(reconnectDelayMs(policy, 0, sequence(0.999_999, 0.5))).toBe(6999);
  });

  it('grows each retry by 1.3 from the first', () => {
    expect(reconnectDelayMs(policy, 1, sequence(0, 0.5))).toBe(1300);
    expect(reconnectDelayMs(policy, 3, sequence(0, 0.5))).toBe(2197);
    expect(reconnectDelayMs(policy, 3, sequence(0.5, 0.5))).toBe(8788);
  });

  it('one client keeps its place: with the same first draw each retry is 1.3 times the last', () => {
    const delays = [0, 1, 2, 3].map((attempt) => reconnectDelayMs(policy, attempt, sequence(0.9, 0.5), 0.5));
    expect(delays).toEqual([4000, 5200, 6760, 8788]);
  });

  it('retries periodically at the cap, ±10 %, however many attempts went before: the window stops widening', () => {
    for (const attempt of [10, 20, 500, 1e9]) {
      expect(reconnectDelayMs(policy, attempt, sequence(0, 0))).toBe(9000);
      expect(reconnectDelayMs(policy, attempt, sequence(0, 0.5))).toBe(10_000);
      expect(reconnectDelayMs(policy, attempt, sequence(0, 0.999_999))).toBe(10_999);
    }
  });

  it('stays within [base, ceiling] for any attempt and any random values, and is never a hot loop', () => {
    fc.assert(
      fc.property(fc.nat(10_000), unit, unit, (attempt, a, b) => {
        const delay = reconnectDelayMs(policy, attempt, sequence(a, b));
        return delay >= Math.min(policy.baseMs, policy.capMs * 0.9) && delay <= backoffCeilingMs(policy, attempt) && Number.isInteger(delay);
      }),
    );
    expect([0, 1, 5, 7, 8, 100].map((n) => backoffCeilingMs(policy, n))).toEqual([7000, 9100, 11_000, 11_000, 11_000, 11_000]);
  });

  it('keeps a wait the server named to the millisecond, with no spread of its own', () => {
    expect(serverDelayMs(policy, 0, 1234, sequence(0.9))).toBe(1234);
    expect(serverDelayMs(policy, 12, 20, sequence(0.9))).toBe(20);
    expect(serverDelayMs(policy, 0, -5, sequence(0.9))).toBe(0);
    expect(serverDelayMs(policy, 0, null, sequence(0.5, 0.5))).toBe(4000);
  });

  it('gives two clients with their own random sources different schedules', () => {
    let a = 1;
    let b = 7;
    const lcg = (seed: () => number) => () => seed() / 2 ** 31;
    const randomA = lcg(() => (a = (a * 1_103_515_245 + 12_345) % 2 ** 31));
    const randomB = lcg(() => (b = (b * 1_103_515_245 + 12_345) % 2 ** 31));
    const scheduleA = [0, 1, 2, 3, 4].map((n) => reconnectDelayMs(policy, n, randomA));
    const scheduleB = [0, 1, 2, 3, 4].map((n) => reconnectDelayMs(policy, n, randomB));
    expect(scheduleA).not.toEqual(scheduleB);
  });
});
