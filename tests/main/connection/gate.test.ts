/**
 * The dial gate on a manual clock: when a parked dialer gets its turn, what a failure leads to
 * (state and next dial time), and when it gets no token at all. Asserts states and times, not
 * the reasons' wording.
 */
import { describe, expect, it } from 'vitest';
import { CloseCode } from '../../../src/shared/protocol';
import { AppError, type ErrorCode } from '../../../src/shared/errors';
import { DialGate } from '../../../src/main/core/connection/gate';
import { ConnectionStateMachine } from '../../../src/main/core/connection';
import type { LinkAuth } from '../../../src/main/core/connection';
import { createMemoryLogger } from '../../../src/main/core/logging';
import { Metrics } from '../../../src/main/core/metrics';
import { ManualClock } from '../../support/clock';

const TIMING = { backoffBaseMs: 1000, backoffCapMs: 30_000, giveUpAfterFailures: 3, slowRetryMs: 300_000 };

function rig(auth: Partial<LinkAuth> = {}) {
  const clock = new ManualClock();
  const machine = new ConnectionStateMachine(() => clock.now());
  const notices: ErrorCode[] = [];
  let ended = 0;
  const gate = new DialGate({
    auth: {
      userId: () => 'u-1',
      currentAccessToken: () => 'token-1',
      freshAccessToken: () => Promise.resolve('token-1'),
      refresh: () => Promise.resolve('token-2'),
      request: () => Promise.reject(new AppError('NETWORK_ERROR')),
      ...auth,
    },
    clock,
    // The middle of every jitter window: the delays below are exact.
    random: () => 0.5,
    timing: TIMING,
    log: createMemoryLogger(),
    metrics: new Metrics({ defaultMetrics: false }),
    host: {
      state: () => machine.state,
      transition: (to, reason, cause) => {
        machine.transition(to, reason, cause);
      },
      changed: () => undefined,
      settle: () => undefined,
      endSession: () => {
        ended += 1;
      },
      notice: (code) => notices.push(code),
    },
  });
  machine.transition('CONNECTING', 'starting');
  return { clock, machine, gate, notices, ended: () => ended };
}

/** Lets promise continuations run (the gate awaits between its steps). */
async function settle(): Promise<void> {
  for (let i = 0; i < 10; i += 1) await Promise.resolve();
}

/** A parked turn and whether it has resolved yet. */
function park(gate: DialGate, ticket: number): { token: () => string | null | undefined } {
  let token: string | null | undefined;
  void gate.turn(ticket).then((value) => {
    token = value;
  });
  return { token: () => token };
}

const lost = (countsAsFailure = true) => ({ kind: 'retry' as const, why: 'connect_failed' as const, retryAfterMs: null, countsAsFailure, probeSession: false });
const ENDED = { token: 'token-1', description: 'closed 1006', wasConnected: false, cause: { closeCode: CloseCode.ABNORMAL } };

