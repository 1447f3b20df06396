import { afterEach, describe, expect, it } from 'vitest';
import { startRealCoreRig, type RealCoreRig } from '../../support/real-core';

let rig: RealCoreRig | null = null;
afterEach(async () => {
  await rig?.cleanup();
  rig = null;
});

describe('connection smoke', () => {
  it('connects after sign-in and reconnects after the server drops it', async () => {
    rig = await startRealCoreRig();
    await rig.signIn();
    await rig.waitForState('CONNECTED');
    expect(rig.server.control.socketCount()).toBe(1);
    const mark = rig.transitions.mark();
    rig.server.control.dropAllSockets();
    await rig.transitions.next({ from: 'CONNECTED', to: 'RECONNECTING' }, { after: mark });
    await rig.transitions.next({ to: 'CONNECTED' }, { after: mark });
    expect(rig.server.control.socketCount()).toBe(1);
  });

  it("passes the server's message size limit from the handshake to delivery", async () => {
    rig = await startRealCoreRig({ server: { maxMessageBytes: 1_000 } });
    await rig.signIn();
    await rig.waitForState('CONNECTED');
    expect(rig.core.connection.capabilities()?.maxMessageBytes).toBe(1_000);
  });
});
