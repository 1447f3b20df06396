/** The shell's pure rules, one table or case list each. */
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ConnectionSnapshot } from '../../../src/shared/contract';
import { APP_ENTRY_URL, createAppProtocolHandler, resolveAppPath } from '../../../src/main/shell/app-protocol';
import { QUIT_BUTTONS, quitQuestion, sendingNotice } from '../../../src/main/shell/dialogs';
import { decideWindowClose, hasTray, quitsWhenAllWindowsClosed, shellPlatform } from '../../../src/main/shell/lifecycle';
import { menuTemplate } from '../../../src/main/shell/menu';
import { checkServerUrl, isLoopbackHost } from '../../../src/main/shell/server-url';
import { linkStateOf, statusView } from '../../../src/main/shell/status';
import { ONLINE_POLL_MS, wireSystemEvents } from '../../../src/main/shell/system-events';
import { trayMenuTemplate } from '../../../src/main/shell/tray';
import { LINK_COLOURS, drawBadgeOverlay, drawTrayIcon } from '../../../src/main/shell/tray-icon';
import {
  CONTENT_SECURITY_POLICY,
  DEV_SERVER_CONTENT_SECURITY_POLICY,
  buildWindowOptions,
  createUrlTrust,
  handleNavigation,
  handleWindowOpen,
} from '../../../src/main/shell/window';
import { makeTempDir } from '../../support/core';

function snapshot(state: ConnectionSnapshot['state'], isOsOffline = false): ConnectionSnapshot {
  return { state, reason: '', since: 0, attempt: 0, nextAttemptAt: null, lastRttMs: null, isOsOffline, pendingCount: 0 };
}

describe('lifecycle rules', () => {
  it('closes, hides or quits per platform and preference', () => {
    const cases = [
      { platform: 'darwin', closeToTray: true, isQuitting: false, expected: 'close' },
      { platform: 'darwin', closeToTray: false, isQuitting: false, expected: 'close' },
      { platform: 'win32', closeToTray: true, isQuitting: false, expected: 'hide' },
      { platform: 'linux', closeToTray: true, isQuitting: false, expected: 'hide' },
      { platform: 'win32', closeToTray: false, isQuitting: false, expected: 'quit' },
      { platform: 'linux', closeToTray: false, isQuitting: false, expected: 'quit' },
      { platform: 'linux', closeToTray: true, isQuitting: true, expected: 'close' },
      { platform: 'win32', closeToTray: false, isQuitting: true, expected: 'close' },
    ] as const;
    for (const { expected, ...input } of cases) expect([input, decideWindowClose(input)]).toEqual([input, expected]);
    expect(['darwin', 'win32', 'linux', 'freebsd'].map(shellPlatform)).toEqual(['darwin', 'win32', 'linux', 'linux']);
    expect([hasTray('darwin'), hasTray('win32'), hasTray('linux')]).toEqual([false, true, true]);
    expect([quitsWhenAllWindowsClosed('darwin'), quitsWhenAllWindowsClosed('linux')]).toEqual([false, true]);
  });

  it('words the quit question with the three answers, Escape meaning Stay', () => {
    const question = quitQuestion(3, 30_000);
    expect(question.message).toBe('3 messages are not sent yet');
    expect(question.detail).toContain('at most 30 seconds');
    expect(question.buttons).toEqual(['Send first', 'Quit anyway', 'Stay']);
    expect(QUIT_BUTTONS[question.cancelId ?? -1]?.choice).toBe('stay');
    expect(quitQuestion(1, 30_000).message).toBe('1 message is not sent yet');
    expect(sendingNotice(2, 30_000)).toMatchObject({ message: 'Sending 2 messages…', buttons: ['Quit now', "Don't quit"] });
  });
});

