/**
 * OS notifications, the unread badge and the tray, through the real shell, a real core and the
 * reference server (Bob writes with the server's own `sendAs`, as a second client would).
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { BOB } from '../../support/real-core';
import { startShellRig, type ShellRig } from '../../support/shell-rig';

vi.mock('electron', () => import('../../support/fake-electron/module'));

let rig: ShellRig | null = null;
afterEach(async () => {
  await rig?.cleanup();
  rig = null;
});

type Signed = ShellRig & { direct: string; team: string };

async function signedIn(options: Parameters<typeof startShellRig>[0] = {}): Promise<Signed> {
  const r = await startShellRig(options);
  rig = r;
  const seed = r.server.seed;
  if (!seed) throw new Error('the server has no seed');
  await vi.waitFor(() => expect(r.window().isVisible()).toBe(true));
  await r.signIn();
  // The seeded history arrives through the first sync: unread, but not news.
  await vi.waitFor(async () => expect((await r.invoke('conversations:list', {})).map((c) => c.unreadCount).sort()).toEqual([1, 2]));
  return Object.assign(r, seed.conversations);
}

const shown = (r: ShellRig) => r.fake.notifications.filter((n) => n.isShown);

describe('OS notifications', () => {
  it('a burst of 200 while the window is not focused: one merged notification per conversation', async () => {
    const r = await signedIn({ platform: 'linux' });
    r.window().loseFocus();
    for (let i = 0; i < 200; i += 1) r.server.control.sendAs(BOB, i % 2 === 0 ? r.direct : r.team, `burst ${i}`);
    await vi.waitFor(
      () => expect(shown(r).map((n) => [n.title, n.body]).sort()).toEqual([
        ['Bob Chen', '100 new messages: burst 198'],
        ['Team', '100 new messages: burst 199'],
      ]),
      { timeout: 10_000 },
    );
    expect(r.fake.notifications).toHaveLength(2);
    expect(r.fake.notifications.map((n) => n.groupId).sort()).toEqual([r.direct, r.team].sort());
    // The history that came with the sign-in raised nothing.
    expect(r.fake.notifications.every((n) => n.body.startsWith('100'))).toBe(true);
  });

  it('nothing for the conversation the focused window shows; the others still notify', async () => {
    const r = await signedIn({ platform: 'linux' });
    await r.invoke('conversations:view', { conversationId: r.direct });
    expect(r.window().isFocused()).toBe(true);
    r.server.control.sendAs(BOB, r.direct, 'you are reading this');
    r.server.control.sendAs(BOB, r.team, 'but not this');
    await vi.waitFor(() => expect(shown(r).map((n) => n.body)).toEqual(['but not this']));
    // The same conversation notifies again once the window loses the focus.
    r.window().loseFocus();
    r.server.control.sendAs(BOB, r.direct, 'now you are away');
    await vi.waitFor(() => expect(shown(r).map((n) => n.body)).toEqual(['but not this', 'now you are away']));
  });

  it('a click opens that conversation, re-creating the window if it was closed', async () => {
    const r = await signedIn({ platform: 'darwin' });
    await r.window().userClose();
    expect(r.fake.liveWindow()).toBeNull();
    r.server.control.sendAs(BOB, r.team, 'look at this');
    await vi.waitFor(() => expect(shown(r)).toHaveLength(1));
    shown(r)[0]?.click();
    const window = r.window();
    await vi.waitFor(() => expect(window.webContents.commands()).toEqual([{ command: 'open-conversation', conversationId: r.team }]));
    expect([window.isVisible(), window.isFocused()]).toEqual([true, true]);
    // The page reports what it shows: the notification for it goes away.
    await r.invoke('conversations:view', { conversationId: r.team });
    expect(shown(r)[0]?.isClosed).toBe(true);
  });

  it('follows the preferences: previews hidden, do not disturb, muted conversations', async () => {
    const r = await signedIn({ platform: 'linux' });
    r.window().loseFocus();
    await r.invoke('preferences:set', { notifications: { showPreviews: false } });
    r.server.control.sendAs(BOB, r.direct, 'private words');
    await vi.waitFor(() => expect(shown(r).map((n) => [n.title, n.body])).toEqual([['Bob Chen', '1 new message']]));

    await r.invoke('preferences:set', { notifications: { showPreviews: true, doNotDisturb: true, mutedConversationIds: [r.team] } });
    r.server.control.sendAs(BOB, r.direct, 'during do not disturb');
    r.server.control.sendAs(BOB, r.team, 'muted one');
    // The badge still counts what arrived, except the muted conversation.
    await vi.waitFor(() => expect(r.fake.app.badgeCount).toBe(3));
    await r.invoke('preferences:set', { notifications: { doNotDisturb: false } });
    r.server.control.sendAs(BOB, r.team, 'still muted');
    r.server.control.sendAs(BOB, r.direct, 'after do not disturb');
    // It replaces the first one (same conversation, after the merge window): the message sent
    // during do-not-disturb is not counted, the muted conversation not shown.
    await vi.waitFor(() => expect(shown(r).map((n) => n.body)).toEqual(['1 new message', '2 new messages: after do not disturb']), { timeout: 10_000 });
    expect(shown(r).map((n) => n.isClosed)).toEqual([true, false]);
    expect(JSON.stringify(r.fake.notifications.map((n) => n.body))).not.toMatch(/muted|private/);
  });
});

describe('unread badge and tray', () => {
  it('the badge and the tray follow incoming messages and reads', async () => {
    const r = await signedIn({ platform: 'linux' });
    const tray = r.fake.trays[0];
    await vi.waitFor(() => expect(r.fake.app.badgeCount).toBe(3));
    expect(tray?.toolTip).toBe('Nova: 3 unread messages, connected');
    for (let i = 0; i < 5; i += 1) r.server.control.sendAs(BOB, r.team, `more ${i}`);
    await vi.waitFor(() => expect(r.fake.app.badgeCount).toBe(8));
    expect(tray?.menu?.find('open')?.label).toBe('Open Nova (8 unread)');
    await r.invoke('messages:markRead', { conversationId: r.team });
    await vi.waitFor(() => expect(r.fake.app.badgeCount).toBe(1));
    await r.invoke('messages:markRead', { conversationId: r.direct });
    await vi.waitFor(() => expect(r.fake.app.badgeCount).toBe(0));
    expect(tray?.toolTip).toBe('Nova: no unread messages, connected');
    await r.invoke('auth:logout', {});
    await vi.waitFor(() => expect(tray?.menu?.find('state')?.label).toBe('Signed out'));
  });

  it('Windows: a taskbar overlay instead of a badge count', async () => {
    const r = await signedIn({ platform: 'win32' });
    await vi.waitFor(() => expect(r.window().overlay?.description).toBe('3 unread'));
    expect(r.fake.app.badgeHistory).toEqual([]);
    await r.invoke('messages:markRead', { conversationId: r.team });
    await r.invoke('messages:markRead', { conversationId: r.direct });
    await vi.waitFor(() => expect(r.window().overlay).toBeNull());
  });

  it('the tray shows the connection state and "Retry now" works while reconnecting', async () => {
    const r = await signedIn({ platform: 'linux' });
    const tray = r.fake.trays[0];
    expect(tray?.menu?.find('state')?.label).toBe('Connected');
    expect(tray?.menu?.find('retry')?.enabled).toBe(false);
    r.server.control.unavailable(60_000);
    r.server.control.dropAllSockets();
    await vi.waitFor(() => expect(tray?.menu?.find('state')?.label).toBe('Reconnecting…'));
    expect(tray?.toolTip).toMatch(/reconnecting…$/);
    r.server.control.unavailable(0);
    tray?.menu?.click('retry');
    await vi.waitFor(() => expect(tray?.menu?.find('state')?.label).toBe('Connected'), { timeout: 10_000 });
    tray?.menu?.click('open');
    expect(r.window().isFocused()).toBe(true);
  });
});
