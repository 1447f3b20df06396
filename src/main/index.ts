/**
 * The Electron shell: lifecycle, window, menu and OS integration. It holds no business rules;
 * everything a user does goes through the core's handlers, wired here to ipcMain.
 */
import path from 'node:path';
import {
  BrowserWindow,
  Menu,
  app,
  dialog,
  ipcMain,
  net,
  powerMonitor,
  safeStorage,
  session,
  shell,
  type MenuItemConstructorOptions,
} from 'electron';
import { EVENT_CHANNELS } from '../shared/contract';
import { createCore, type Core } from './core';
import { bundleFileName, collectFromStateFile, parseCollectLogsArgument, type DesktopPort } from './core/diagnostics';
import { registerIpc } from './ipc';
import { resolveSqliteBinding } from './native-binding';
import { SafeStorageSecretStore } from './secret-store';
import {
  CONTENT_SECURITY_POLICY,
  buildWindowOptions,
  createUrlTrust,
  decidePermission,
  handleNavigation,
  handleWindowOpen,
} from './window';

const DEFAULT_SERVER_URL = 'http://127.0.0.1:8787';
const ONLINE_POLL_MS = 5_000;

function rendererUrl(): string {
  const devUrl = process.env['ELECTRON_RENDERER_URL'];
  if (!app.isPackaged && devUrl) return devUrl;
  return new URL(`file://${path.join(__dirname, '../renderer/index.html')}`).toString();
}

function openExternal(url: string): void {
  void shell.openExternal(url);
}

function createWindow(core: Core, isTrustedUrl: (url: string) => boolean): BrowserWindow {
  const options = buildWindowOptions(path.join(__dirname, '../preload/index.js'));
  // The switches are restated as literals because the static scan (npm run security:scan) cannot
  // see through buildWindowOptions; they are the same values, typed as literals in window.ts.
  const window = new BrowserWindow({
    ...options,
    webPreferences: { ...options.webPreferences, contextIsolation: true, sandbox: true, nodeIntegration: false, disableBlinkFeatures: 'Auxclick' },
  });
  window.once('ready-to-show', () => window.show());
  window.webContents.on('will-navigate', (event, url) => {
    if (handleNavigation(url, openExternal).block) event.preventDefault();
  });
  window.webContents.on('will-attach-webview', (event) => event.preventDefault());
  window.webContents.setWindowOpenHandler(({ url }) => handleWindowOpen(url, openExternal));

  const unsubscribers = EVENT_CHANNELS.map((channel) =>
    core.events.on(channel, (payload) => {
      if (!window.isDestroyed()) window.webContents.send(channel, payload);
    }),
  );
  window.on('closed', () => unsubscribers.forEach((off) => off()));
  void window.loadURL(rendererUrl());
  core.log.scope('shell').info(`window: loading ${isTrustedUrl(rendererUrl()) ? 'trusted' : 'UNTRUSTED'} page`);
  return window;
}

function appInfo(): { name: string; version: string; electron: string; chrome: string } {
  return { name: app.getName(), version: app.getVersion(), electron: process.versions.electron, chrome: process.versions.chrome };
}

function sqliteBinding(): string | undefined {
  return resolveSqliteBinding({
    isPackaged: app.isPackaged,
    appPath: app.getAppPath(),
    electronVersion: process.versions.electron,
  });
}

/** The OS side of diagnostics: the save dialog, the file manager. */
function createDesktopPort(getWindow: () => BrowserWindow | null): DesktopPort {
  return {
    async chooseSavePath(defaultName) {
      const options = {
        defaultPath: path.join(app.getPath('downloads'), defaultName),
        filters: [{ name: 'Zip archive', extensions: ['zip'] }],
      };
      const window = getWindow();
      const result = window ? await dialog.showSaveDialog(window, options) : await dialog.showSaveDialog(options);
      return result.canceled || !result.filePath ? null : result.filePath;
    },
    revealFile: (file) => shell.showItemInFolder(file),
    async openFolder(folder) {
      const error = await shell.openPath(folder);
      if (error) throw new Error(error);
    },
  };
}

/**
 * `--collect-logs[=path]`: support scripts get a bundle without a window. It skips the
 * single-instance lock on purpose, so it works while Nova is running (or hangs); the live
 * parts come from the state file the core saves every minute and when it stops.
 */
function collectLogsAndExit(outPath: string | null): void {
  app
    .whenReady()
    .then(async () => {
      const target = path.resolve(outPath ?? bundleFileName(new Date()));
      const binding = sqliteBinding();
      await collectFromStateFile({
        dataDir: app.getPath('userData'),
        outPath: target,
        appInfo: appInfo(),
        ...(binding ? { sqliteNativeBinding: binding } : {}),
      });
      process.stdout.write(`${target}\n`);
      app.exit(0);
    })
    .catch((error: unknown) => {
      process.stderr.write(`Nova could not collect diagnostics: ${error instanceof Error ? error.message : String(error)}\n`);
      app.exit(1);
    });
}

