/**
 * The real shell (src/main/index.ts) against the fake Electron, a real core and the reference
 * server: second launches, the dock, closing the window and quitting with and without unsent
 * messages, per platform.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { startShellRig, type ShellRig } from '../../support/shell-rig';

vi.mock('electron', () => import('../../support/fake-electron/module'));

let rig: ShellRig | null = null;
afterEach(async () => {
  await rig?.cleanup();
  rig = null;
});

async function started(options: Parameters<typeof startShellRig>[0] = {}): Promise<ShellRig> {
  rig = await startShellRig(options);
  await vi.waitFor(() => expect(rig?.window().isVisible()).toBe(true));
  return rig;
}

function conversations(r: ShellRig): { direct: string; team: string } {
  const seed = r.server.seed;
  if (!seed) throw new Error('the server has no seed');
  return seed.conversations;
}

/** Signs in and leaves `count` messages unacknowledged: the server's sockets go mute. */
async function withUnsentMessages(r: ShellRig, count: number): Promise<void> {
  await r.signIn();
  r.server.control.halfOpen('freeze');
  for (let i = 0; i < count; i += 1) await r.invoke('messages:send', { conversationId: conversations(r).direct, text: `unsent ${i}` });
  const outbox = await r.invoke('outbox:list', {});
  expect(outbox).toHaveLength(count);
}

describe('a second launch', () => {
  it('focuses the open window without making another', async () => {
    const r = await started();
    const window = r.window();
    window.loseFocus();
    r.fake.app.launchSecondInstance(['nova', '--second']);
    expect(window.isFocused()).toBe(true);
    expect(r.fake.windows).toHaveLength(1);
  });

  it('shows the window hidden in the tray', async () => {
    const r = await started({ platform: 'linux' });
    const window = r.window();
    expect(await window.userClose()).toBe('prevented');
    expect(window.isVisible()).toBe(false);
    r.fake.app.launchSecondInstance();
    expect([window.isVisible(), window.isFocused(), r.fake.windows.length]).toEqual([true, true, 1]);
  });

  it('restores a minimised window', async () => {
    const r = await started({ platform: 'win32' });
    const window = r.window();
    window.minimize();
    r.fake.app.launchSecondInstance();
    expect([window.isMinimized(), window.isVisible(), window.isFocused()]).toEqual([false, true, true]);
  });

  it('re-creates a closed window and never touches the destroyed one (macOS)', async () => {
    const r = await started({ platform: 'darwin' });
    const first = r.window();
    expect(await first.userClose()).toBe('closed');
    expect(first.isDestroyed()).toBe(true);
    expect(r.fake.app.hasEnded).toBe(false);
    // Any call on the destroyed window would throw out of this emit.
    r.fake.app.launchSecondInstance();
    const second = r.window();
    expect(second).not.toBe(first);
    await vi.waitFor(() => expect(second.isVisible()).toBe(true));
    expect(second.loadedUrls).toEqual(['app://nova/index.html']);
    // Events reach the new page only: the old one is gone.
    await r.invoke('preferences:set', { closeToTray: false });
    await vi.waitFor(() => expect(second.webContents.sent.some((m) => m.channel === 'preferences:changed')).toBe(true));
  });
});

describe('macOS', () => {
  it('stays in the dock when the window closes, and the dock icon brings a new window', async () => {
    const r = await started({ platform: 'darwin' });
    expect(r.fake.trays).toHaveLength(0);
    await r.window().userClose();
    expect(r.fake.liveWindow()).toBeNull();
    expect(r.fake.app.state).toBe('running');
    r.fake.app.activate();
    await vi.waitFor(() => expect(r.window().isVisible()).toBe(true));
    expect(r.fake.windows).toHaveLength(2);
  });

  it('"Stay" after closing the window brings a window back even though none was left', async () => {
    const r = await started({ platform: 'darwin' });
    await withUnsentMessages(r, 1);
    await r.window().userClose();
    expect(r.fake.liveWindow()).toBeNull();
    r.fake.app.quit();
    const box = await r.fake.dialog.nextBox();
    // No window to attach to: the question stands alone.
    expect(box.parent).toBeNull();
    box.answer('Stay');
    await vi.waitFor(() => expect(r.window().isVisible()).toBe(true));
    expect(r.fake.app.state).toBe('running');
  });
});

