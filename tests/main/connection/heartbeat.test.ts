import { describe, expect, it } from 'vitest';
import { Heartbeat } from '../../../src/main/core/connection/heartbeat';
import { ManualClock } from '../../support/clock';

function rig(options: { canSend?: () => boolean } = {}) {
  const clock = new ManualClock();
  const pings: number[] = [];
  const timeouts: number[] = [];
  const rtts: number[] = [];
  const heartbeat = new Heartbeat(
    clock,
    {
      sendPing: (at) => {
        if (options.canSend && !options.canSend()) return false;
        pings.push(at - 1_000_000);
        return true;
      },
      onTimeout: (waited) => timeouts.push(waited),
      onRoundTrip: (rtt) => rtts.push(rtt),
    },
    30_000,
    10_000,
  );
  return { clock, pings, timeouts, rtts, heartbeat };
}

describe('heartbeat', () => {
  it('pings every interval while pongs come back, and measures the round trip', () => {
    const { clock, pings, timeouts, rtts, heartbeat } = rig();
    heartbeat.start();
    clock.advance(30_000);
    for (let i = 0; i < 3; i++) {
      clock.advance(40);
      heartbeat.pong();
      clock.advance(30_000 - 40);
    }
    expect(pings).toEqual([30_000, 60_000, 90_000, 120_000]);
    expect(rtts).toEqual([40, 40, 40]);
    expect(timeouts).toEqual([]);
  });

  it('declares the link dead within interval + timeout of the last pong', () => {
    const { clock, timeouts, heartbeat } = rig();
    heartbeat.start();
    clock.advance(30_000);
    heartbeat.pong(); // last sign of life at t = 30 s
    clock.advance(30_000 + 9_999);
    expect(timeouts).toEqual([]);
    clock.advance(1);
    expect(timeouts).toEqual([10_000]);
    expect(heartbeat.isRunning).toBe(false);
  });

  it('probes at once on demand with its own shorter timeout', () => {
    const { clock, pings, timeouts, heartbeat } = rig();
    heartbeat.start();
    clock.advance(1000);
    heartbeat.probeNow(5000);
    expect(pings).toEqual([1000]);
    clock.advance(5000);
    expect(timeouts).toEqual([5000]);
  });

  it('ignores unsolicited pongs and stops without firing', () => {
    const { clock, rtts, timeouts, heartbeat } = rig();
    heartbeat.start();
    heartbeat.pong();
    expect(rtts).toEqual([]);
    clock.advance(30_000);
    heartbeat.stop();
    clock.advance(60_000);
    expect(timeouts).toEqual([]);
    expect(clock.pending()).toBe(0);
  });

  it('stops quietly when there is no socket to probe', () => {
    const { clock, timeouts, heartbeat } = rig({ canSend: () => false });
    heartbeat.start();
    clock.advance(100_000);
    expect(timeouts).toEqual([]);
    expect(heartbeat.isRunning).toBe(false);
  });
});
