import { afterEach, describe, expect, it } from 'vitest';
import { startRig, type Rig } from './harness';

let rig: Rig | null = null;
afterEach(async () => {
  await rig?.cleanup();
  rig = null;
});

describe('connection smoke', () => {
  it('connects after sign-in and reconnects after the server drops it', async () => {
    rig = await startRig();
    await rig.signIn();
    await rig.waitForState('CONNECTED');
    expect(rig.server.control.socketCount()).toBe(1);
    rig.server.control.dropAllSockets();
    await rig.waitForState('RECONNECTING');
    await rig.waitForState('CONNECTED');
    expect(rig.server.control.socketCount()).toBe(1);
  });
});
