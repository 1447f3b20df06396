/**
 * Restarting into a downloaded version (updater-rig.ts): refused with nothing downloaded; the
 * restart waits for the outbox within its bound, can be cancelled, and a failed install is a
 * plain quit.
 */
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../support/clock';
import { count, rig, untilSettled, useUpdaterRig, type Rig, type RigOptions } from './updater-rig';

useUpdaterRig();

describe('restarting into the new version', () => {
  async function ready(options: RigOptions = {}): Promise<Rig> {
    const r = rig(options);
    await r.controller.check('user');
    expect(await untilSettled(r)).toMatchObject({ state: 'ready' });
    return r;
  }

  it('is refused while nothing is downloaded', () => {
    const r = rig();
    expect(() => r.controller.restartNow()).toThrow('No update has been downloaded yet.');
    expect(() => r.controller.restartWhenSent()).toThrow('No update has been downloaded yet.');
  });

  it('"Update after they are sent" waits for the outbox and restarts by itself once it is empty', async () => {
    const clock = new ManualClock();
    const r = await ready({ clock });
    r.outbox.sent(2);
    expect(r.statuses.at(-1)).toMatchObject({ state: 'ready', pendingMessages: 2 });
    const waiting = r.controller.restartWhenSent();
    expect(waiting.restartWhenSent).toEqual({ since: clock.now(), deadline: clock.now() + 120_000 });
    r.outbox.sent(1);
    clock.advance(60_000);
    expect(r.restarts).toBe(0);
    r.outbox.sent(0);
    expect(r.restarts).toBe(1);
    expect(r.controller.status()).toMatchObject({ state: 'restarting', restartWhenSent: null });
    clock.advance(120_000);
    expect(r.restarts).toBe(1);
    expect(await count(r.metrics, 'nova_update_restarts_total', 'when_sent')).toBe(1);
    expect(await count(r.metrics, 'nova_update_restarts_total', 'sent')).toBe(1);
    expect(await count(r.metrics, 'nova_update_restarts_total', 'timed_out')).toBe(0);
    // The window heard the wait (for 2 messages) and then the restart it ended in.
    expect(r.statuses).toContainEqual(expect.objectContaining({ state: 'ready', pendingMessages: 2, restartWhenSent: { since: waiting.restartWhenSent?.since, deadline: waiting.restartWhenSent?.deadline } }));
    expect(r.statuses.at(-1)).toMatchObject({ state: 'restarting', restartWhenSent: null, pendingMessages: 0 });
  });

  it('restarts anyway when the bounded wait ends; the messages stay saved for after the restart', async () => {
    const clock = new ManualClock();
    const r = await ready({ clock });
    r.outbox.sent(3);
    r.controller.restartWhenSent();
    clock.advance(119_999);
    expect(r.restarts).toBe(0);
    clock.advance(1);
    expect(r.restarts).toBe(1);
    expect(await count(r.metrics, 'nova_update_restarts_total', 'timed_out')).toBe(1);
    expect(await count(r.metrics, 'nova_update_restarts_total', 'sent')).toBe(0);
    // Restarting with the 3 messages still counted as waiting: nothing was dropped to make the wait end.
    expect(r.statuses.at(-1)).toMatchObject({ state: 'restarting', update: { version: '0.2.0' }, pendingMessages: 3, restartWhenSent: null });
  });

  it('"Cancel" stops the wait; "Restart now" goes at once; with nothing waiting it goes at once too', async () => {
    const clock = new ManualClock();
    const r = await ready({ clock });
    r.outbox.sent(1);
    r.controller.restartWhenSent();
    expect(r.controller.cancelRestart().restartWhenSent).toBeNull();
    clock.advance(300_000);
    r.outbox.sent(0);
    expect(r.restarts).toBe(0);
    r.controller.restartWhenSent();
    expect(r.restarts).toBe(1);
    expect(await count(r.metrics, 'nova_update_restarts_total', 'cancelled')).toBe(1);
  });

  it('hands a failed install back as a plain quit, counted', async () => {
    const r = await ready();
    r.controller.restartNow();
    expect(r.restarts).toBe(1);
    // The running AppImage vanished meanwhile: the installer cannot replace it.
    fs.rmSync(r.appImage);
    let quits = 0;
    r.controller.installAndQuit(() => (quits += 1));
    expect(quits).toBe(1);
    expect(await count(r.metrics, 'nova_update_restarts_total', 'install_failed')).toBe(1);
    expect(await count(r.metrics, 'nova_update_restarts_total', 'installing')).toBe(1);
  });
});
