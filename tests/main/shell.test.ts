/**
 * The Electron shell with `electron` mocked: asserts the security settings on what the shell
 * actually builds and registers, not on a copy of them.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { INVOKE_CHANNELS } from '../../src/shared/contract';

const h = vi.hoisted(() => {
  const state = {
    windowOptions: null as null | Record<string, unknown>,
    webContentsHandlers: new Map<string, (...args: unknown[]) => void>(),
    windowOpenHandler: null as null | ((details: { url: string }) => unknown),
    permissionRequest: null as null | ((wc: unknown, permission: string, cb: (ok: boolean) => void) => void),
    permissionCheck: null as null | ((wc: unknown, permission: string) => boolean),
    headersHook: null as null | ((details: { responseHeaders: Record<string, string[]> }, cb: (r: unknown) => void) => void),
    ipcChannels: [] as string[],
    opened: [] as string[],
    loadedUrl: '',
    sandboxEnabled: false,
    ready: null as null | Promise<void>,
    userData: '',
  };
  return state;
});

vi.mock('electron', () => {
  class BrowserWindow {
    webContents = {
      on: (event: string, handler: (...args: unknown[]) => void) => h.webContentsHandlers.set(event, handler),
      setWindowOpenHandler: (handler: (details: { url: string }) => unknown) => {
        h.windowOpenHandler = handler;
      },
      send: () => undefined,
    };
    constructor(options: Record<string, unknown>) {
      h.windowOptions = options;
    }
    once(): void {}
    on(): void {}
    isDestroyed(): boolean {
      return false;
    }
    loadURL(url: string): Promise<void> {
      h.loadedUrl = url;
      return Promise.resolve();
    }
  }
  let resolveReady!: () => void;
  h.ready = new Promise<void>((r) => (resolveReady = r));
  return {
    BrowserWindow,
    app: {
      requestSingleInstanceLock: () => true,
      enableSandbox: () => {
        h.sandboxEnabled = true;
      },
      on: () => undefined,
      whenReady: () => Promise.resolve().then(() => setImmediate(resolveReady)),
      getPath: () => h.userData,
      getAppPath: () => h.userData,
      getName: () => 'Nova',
      getVersion: () => '0.0.0-test',
      isPackaged: true,
      quit: () => undefined,
      exit: () => undefined,
    },
    ipcMain: {
      handle: (channel: string) => h.ipcChannels.push(channel),
      removeHandler: () => undefined,
    },
    session: {
      defaultSession: {
        setPermissionRequestHandler: (fn: typeof h.permissionRequest) => (h.permissionRequest = fn),
        setPermissionCheckHandler: (fn: typeof h.permissionCheck) => (h.permissionCheck = fn),
        webRequest: { onHeadersReceived: (fn: typeof h.headersHook) => (h.headersHook = fn) },
      },
    },
    powerMonitor: { on: () => undefined },
    net: { isOnline: () => true },
    safeStorage: {
      isEncryptionAvailable: () => false,
      encryptString: (s: string) => Buffer.from(s),
      decryptString: (b: Buffer) => b.toString(),
    },
    Menu: { buildFromTemplate: () => ({}), setApplicationMenu: () => undefined },
    dialog: { showErrorBox: () => undefined, showMessageBoxSync: () => 0 },
    shell: { openExternal: (url: string) => h.opened.push(url) },
  };
});

describe('Electron shell (electron mocked)', () => {
  beforeAll(async () => {
    h.userData = fs.mkdtempSync(path.join(os.tmpdir(), 'nova-shell-'));
    await import('../../src/main/index');
    await h.ready;
    await vi.waitFor(() => expect(h.windowOptions).not.toBeNull());
  });
  afterAll(() => fs.rmSync(h.userData, { recursive: true, force: true }));

  it('builds the window with every web security setting on', () => {
    expect(h.sandboxEnabled).toBe(true);
    expect(h.windowOptions?.['webPreferences']).toMatchObject({
      contextIsolation: true,
      disableBlinkFeatures: 'Auxclick',
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
    });
    expect(String((h.windowOptions?.['webPreferences'] as { preload: string }).preload)).toMatch(/preload[\\/]index\.js$/);
    expect(h.loadedUrl).toMatch(/^file:.*renderer\/index\.html$/);
  });

  it('blocks every navigation and sends safe links to the system browser', () => {
    const willNavigate = h.webContentsHandlers.get('will-navigate');
    expect(willNavigate).toBeDefined();
    const event = { preventDefault: vi.fn() };
    willNavigate?.(event, 'https://example.org/page');
    expect(event.preventDefault).toHaveBeenCalled();
    const fileEvent = { preventDefault: vi.fn() };
    willNavigate?.(fileEvent, 'file:///etc/passwd');
    expect(fileEvent.preventDefault).toHaveBeenCalled();
    expect(h.opened).toEqual(['https://example.org/page']);
  });

  it('denies every window.open, opening only http(s) links externally', () => {
    expect(h.windowOpenHandler?.({ url: 'https://example.org/' })).toEqual({ action: 'deny' });
    expect(h.windowOpenHandler?.({ url: 'javascript:alert(1)' })).toEqual({ action: 'deny' });
    expect(h.windowOpenHandler?.({ url: 'file:///etc/passwd' })).toEqual({ action: 'deny' });
    expect(h.opened).toEqual(['https://example.org/page', 'https://example.org/']);
  });

  it('denies permission requests and checks by default', () => {
    for (const permission of ['media', 'geolocation', 'notifications', 'clipboard-read', 'openExternal']) {
      const callback = vi.fn();
      h.permissionRequest?.(null, permission, callback);
      expect(callback).toHaveBeenCalledWith(false);
      expect(h.permissionCheck?.(null, permission)).toBe(false);
    }
  });

  it('sends a strict CSP with no inline or eval script', () => {
    let headers: Record<string, string[]> = {};
    h.headersHook?.({ responseHeaders: {} }, (r) => {
      headers = (r as { responseHeaders: Record<string, string[]> }).responseHeaders;
    });
    const csp = headers['Content-Security-Policy']?.[0] ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("default-src 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).not.toContain('unsafe-eval');
    const html = fs.readFileSync(path.join(__dirname, '../../src/renderer/index.html'), 'utf8');
    expect(html).toContain("script-src 'self'");
    expect(html).not.toMatch(/unsafe-(inline|eval)/);
  });

  it('registers every contract channel with ipcMain through registerIpc', () => {
    expect([...h.ipcChannels].sort()).toEqual([...INVOKE_CHANNELS].sort());
  });
});
