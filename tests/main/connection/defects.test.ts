/**
 * reconnecting-websocket's known defects (peer-clients §5.3) must not bite through our wrapper:
 * #165 reconnect() dead after maxRetries, #134/#166 a throwing URL provider stops it for good,
 * #170/#39 two sockets at once.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { startServer, type ServerHandle } from '../../../server/index';
import { AppError } from '../../../src/shared/errors';
import { startFaultProxy, type FaultProxy } from '../../support/fault-proxy';
import { startBareLink } from './harness';
import { startRealCoreRig, type RealCoreRig } from '../../support/real-core';
import { LOADED_TIMEOUT_MS } from '../../support/timing';

/** Polls for conditions that stay true once reached; bounded generously for a loaded machine. */
const WAIT = { timeout: LOADED_TIMEOUT_MS, interval: 10 };

let rig: RealCoreRig | null = null;
const disposers: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  await rig?.cleanup();
  rig = null;
  for (const dispose of disposers.splice(0).reverse()) await dispose();
});

async function serverAndProxy(): Promise<{ server: ServerHandle; proxy: FaultProxy }> {
  const server = await startServer({ seed: true, bcryptRounds: 4 });
  const proxy = await startFaultProxy(server.port);
  disposers.push(() => server.close(), () => proxy.close());
  return { server, proxy };
}

describe('reconnecting-websocket defects cannot bite', () => {
  it('"retry now" works after we gave up (ERROR), long before the slow retry is due', async () => {
    rig = await startRealCoreRig({ timing: { giveUpAfterFailures: 3, slowRetryMs: 60_000 } });
    await rig.signIn();
    await rig.waitForState('CONNECTED');
    rig.proxy.refuse(true);
    rig.proxy.cutAll();
    await rig.waitForState('ERROR');
    const snapshot = rig.core.connection.snapshot();
    expect(snapshot.state).toBe('ERROR');
    expect((snapshot.nextAttemptAt ?? 0) - Date.now()).toBeGreaterThan(50_000);
    rig.proxy.refuse(false);
    const asked = Date.now();
    await rig.core.handlers['connection:retryNow']({});
    await rig.waitForState('CONNECTED');
    // The alternative is the 60 s slow retry; the slack is for a loaded machine.
    expect(Date.now() - asked).toBeLessThan(5000);
  });

  it('a token provider that throws (offline) does not stop reconnection', async () => {
    const { proxy } = await serverAndProxy();
    let failuresLeft = 4;
    const bare = await startBareLink(proxy.url, {
      wrapAuth: (auth) => ({
        ...auth,
        freshAccessToken: () => {
          if (failuresLeft > 0) {
            failuresLeft -= 1;
            return Promise.reject(new AppError('NETWORK_ERROR'));
          }
          return auth.freshAccessToken();
        },
      }),
    });
    disposers.push(bare.dispose);
    bare.link.start();
    await vi.waitFor(() => expect(bare.link.state).toBe('CONNECTED'), WAIT);
    expect(failuresLeft).toBe(0);
    // Each failed token fetch is a failed attempt of its own, with no socket (and so no code) behind it.
    const tokenless = bare.link.history().filter((t) => t.to === 'RECONNECTING' && t.closeCode === undefined && t.httpStatus === undefined);
    expect(tokenless).toHaveLength(4);
  });

  it('never has two sockets open, however close and start interleave', async () => {
    const { server, proxy } = await serverAndProxy();
    const bare = await startBareLink(proxy.url);
    disposers.push(bare.dispose);
    for (let round = 0; round < 10; round++) {
      bare.link.start();
      if (round % 2 === 0) await vi.waitFor(() => expect(bare.link.state).toBe('CONNECTED'), WAIT);
      bare.link.close('test');
    }
    bare.link.start();
    await vi.waitFor(() => expect(bare.link.state).toBe('CONNECTED'), WAIT);
    await vi.waitFor(() => expect(server.control.socketCount()).toBe(1), WAIT);
    expect(bare.link.getStats()).toMatchObject({ overlappingSockets: 0, maxOpenSockets: 1 });
  });
});
