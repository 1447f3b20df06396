/** Sleep and wake through the real shell: powerMonitor events reach the core, and what they cause. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { BOB } from '../../support/real-core';
import { startShellRig, type ShellRig } from '../../support/shell-rig';

vi.mock('electron', () => import('../../support/fake-electron/module'));

let rig: ShellRig | null = null;
afterEach(async () => {
  vi.useRealTimers();
  await rig?.cleanup();
  rig = null;
});

async function signedIn(): Promise<ShellRig & { direct: string; team: string }> {
  const r = await startShellRig({ platform: 'linux' });
  rig = r;
  const seed = r.server.seed;
  if (!seed) throw new Error('the server has no seed');
  await r.signIn();
  await vi.waitFor(() => expect(r.fake.app.badgeCount).toBe(3));
  return Object.assign(r, seed.conversations);
}

describe('sleep and wake', () => {
  it('resume after 10 minutes: a new connection, and one summary for what came meanwhile', async () => {
    const r = await signedIn();
    r.window().loseFocus();
    // Asleep: nothing reaches this computer.
    r.server.control.halfOpen('freeze');
    r.fake.powerMonitor.suspend();
    for (let i = 0; i < 30; i += 1) r.server.control.sendAs(BOB, i < 20 ? r.team : r.direct, `while asleep ${i}`);
    const socketsBefore = r.server.control.connectionAttempts();
    vi.useFakeTimers({ toFake: ['Date'], shouldAdvanceTime: true });
    vi.setSystemTime(Date.now() + 10 * 60_000);
    r.server.control.halfOpen('off');
    r.fake.powerMonitor.resume();

    // Asleep longer than 5 minutes: the old socket is not trusted; a new one is dialled.
    await vi.waitFor(() => expect(r.server.control.connectionAttempts()).toBeGreaterThan(socketsBefore), { timeout: 10_000 });
    await vi.waitFor(() => expect(r.fake.app.badgeCount).toBe(33), { timeout: 10_000 });
    await vi.waitFor(() => expect(r.fake.notifications.filter((n) => n.isShown)).toHaveLength(1), { timeout: 15_000 });
    const [summary] = r.fake.notifications;
    expect(summary?.title).toBe('Nova');
    expect(summary?.body).toMatch(/^30 new messages in (Team and Bob Chen|Bob Chen and Team)$/);
    expect(r.fake.trays[0]?.menu?.find('state')?.label).toBe('Connected');
  });

  it('quitting during sleep with messages waiting: asked, quits, and they go out at the next start', async () => {
    const r = await signedIn();
    r.server.control.halfOpen('freeze');
    await r.invoke('messages:send', { conversationId: r.direct, text: 'written before the lid closed' });
    r.fake.powerMonitor.suspend();
    r.fake.app.quit();
    (await r.fake.dialog.nextBox()).answer('Send first');
    const sending = await r.fake.dialog.nextBox();
    expect(sending.options.message).toBe('Sending 1 message…');
    sending.answer('Quit now');
    expect(await r.whenQuit()).toEqual({ how: 'quit', code: 0 });
    await r.cleanup({ keepData: true, keepServer: true });

    r.server.control.halfOpen('off');
    rig = await startShellRig({ platform: 'linux', server: r.server, dataDir: r.dataDir });
    await vi.waitFor(
      () => expect(r.server.control.listMessages(r.direct).map((m) => m.plaintext)).toContain('written before the lid closed'),
      { timeout: 15_000 },
    );
    await r.server.close();
  });

  it('unlocking the screen re-reads the network for the core; the lock hides previews meanwhile', async () => {
    const r = await signedIn();
    r.window().loseFocus();
    r.fake.powerMonitor.lockScreen();
    r.server.control.sendAs(BOB, r.team, 'on the lock screen');
    await vi.waitFor(() => expect(r.fake.notifications.map((n) => n.body)).toEqual(['1 new message']));
    r.fake.net.online = false;
    r.fake.powerMonitor.unlockScreen();
    expect((await r.invoke('connection:get', {})).snapshot.isOsOffline).toBe(true);
    r.fake.net.online = true;
    r.fake.powerMonitor.unlockScreen();
    expect((await r.invoke('connection:get', {})).snapshot.isOsOffline).toBe(false);
  });
});
