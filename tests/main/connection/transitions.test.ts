/**
 * Walks every transition of the connection state machine with real sockets and checks the
 * union of what happened against the table in docs/architecture.md and CONNECTION_TRANSITIONS.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startServer, type ServerHandle } from '../../../server/index';
import { CONNECTION_STATES, type ConnectionState } from '../../../src/shared/contract';
import { CONNECTION_TRANSITIONS } from '../../../src/main/core/connection';
import type { ConnectionService } from '../../../src/main/core/connection';
import { startFaultProxy, type FaultProxy } from '../../support/fault-proxy';
import { startBareLink } from './harness';

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

async function scenario(run: (link: ConnectionService) => Promise<void>): Promise<void> {
  proxy.refuse(false);
  proxy.blackhole(false);
  proxy.answerNew(null);
  const bare = await startBareLink(proxy.url, { timing: { giveUpAfterFailures: 3, connectTimeoutMs: 300 } });
  try {
    await run(bare.link);
  } finally {
    for (const t of bare.link.history()) observed.add(`${t.from}>${t.to}`);
    bare.dispose();
  }
}

async function reach(link: ConnectionService, state: ConnectionState): Promise<void> {
  await vi.waitFor(() => expect(link.state).toBe(state), { timeout: 4000, interval: 5 });
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
    await scenario(async (link) => {
      proxy.answerNew({ status: 426 });
      link.start();
      await reach(link, 'ERROR');
      expect(link.snapshot().reason).toBe('update required');
      proxy.answerNew(null);
      link.retryNow();
      await reach(link, 'CONNECTED');
      server.control.dropAllSockets({ code: 4426, reason: 'unsupported' });
      await reach(link, 'ERROR');
      link.close('test');
    });
    // Refused from the start until we give up; offline/online in ERROR; a probe failing offline.
    await scenario(async (link) => {
      proxy.refuse(true);
      link.start();
      await reach(link, 'ERROR');
      link.notifySystem('offline');
      await reach(link, 'DISCONNECTED');
      link.notifySystem('online');
      await reach(link, 'ERROR');
      proxy.refuse(false);
      link.retryNow();
      await reach(link, 'CONNECTED');
      proxy.blackhole(true);
      link.notifySystem('offline');
      await reach(link, 'DISCONNECTED');
      link.close('test');
    });
    // Offline while attempts hang (blackholed upgrades).
    await scenario(async (link) => {
      proxy.blackhole(true);
      link.start();
      link.notifySystem('offline');
      await reach(link, 'DISCONNECTED');
      link.notifySystem('online');
      await reach(link, 'RECONNECTING');
      link.notifySystem('offline');
      await vi.waitFor(() => expect(link.history().at(-1)).toMatchObject({ from: 'RECONNECTING', to: 'DISCONNECTED' }));
      link.close('test');
    });
    // Stops from CONNECTED, CONNECTING and RECONNECTING; a lost link.
    await scenario(async (link) => {
      link.start();
      await reach(link, 'CONNECTED');
      link.close('test');
      proxy.blackhole(true);
      link.start();
      link.close('test');
      proxy.blackhole(false);
      link.start();
      await reach(link, 'CONNECTED');
      proxy.refuse(true);
      proxy.cutAll();
      await reach(link, 'RECONNECTING');
      link.close('test');
    });
    const expected = new Set(CONNECTION_TRANSITIONS.map((t) => `${t.from}>${t.to}`));
    expect([...observed].filter((t) => !expected.has(t))).toEqual([]);
    expect([...expected].filter((t) => !observed.has(t))).toEqual([]);
  });
});