describe('server URL policy', () => {
  it('refuses plain http to another computer in a packaged app, naming the setting', () => {
    const refused = checkServerUrl('http://chat.example.org:8787', { isPackaged: true });
    expect(refused.ok).toBe(false);
    expect(!refused.ok && refused.message).toMatch(/^NOVA_SERVER_URL .*http:\/\/chat\.example\.org:8787.*https:\/\//);
    for (const url of ['http://127.0.0.1:8787', 'http://localhost:1', 'http://[::1]:9', 'http://127.8.9.10', 'https://chat.example.org']) {
      expect([url, checkServerUrl(url, { isPackaged: true }).ok]).toEqual([url, true]);
    }
    expect(checkServerUrl('http://chat.example.org', { isPackaged: false }).ok).toBe(true);
  });

  it('explains every other bad value', () => {
    const messages = ['ws://127.0.0.1:1', 'wss://chat.example.org', 'ftp://x', 'not a url', 'https://ann:pw@chat.example.org'].map((url) => {
      const result = checkServerUrl(url, { isPackaged: false });
      return result.ok ? 'accepted' : result.message;
    });
    expect(messages[0]).toMatch(/give the server's https:\/\/ address/);
    expect(messages[1]).toMatch(/give the server's https:\/\/ address/);
    expect(messages[2]).toMatch(/must be an https:\/\/ address/);
    expect(messages[3]).toMatch(/not a valid URL/);
    expect(messages[4]).toMatch(/must not carry a user name or password/);
    expect(messages.every((message) => message.startsWith('NOVA_SERVER_URL'))).toBe(true);
    expect(['127.0.0.1.example.org', '128.0.0.1', 'localhost.example.org', '::2'].map(isLoopbackHost)).toEqual([false, false, false, false]);
  });
});

describe('the app: protocol', () => {
  const root = makeTempDir('nova-app-protocol-');
  fs.mkdirSync(path.join(root, 'assets'));
  fs.writeFileSync(path.join(root, 'index.html'), '<!doctype html><p>hi</p>');
  fs.writeFileSync(path.join(root, 'assets', 'index-1.js'), 'export {};');
  fs.writeFileSync(path.join(path.dirname(root), 'outside-secret.txt'), 'no');
  const handler = createAppProtocolHandler({ root, contentSecurityPolicy: CONTENT_SECURITY_POLICY });

  it('serves the renderer files with the policy and their types', async () => {
    const page = await handler(new Request(APP_ENTRY_URL));
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY);
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await page.text()).toContain('<p>hi</p>');
    const script = await handler(new Request('app://nova/assets/index-1.js'));
    expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect((await handler(new Request('app://nova/'))).status).toBe(200);
  });

  it('serves nothing outside the folder, from another host, or for other methods', async () => {
    const statuses = await Promise.all(
      [
        'app://nova/../outside-secret.txt',
        'app://nova/%2e%2e/outside-secret.txt',
        'app://nova/..%2Foutside-secret.txt',
        'app://other/index.html',
        'app://nova/missing.js',
        'app://nova/assets',
      ].map(async (url) => (await handler(new Request(url))).status),
    );
    // The URL parser already folds ../ and %2e%2e/ away (so they name a missing file inside);
    // an encoded slash survives parsing and is refused.
    expect(statuses).toEqual([404, 404, 403, 403, 404, 404]);
    expect((await handler(new Request(APP_ENTRY_URL, { method: 'POST', body: 'x' }))).status).toBe(405);
    expect(resolveAppPath('app://nova/%00.js', root)).toEqual({ ok: false, status: 404 });
  });
});

describe('window policy', () => {
  it('turns DevTools off in packaged builds only', () => {
    expect(buildWindowOptions('/p.js', { isPackaged: true }).webPreferences.devTools).toBe(false);
    expect(buildWindowOptions('/p.js', { isPackaged: false }).webPreferences.devTools).toBe(true);
  });

  it('trusts only app://nova pages, or the dev server it was given', () => {
    const isTrusted = createUrlTrust(APP_ENTRY_URL);
    expect(['app://nova/index.html', 'app://nova/other'].map(isTrusted)).toEqual([true, true]);
    expect(['app://evil/index.html', 'file:///app/index.html', 'https://nova/index.html', 'nonsense'].map(isTrusted)).toEqual([false, false, false, false]);
    const dev = createUrlTrust('http://localhost:5173/');
    expect([dev('http://localhost:5173/x'), dev('http://localhost:5174/')]).toEqual([true, false]);
  });

  it('blocks every navigation and window.open', () => {
    for (const url of ['https://example.org/', 'javascript:alert(1)', 'file:///etc/passwd', 'app://nova/index.html']) {
      expect(handleNavigation(url)).toEqual({ block: true });
      expect(handleWindowOpen(url)).toEqual({ action: 'deny' });
    }
  });

  it('allows nothing but the app itself in the page policy', () => {
    const directives = new Map(CONTENT_SECURITY_POLICY.split('; ').map((d) => [d.split(' ')[0], d.split(' ').slice(1).join(' ')]));
    expect(directives.get('default-src')).toBe("'none'");
    expect(directives.get('script-src')).toBe("'self'");
    expect(directives.get('connect-src')).toBe("'none'");
    expect(CONTENT_SECURITY_POLICY).not.toMatch(/unsafe-|data:|https?:|\*/);
    expect(DEV_SERVER_CONTENT_SECURITY_POLICY).toContain("connect-src 'self'");
  });
});

describe('status, tray and menus', () => {
  it('reduces the connection to connected, reconnecting, offline or signed out', () => {
    expect((['CONNECTED', 'CONNECTING', 'RECONNECTING', 'DISCONNECTED', 'ERROR', 'CLOSED'] as const).map((s) => linkStateOf(snapshot(s)))).toEqual([
      'connected', 'reconnecting', 'reconnecting', 'offline', 'offline', 'signed-out',
    ]);
    expect(statusView(snapshot('DISCONNECTED', true), 12)).toMatchObject({
      label: 'Offline: no network',
      badgeText: '9+',
      tooltip: 'Nova: 12 unread messages, offline: no network',
      canRetry: true,
    });
    expect(statusView(snapshot('CONNECTED'), 0)).toMatchObject({ badgeText: '', canRetry: false, tooltip: 'Nova: no unread messages, connected' });
    expect(statusView(null, 1).label).toBe('Signed out');
  });

  it('offers Open (with the count), the state, Retry now (only when it helps) and Quit', () => {
    const calls: string[] = [];
    const actions = { onOpen: () => calls.push('open'), onRetry: () => calls.push('retry'), onQuit: () => calls.push('quit') };
    const offline = trayMenuTemplate(statusView(snapshot('RECONNECTING'), 3), actions);
    expect(offline.map((item) => [item.label ?? item.type, item.enabled ?? true])).toEqual([
      ['Open Nova (3 unread)', true],
      ['Reconnecting…', false],
      ['Retry now', true],
      ['separator', true],
      ['Quit Nova', true],
    ]);
    for (const item of offline) (item.click as (() => void) | undefined)?.();
    expect(calls).toEqual(['open', 'retry', 'quit']);
    expect(trayMenuTemplate(statusView(snapshot('CONNECTED'), 0), actions)[2]?.enabled).toBe(false);
  });

  it('gives every menu item a role or a command, with Settings where each platform keeps it', () => {
    for (const platform of ['darwin', 'linux', 'win32'] as const) {
      const sent: string[] = [];
      const walk = (items: ReturnType<typeof menuTemplate>): void => {
        for (const item of items) {
          if (item.submenu) walk(item.submenu as ReturnType<typeof menuTemplate>);
          else if (item.type !== 'separator') {
            expect(item.role !== undefined || item.click !== undefined).toBe(true);
            (item.click as (() => void) | undefined)?.();
          }
        }
      };
      walk(menuTemplate(platform, (command) => sent.push(command)));
      expect(sent.sort()).toEqual(['collect-diagnostics', 'open-help', 'open-outbox', 'open-settings']);
    }
    const mac = menuTemplate('darwin', () => undefined);
    expect(mac[0]?.label).toBe('Nova');
  });

  it('draws a tray icon per state and a badge only when something is unread', () => {
    const pixel = (bitmap: Buffer, size: number, x: number, y: number): number[] => [...bitmap.subarray((y * size + x) * 4, (y * size + x) * 4 + 4)];
    const connected = drawTrayIcon('connected', '');
    expect(connected).toMatchObject({ width: 32, height: 32, scaleFactor: 2 });
    expect(connected.bitmap).toHaveLength(32 * 32 * 4);
    // Centre of the state disc's ring area carries the state colour (BGRA).
    const [r, g, b] = LINK_COLOURS.connected;
    expect(pixel(connected.bitmap, 32, 16, 5)).toEqual([b, g, r, 255]);
    expect(pixel(connected.bitmap, 32, 0, 0)[3]).toBe(0);
    const states = (['connected', 'reconnecting', 'offline'] as const).map((state) => drawTrayIcon(state, '').bitmap.toString('base64'));
    expect(new Set(states).size).toBe(3);
    const badged = drawTrayIcon('connected', '3');
    expect(pixel(badged.bitmap, 32, 31 - 3, 3)).not.toEqual(pixel(connected.bitmap, 32, 31 - 3, 3));
    expect(drawTrayIcon('connected', '4').bitmap.equals(badged.bitmap)).toBe(false);
    expect(drawBadgeOverlay('9+').bitmap).toHaveLength(32 * 32 * 4);
  });
});

describe('system events', () => {
  afterEach(() => vi.useRealTimers());

  it('forwards power events, polls the network only for changes, and unwires cleanly', () => {
    vi.useFakeTimers();
    const powerMonitor = new EventEmitter();
    const state = { online: false, events: [] as string[], locked: [] as boolean[], shutdowns: 0 };
    const dispose = wireSystemEvents({
      powerMonitor,
      isOnline: () => state.online,
      notify: (event) => state.events.push(event),
      onLockChange: (locked) => state.locked.push(locked),
      onShutdown: () => (state.shutdowns += 1),
      setInterval: (callback, ms) => setInterval(callback, ms),
      clearInterval: (handle) => clearInterval(handle as ReturnType<typeof setInterval>),
    });
    expect(state.events).toEqual(['offline']);
    vi.advanceTimersByTime(ONLINE_POLL_MS * 3);
    expect(state.events).toEqual(['offline']);
    state.online = true;
    vi.advanceTimersByTime(ONLINE_POLL_MS);
    expect(state.events).toEqual(['offline', 'online']);
    powerMonitor.emit('suspend');
    powerMonitor.emit('resume');
    powerMonitor.emit('lock-screen');
    powerMonitor.emit('unlock-screen');
    powerMonitor.emit('shutdown');
    expect(state.events).toEqual(['offline', 'online', 'suspend', 'resume', 'online']);
    expect(state.locked).toEqual([true, false]);
    expect(state.shutdowns).toBe(1);
    dispose();
    expect(powerMonitor.eventNames()).toEqual([]);
    state.online = false;
    vi.advanceTimersByTime(ONLINE_POLL_MS * 2);
    expect(state.events).toHaveLength(5);
  });
});
