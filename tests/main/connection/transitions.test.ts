/**
 * Walks every transition of the connection state machine with real sockets and checks the
 * union of what happened against the table in docs/architecture.md and CONNECTION_TRANSITIONS.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type ServerHandle } from '../../../server/index';
import { CONNECTION_STATES } from '../../../src/shared/contract';
import { CONNECTION_TRANSITIONS } from '../../../src/main/core/connection';
import type { Timing } from '../../../src/main/core/options';
import type { ConnectionService } from '../../../src/main/core/connection';
import { startFaultProxy, type FaultProxy } from '../../support/fault-proxy';
import { startBareLink } from './harness';
import { recordTransitions, type TransitionLog } from '../../support/transitions';

let server: ServerHandle;
let proxy: FaultProxy;
const observed = new Set<string>();

beforeAll(async () => {
  server = await startServer({ seed: true, bcryptRounds: 4 });
  proxy = await startFaultProxy(server.port);
});
afterAll(async () => {
  await proxy.close();
  await server.close();
});

/**
 * Each step awaits a recorded transition (never a poll of `state`), and acts in the same tick
 * it resolves, so a transient state cannot slip by on a loaded machine. Timers only decide how
 * soon things happen, never which transition comes next.
 */
async function scenario(
  run: (link: ConnectionService, log: TransitionLog) => Promise<void>,
  timing: Partial<Timing> = {},
): Promise<void> {
  proxy.refuse(false);
  proxy.blackhole(false);
  proxy.answerNew(null);
  const bare = await startBareLink(proxy.url, { timing: { giveUpAfterFailures: 3, ...timing } });
  const log = recordTransitions(bare.link);
  try {
    await run(bare.link, log);
  } finally {
    for (const t of bare.link.history()) observed.add(`${t.from}>${t.to}`);
    log.dispose();
    bare.dispose();
  }
}

function documentedTransitions(): string[] {
  const doc = fs.readFileSync(path.join(__dirname, '../../../docs/architecture.md'), 'utf8');
  const states = CONNECTION_STATES.join('|');
  const row = new RegExp(`^\\|\\s*(${states})\\s*\\|\\s*(${states})\\s*\\|`, 'gm');
  return [...doc.matchAll(row)].map((match) => `${match[1]}>${match[2]}`);
}

describe('connection state machine', () => {
  it('documents exactly the transitions the code allows', () => {
    const documented = documentedTransitions();
    expect(documented.length).toBe(CONNECTION_TRANSITIONS.length);
    expect(new Set(documented)).toEqual(new Set(CONNECTION_TRANSITIONS.map((t) => `${t.from}>${t.to}`)));
  });

  it('walks every documented transition with real sockets', async () => {
    // Update required at once, then retry now, then a 4426 while connected, then stop.
    await scenario(async (link, log) => {
      proxy.answerNew({ status: 426 });
      link.start();
      expect((await log.next({ from: 'CONNECTING', to: 'ERROR' })).httpStatus).toBe(426);
      // The snapshot the window reads carries the same cause.
      expect(link.snapshot()).toMatchObject({ state: 'ERROR', httpStatus: 426 });
      proxy.answerNew(null);
      let mark = log.mark();
      link.retryNow();
      await log.next({ from: 'RECONNECTING', to: 'CONNECTED' }, { after: mark });
      mark = log.mark();
      server.control.dropAllSockets({ code: 4426, reason: 'unsupported' });
      await log.next({ from: 'CONNECTED', to: 'ERROR' }, { after: mark });
      expect(link.snapshot()).toMatchObject({ state: 'ERROR', closeCode: 4426 });
      expect(link.snapshot().httpStatus).toBeUndefined();
      link.close('test');
    });
    // Refused from the start until we give up; offline/online in ERROR; a probe failing offline.
    await scenario(async (link, log) => {
      proxy.refuse(true);
      link.start();
      await log.next({ from: 'RECONNECTING', to: 'ERROR' });
      let mark = log.mark();
      // Possibly in the tick between the failure and the gate's wait: it must still take effect.
      link.notifySystem('offline');
      await log.next({ from: 'ERROR', to: 'DISCONNECTED' }, { after: mark });
      mark = log.mark();
      link.notifySystem('online');
      await log.next({ to: 'ERROR' }, { after: mark });
      proxy.refuse(false);
      mark = log.mark();
      link.retryNow();
      await log.next({ to: 'CONNECTED' }, { after: mark });
      proxy.blackhole(true);
      mark = log.mark();
      link.notifySystem('offline');
      await log.next({ from: 'CONNECTED', to: 'DISCONNECTED' }, { after: mark });
      link.close('test');
    });
    // Offline while attempts hang (blackholed upgrades).
    await scenario(async (link, log) => {
      proxy.blackhole(true);
      link.start();
      link.notifySystem('offline');
      await log.next({ from: 'CONNECTING', to: 'DISCONNECTED' });
      let mark = log.mark();
      link.notifySystem('online');
      await log.next({ from: 'DISCONNECTED', to: 'RECONNECTING' }, { after: mark });
      // Still RECONNECTING here (the next change needs a timer or a socket event).
      mark = log.mark();
      link.notifySystem('offline');
      await log.next({ from: 'RECONNECTING', to: 'DISCONNECTED' }, { after: mark });
      link.close('test');
    }, { connectTimeoutMs: 300 }); // only blackholed attempts time out here
    // Stops from CONNECTED, CONNECTING and RECONNECTING; a lost link.
    await scenario(async (link, log) => {
      link.start();
      await log.next({ from: 'CONNECTING', to: 'CONNECTED' });
      link.close('test');
      proxy.blackhole(true);
      link.start();
      link.close('test');
      proxy.blackhole(false);
      let mark = log.mark();
      link.start();
      await log.next({ to: 'CONNECTED' }, { after: mark });
      proxy.refuse(true);
      mark = log.mark();
      proxy.cutAll();
      await log.next({ from: 'CONNECTED', to: 'RECONNECTING' }, { after: mark });
      link.close('test');
    });
    const expected = new Set(CONNECTION_TRANSITIONS.map((t) => `${t.from}>${t.to}`));
    expect([...observed].filter((t) => !expected.has(t))).toEqual([]);
    expect([...expected].filter((t) => !observed.has(t))).toEqual([]);
  });
});