describe('DialGate', () => {
  it('lets the first dial through at once, then waits the backoff after a failure', async () => {
    const { clock, machine, gate } = rig();
    const ticket = gate.open();
    expect(await gate.turn(ticket)).toBe('token-1');
    gate.begin();
    gate.afterClose(lost(), ENDED);
    expect(machine.state).toBe('RECONNECTING');
    expect(machine.history().at(-1)).toMatchObject({ to: 'RECONNECTING', closeCode: CloseCode.ABNORMAL });
    // One dial made: the middle of [1 s, 7 s] (4 s), grown once by 1.3.
    expect(gate.nextAttemptAt).toBe(clock.now() + 5200);
    const turn = park(gate, ticket);
    await settle();
    clock.advance(5199);
    await settle();
    expect(turn.token()).toBeUndefined();
    clock.advance(1);
    await settle();
    expect(turn.token()).toBe('token-1');
  });

  it('gives up after the threshold: ERROR, and the next dial only at the slow retry', async () => {
    const { clock, machine, gate } = rig();
    const ticket = gate.open();
    for (let failure = 0; failure < TIMING.giveUpAfterFailures; failure += 1) {
      const turn = gate.turn(ticket);
      clock.advance(60_000);
      expect(await turn).toBe('token-1');
      gate.begin();
      gate.afterClose(lost(), ENDED);
    }
    expect(machine.state).toBe('ERROR');
    expect(gate.nextAttemptAt).toBe(clock.now() + TIMING.slowRetryMs);
  });

  it('counts no failure for a server that named its wait, and waits exactly what it named', async () => {
    const { clock, machine, gate } = rig();
    const ticket = gate.open();
    for (let refusal = 0; refusal < TIMING.giveUpAfterFailures + 2; refusal += 1) {
      const turn = gate.turn(ticket);
      clock.advance(60_000);
      expect(await turn).toBe('token-1');
      gate.begin();
      gate.afterClose({ ...lost(false), why: 'rate_limited', retryAfterMs: 6000 }, ENDED);
    }
    expect(machine.state).toBe('RECONNECTING');
    expect(gate.nextAttemptAt).toBe(clock.now() + 6000);
  });

  it('comes back after an announced restart at its moment, with the backoff started afresh', async () => {
    const { clock, gate } = rig();
    const ticket = gate.open();
    await gate.turn(ticket);
    gate.begin();
    gate.afterClose({ kind: 'restart', retryAfterMs: 5000, spreadMs: 4000 }, ENDED);
    expect(gate.nextAttemptAt).toBe(clock.now() + 7000);
    expect(gate.attempt).toBe(0);
  });

  it('holds while the OS is offline, and the network coming back dials at once', async () => {
    const { machine, gate } = rig();
    const ticket = gate.open();
    await gate.turn(ticket);
    gate.begin();
    gate.setOffline(true);
    gate.afterClose(lost(), ENDED);
    expect(machine.state).toBe('DISCONNECTED');
    expect(gate.nextAttemptAt).toBeNull();
    const turn = park(gate, ticket);
    await settle();
    expect(gate.isWaiting).toBe(true);
    gate.setOffline(false);
    gate.dialNow('network back', 'network_change');
    await settle();
    expect(machine.state).toBe('RECONNECTING');
    expect(turn.token()).toBe('token-1');
  });

  it('holds for good on update required (ERROR, a notice) until a retry is asked for', async () => {
    const { machine, gate, notices } = rig();
    const ticket = gate.open();
    await gate.turn(ticket);
    gate.begin();
    gate.afterClose({ kind: 'update_required' }, { ...ENDED, cause: { httpStatus: 426 } });
    expect(machine.state).toBe('ERROR');
    expect(machine.history().at(-1)).toMatchObject({ to: 'ERROR', httpStatus: 426 });
    expect(notices).toEqual(['UPDATE_REQUIRED']);
    const turn = park(gate, ticket);
    await settle();
    expect(turn.token()).toBeUndefined();
    gate.force();
    gate.dialNow('retry now', 'manual');
    await settle();
    expect(turn.token()).toBe('token-1');
  });

  it('refreshes the token after a 401 on the token in hand, once at once', async () => {
    const { gate } = rig();
    const ticket = gate.open();
    await gate.turn(ticket);
    gate.begin();
    gate.afterClose({ kind: 'refresh', revoked: false, countsAsFailure: true }, ENDED);
    expect(await gate.turn(ticket)).toBe('token-2');
  });

  it('gives a parked dialer no token once shut or reissued, and ends the session when auth says it is dead', async () => {
    const { gate, ended } = rig({ freshAccessToken: () => Promise.reject(new AppError('TOKEN_REVOKED')) });
    const first = gate.open();
    gate.hold();
    const parked = park(gate, first);
    await settle();
    const second = gate.reissue();
    await settle();
    expect(parked.token()).toBeNull();
    expect(await gate.turn(second)).toBeNull();
    expect(ended()).toBe(1);
    gate.shut();
    expect(await gate.turn(second)).toBeNull();
  });
});