describe('closing the last window (Windows and Linux)', () => {
  it('hides to the tray by default, and quits when that preference is off', async () => {
    const r = await started({ platform: 'win32' });
    expect(r.fake.trays).toHaveLength(1);
    expect(r.fake.app.appUserModelId).toBe('dev.nova.desktop');
    expect(await r.window().userClose()).toBe('prevented');
    expect(r.fake.app.state).toBe('running');
    r.fake.trays[0]?.click();
    expect(r.window().isVisible()).toBe(true);

    await r.invoke('preferences:set', { closeToTray: false });
    expect(await r.window().userClose()).toBe('prevented');
    expect(await r.whenQuit()).toEqual({ how: 'quit', code: 0 });
    expect(r.fake.dialog.boxes).toHaveLength(0);
  });

  it('asks when messages wait; "Quit anyway" quits and keeps them', async () => {
    const r = await started({ platform: 'linux' });
    await withUnsentMessages(r, 2);
    await r.invoke('preferences:set', { closeToTray: false });
    expect(await r.window().userClose()).toBe('prevented');
    const box = await r.fake.dialog.nextBox();
    expect(box.options.message).toBe('2 messages are not sent yet');
    expect(box.options.buttons).toEqual(['Send first', 'Quit anyway', 'Stay']);
    expect(box.parent).toBe(r.window());
    box.answer('Quit anyway');
    expect(await r.whenQuit()).toEqual({ how: 'quit', code: 0 });
    await r.cleanup({ keepData: true, keepServer: true });

    // The next start sends them.
    r.server.control.halfOpen('off');
    rig = await startShellRig({ platform: 'linux', server: r.server, dataDir: r.dataDir });
    await vi.waitFor(
      () => expect(r.server.control.listMessages(conversations(r).direct).filter((m) => m.plaintext?.startsWith('unsent'))).toHaveLength(2),
      { timeout: 15_000 },
    );
    await r.server.close();
  });

  it('"Stay" keeps the window open and visible', async () => {
    const r = await started({ platform: 'linux' });
    await withUnsentMessages(r, 1);
    await r.invoke('preferences:set', { closeToTray: false });
    const window = r.window();
    window.loseFocus();
    await window.userClose();
    (await r.fake.dialog.nextBox()).answer('Stay');
    await vi.waitFor(() => expect([window.isVisible(), window.isFocused()]).toEqual([true, true]));
    expect(r.fake.app.state).toBe('running');
  });

  it('"Send first" waits for the outbox, then quits by itself', async () => {
    const r = await started({ platform: 'linux' });
    await r.signIn();
    r.server.control.delayAcks(1_500);
    await r.invoke('messages:send', { conversationId: conversations(r).team, text: 'send me first' });
    r.fake.app.quit();
    (await r.fake.dialog.nextBox()).answer('Send first');
    const sending = await r.fake.dialog.nextBox();
    expect(sending.options.message).toBe('Sending 1 message…');
    expect(sending.options.detail).toContain('30 seconds at most');
    expect(await r.whenQuit()).toEqual({ how: 'quit', code: 0 });
    expect(sending.wasAborted).toBe(true);
    expect(r.server.control.listMessages(conversations(r).team).map((m) => m.plaintext)).toContain('send me first');
  });

  it('"Send first" while nothing can be sent: the notice says so and "Quit now" quits', async () => {
    const r = await started({ platform: 'linux' });
    await withUnsentMessages(r, 3);
    r.fake.app.quit();
    (await r.fake.dialog.nextBox()).answer('Send first');
    const sending = await r.fake.dialog.nextBox();
    expect(sending.options.message).toBe('Sending 3 messages…');
    expect(r.fake.app.state).toBe('running');
    sending.answer('Quit now');
    expect(await r.whenQuit()).toEqual({ how: 'quit', code: 0 });
  });

  it('quits without asking when nothing waits', async () => {
    const r = await started({ platform: 'linux' });
    await r.signIn();
    r.fake.trays[0]?.menu?.click('Quit Nova');
    expect(await r.whenQuit()).toEqual({ how: 'quit', code: 0 });
    expect(r.fake.dialog.boxes).toHaveLength(0);
  });
});

describe('the end of the OS session', () => {
  it('Linux/macOS shutdown quits at once with messages waiting, and closes an open question', async () => {
    const r = await started({ platform: 'linux' });
    await withUnsentMessages(r, 2);
    r.fake.app.quit();
    const question = await r.fake.dialog.nextBox();
    r.fake.powerMonitor.shutdown();
    expect(await r.whenQuit()).toEqual({ how: 'quit', code: 0 });
    expect(question.wasAborted).toBe(true);
    expect(r.fake.dialog.boxes).toHaveLength(1);
  });

  it('Windows logoff (session-end) quits without a dialog', async () => {
    const r = await started({ platform: 'win32' });
    await withUnsentMessages(r, 1);
    r.window().endSession();
    expect(await r.whenQuit()).toEqual({ how: 'quit', code: 0 });
    expect(r.fake.dialog.boxes).toHaveLength(0);
  });
});

describe('the theme', () => {
  it('the native theme follows each change of the theme choice, so the frame and menus match the page', async () => {
    const r = await started({ platform: 'win32' });
    expect(r.fake.nativeTheme.themeSource).toBe('system');
    await r.invoke('preferences:set', { theme: 'dark' });
    expect(r.fake.nativeTheme.themeSource).toBe('dark');
    await r.invoke('preferences:set', { theme: 'light' });
    expect(r.fake.nativeTheme.themeSource).toBe('light');
    await r.invoke('preferences:set', { theme: 'system' });
    expect(r.fake.nativeTheme.themeSource).toBe('system');
  });
});