function buildMenu(send: (command: 'open-help' | 'collect-diagnostics' | 'open-outbox') => void): Menu {
  const template: MenuItemConstructorOptions[] = [
    ...(process.platform === 'darwin' ? [{ role: 'appMenu' as const }] : []),
    { role: 'fileMenu' },
    { role: 'editMenu' },
    { label: 'View', submenu: [{ label: 'Outbox', accelerator: 'CmdOrCtrl+Shift+O', click: () => send('open-outbox') }, { type: 'separator' }, { role: 'resetZoom' }, { role: 'zoomIn' }, { role: 'zoomOut' }, { type: 'separator' }, { role: 'togglefullscreen' }] },
    {
      role: 'help',
      submenu: [
        { label: 'Help and support', click: () => send('open-help') },
        { label: 'Collect diagnostics…', click: () => send('collect-diagnostics') },
      ],
    },
  ];
  return Menu.buildFromTemplate(template);
}

function main(): void {
  const collectLogs = parseCollectLogsArgument(process.argv);
  if (collectLogs) {
    collectLogsAndExit(collectLogs.outPath);
    return;
  }
  if (!app.requestSingleInstanceLock()) {
    app.quit();
    return;
  }
  app.enableSandbox();

  let core: Core | null = null;
  let window: BrowserWindow | null = null;
  let disposeIpc: (() => void) | null = null;
  let isQuitConfirmed = false;

  app.on('second-instance', () => {
    if (window) {
      if (window.isMinimized()) window.restore();
      window.focus();
    }
  });

  app.whenReady().then(async () => {
    const dataDir = app.getPath('userData');
    const serverUrl = process.env['NOVA_SERVER_URL'] ?? DEFAULT_SERVER_URL;
    const binding = sqliteBinding();
    core = createCore({
      dataDir,
      serverUrl,
      isDemoServer: process.env['NOVA_DEMO_SERVER'] === '1',
      secretStore: new SafeStorageSecretStore(safeStorage, path.join(dataDir, 'secrets.json')),
      logToConsole: !app.isPackaged,
      ...(binding ? { sqliteNativeBinding: binding } : {}),
      appInfo: appInfo(),
      desktop: createDesktopPort(() => window),
    });
    const activeCore = core;

    session.defaultSession.setPermissionRequestHandler((_wc, permission, callback) => callback(decidePermission(permission)));
    session.defaultSession.setPermissionCheckHandler((_wc, permission) => decidePermission(permission));
    session.defaultSession.webRequest.onHeadersReceived((details, callback) => {
      callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] } });
    });

    const isTrustedUrl = createUrlTrust(rendererUrl());
    disposeIpc = registerIpc(ipcMain, activeCore.handlers, isTrustedUrl, activeCore.log.scope('ipc'));
    await activeCore.start();

    powerMonitor.on('suspend', () => activeCore.notifySystem('suspend'));
    powerMonitor.on('resume', () => activeCore.notifySystem('resume'));
    // Electron has no online/offline event in main; polling net.isOnline is cheap.
    let wasOnline = net.isOnline();
    if (!wasOnline) activeCore.notifySystem('offline');
    setInterval(() => {
      const isOnline = net.isOnline();
      if (isOnline !== wasOnline) activeCore.notifySystem(isOnline ? 'online' : 'offline');
      wasOnline = isOnline;
    }, ONLINE_POLL_MS).unref();

    window = createWindow(activeCore, isTrustedUrl);
    Menu.setApplicationMenu(
      buildMenu((command) => window?.webContents.send('app:command', { command })),
    );
  }).catch((error: unknown) => {
    dialog.showErrorBox('Nova could not start', error instanceof Error ? error.message : String(error));
    app.exit(1);
  });

  app.on('before-quit', (event) => {
    if (isQuitConfirmed || !core) return;
    const pending = core.getPendingCount();
    if (pending > 0) {
      const choice = dialog.showMessageBoxSync({
        type: 'question',
        buttons: ['Quit', 'Stay'],
        defaultId: 1,
        cancelId: 1,
        message: `${pending} ${pending === 1 ? 'message is' : 'messages are'} waiting`,
        detail: 'They are saved on this computer, and Nova sends them next time it opens.',
      });
      if (choice !== 0) {
        event.preventDefault();
        return;
      }
    }
    isQuitConfirmed = true;
    event.preventDefault();
    disposeIpc?.();
    void core.stop().finally(() => app.quit());
  });

  app.on('window-all-closed', () => app.quit());
}

main();
