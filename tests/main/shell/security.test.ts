/**
 * The locked-down page and the secrets, checked on what the real shell builds and registers
 * (src/main/index.ts against the fake Electron), not on a copy of the settings.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { INVOKE_CHANNELS } from '../../../src/shared/contract';
import { CONTENT_SECURITY_POLICY, DEV_SERVER_CONTENT_SECURITY_POLICY } from '../../../src/main/shell/window';
import { ACCESS_JWT } from '../../support/secrets';
import { makeTempDir } from '../../support/core';
import { startShellRig, type ShellRig } from '../../support/shell-rig';

vi.mock('electron', () => import('../../support/fake-electron/module'));

let rig: ShellRig | null = null;
afterEach(async () => {
  await rig?.cleanup();
  rig = null;
});

async function started(options: Parameters<typeof startShellRig>[0] = {}): Promise<ShellRig> {
  rig = await startShellRig(options);
  return rig;
}

describe('the window and its page', () => {
  it('builds the window with every web security setting on, DevTools off when packaged', async () => {
    const r = await started({ isPackaged: true, switches: { 'remote-debugging-port': '9222', 'remote-allow-origins': '*' } });
    const window = r.window();
    expect(r.fake.app.sandboxEnabled).toBe(true);
    expect(window.options.webPreferences).toMatchObject({
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      disableBlinkFeatures: 'Auxclick',
      devTools: false,
    });
    expect(String(window.options.webPreferences?.['preload'])).toMatch(/preload[\\/]index\.js$/);
    expect(window.loadedUrls).toEqual(['app://nova/index.html']);
    window.webContents.openDevTools();
    expect(window.webContents.isDevToolsOpened()).toBe(false);
    // Remote debugging switches are dropped before Chromium reads them.
    expect(r.fake.app.commandLine.hasSwitch('remote-debugging-port')).toBe(false);
    expect(r.fake.app.commandLine.hasSwitch('remote-allow-origins')).toBe(false);
  });

  it('keeps DevTools and switches for development runs', async () => {
    const r = await started({ isPackaged: false, switches: { 'remote-debugging-port': '9222' } });
    expect(r.window().options.webPreferences?.['devTools']).toBe(true);
    expect(r.fake.app.commandLine.hasSwitch('remote-debugging-port')).toBe(true);
  });

  it('blocks every navigation and window.open, and hands nothing to the OS', async () => {
    const r = await started();
    const contents = r.window().webContents;
    for (const url of ['https://example.org/page', 'file:///etc/passwd', 'javascript:alert(1)', 'app://nova/index.html']) {
      expect(contents.navigate(url)).toEqual({ prevented: true });
      expect(contents.windowOpen(url)).toEqual({ action: 'deny' });
    }
    expect(r.fake.shell.openedExternally).toEqual([]);
  });

  it('denies permission requests and checks', async () => {
    const r = await started();
    for (const permission of ['media', 'geolocation', 'notifications', 'clipboard-read', 'openExternal']) {
      expect(await r.fake.session.defaultSession.requestPermission(permission)).toBe(false);
      expect(r.fake.session.defaultSession.checkPermission(permission)).toBe(false);
    }
  });

  it('serves the page from the privileged app: scheme with the strict policy', async () => {
    const r = await started();
    expect(r.fake.protocol.privileged.get('app')).toMatchObject({ standard: true, secure: true, bypassCSP: false, allowServiceWorkers: false });
    const page = await r.fake.protocol.fetch('app://nova/index.html');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY);
    expect(await page.text()).toContain('<div id="root">');
    expect((await r.fake.protocol.fetch('app://nova/../main/index.ts')).status).toBe(404);
    expect((await r.fake.protocol.fetch('app://elsewhere/index.html')).status).toBe(403);
    // Headers the session adds: the strict policy for app:, the dev server's for anything else.
    expect(r.fake.session.defaultSession.responseHeaders('app://nova/index.html')['Content-Security-Policy']).toEqual([CONTENT_SECURITY_POLICY]);
    expect(r.fake.session.defaultSession.responseHeaders('http://localhost:5173/')['Content-Security-Policy']).toEqual([DEV_SERVER_CONTENT_SECURITY_POLICY]);
    const html = fs.readFileSync(path.join(__dirname, '../../../src/renderer/index.html'), 'utf8');
    expect(html).toContain("script-src 'self'");
    expect(html).not.toMatch(/unsafe-(inline|eval)/);
  });

  it('registers every contract channel, and answers only the app page', async () => {
    const r = await started();
    expect([...r.fake.ipcMain.listeners.keys()].sort()).toEqual([...INVOKE_CHANNELS].sort());
    const refused = await r.fake.ipcMain.invoke('auth:status', {}, { url: 'file:///app/out/renderer/index.html', parent: null });
    expect(refused).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    expect((await r.invoke('auth:status', {})).signedIn).toBe(false);
  });
});

describe('secrets', () => {
  it('refuses the plain-text key store on Linux: tokens in memory only, the user told once, an old file removed', async () => {
    const dataDir = makeTempDir('nova-shell-basic-');
    fs.writeFileSync(path.join(dataDir, 'secrets.json'), JSON.stringify({ refresh_token: Buffer.from(ACCESS_JWT).toString('base64') }));
    const r = await started({ platform: 'linux', storageBackend: 'basic_text', dataDir });
    expect(fs.existsSync(path.join(dataDir, 'secrets.json'))).toBe(false);
    await r.signIn();
    await r.invoke('auth:logout', {});
    await r.signIn();
    expect(fs.existsSync(path.join(dataDir, 'secrets.json'))).toBe(false);
    expect(r.fake.safeStorage.encryptedValues).toEqual([]);
    const told = r.fake.dialog.boxes.filter((box) => box.options.message === 'Nova cannot store your sign-in safely on this computer');
    expect(told).toHaveLength(1);
    expect(told[0]?.options.detail).toMatch(/sign in again after Nova restarts/);
  });

  it('keeps tokens encrypted on disk with a real key store', async () => {
    const r = await started({ platform: 'linux', storageBackend: 'gnome_libsecret' });
    await r.signIn();
    const file = path.join(r.dataDir, 'secrets.json');
    expect(fs.existsSync(file)).toBe(true);
    expect(r.fake.safeStorage.encryptedValues.length).toBeGreaterThan(0);
    for (const secret of r.fake.safeStorage.encryptedValues) expect(fs.readFileSync(file, 'utf8')).not.toContain(secret);
    expect(r.fake.dialog.boxes).toHaveLength(0);
  });
});

describe('transport', () => {
  it('a packaged app refuses an http:// server on another computer, naming the setting', async () => {
    const r = await started({ isPackaged: true, serverUrl: 'http://chat.example.org:8787', expectStartFailure: true });
    expect(await r.whenQuit()).toEqual({ how: 'exit', code: 1 });
    expect(r.fake.dialog.errorBoxes).toEqual([
      { title: 'Nova cannot start', content: expect.stringMatching(/^NOVA_SERVER_URL .*http:\/\/chat\.example\.org:8787.*https:\/\//) },
    ]);
    expect(r.fake.windows).toHaveLength(0);
    expect(r.fake.trays).toHaveLength(0);
  });

  it('a development run may use it', async () => {
    const r = await started({ isPackaged: false, serverUrl: 'http://chat.example.invalid:8787' });
    expect(r.fake.dialog.errorBoxes).toEqual([]);
    expect(r.window().loadedUrls).toEqual(['app://nova/index.html']);
  });
});
