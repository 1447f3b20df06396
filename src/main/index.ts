/**
 * The Electron entry point and the only file that imports Electron: the single-instance lock,
 * the switches and the page scheme that must be set before `ready`, the window with its security
 * settings, and the app's lifecycle events (second launch, dock, quit). Everything else is in
 * src/main/shell/ (runtime.ts composes it), where Electron's objects are passed in.
 */
import path from 'node:path';
import {
  BrowserWindow,
  Menu,
  Notification,
  Tray,
  app,
  dialog,
  ipcMain,
  nativeImage,
  nativeTheme,
  net,
  powerMonitor,
  protocol,
  safeStorage,
  session,
  shell,
} from 'electron';
import { AppImageUpdater, DebUpdater, MacUpdater, NsisUpdater, PacmanUpdater, RpmUpdater, type AppUpdater } from 'electron-updater';
import { bundleFileName, collectFromStateFile, parseCollectLogsArgument } from './core/diagnostics';
import { APP_ENTRY_URL, APP_SCHEME, APP_SCHEME_PRIVILEGES } from './shell/app-protocol';
import { quitsWhenAllWindowsClosed, shellPlatform } from './shell/lifecycle';
import { resolveSqliteBinding } from './shell/native-binding';
import type { UpdaterKind } from './shell/update-policy';
import { startRuntime, type Runtime } from './shell/runtime';
import { DEBUGGING_SWITCHES, buildWindowOptions, handleNavigation, handleWindowOpen } from './shell/window';

/** The electron-builder appId: Windows ties notifications and the taskbar entry to it. */
const APP_USER_MODEL_ID = 'dev.nova.desktop';

function appInfo(): { name: string; version: string; electron: string; chrome: string } {
  return { name: app.getName(), version: app.getVersion(), electron: process.versions.electron, chrome: process.versions.chrome };
}

/** electron-updater's updater for each kind of install (which one applies is decided in shell/update-policy.ts). */
const UPDATERS: Readonly<Record<UpdaterKind, new () => AppUpdater>> = {
  nsis: NsisUpdater,
  mac: MacUpdater,
  appimage: AppImageUpdater,
  deb: DebUpdater,
  rpm: RpmUpdater,
  pacman: PacmanUpdater,
};

function sqliteBinding(): string | undefined {
  return resolveSqliteBinding({ isPackaged: app.isPackaged, appPath: app.getAppPath(), electronVersion: process.versions.electron });
}

/** The page: our `app:` scheme, or in development (`npm run dev`) electron-vite's dev server. */
function rendererEntry(): string {
  const devUrl = process.env['ELECTRON_RENDERER_URL'];
  return !app.isPackaged && devUrl ? devUrl : APP_ENTRY_URL;
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

function createBrowserWindow(): BrowserWindow {
  const options = buildWindowOptions(path.join(__dirname, '../preload/index.js'), { isPackaged: app.isPackaged });
  // The switches are restated as literals because the static scan (npm run security:scan) cannot
  // see through buildWindowOptions; they are the same values, typed as literals in shell/window.ts.
  const window = new BrowserWindow({
    ...options,
    webPreferences: { ...options.webPreferences, contextIsolation: true, sandbox: true, nodeIntegration: false, disableBlinkFeatures: 'Auxclick' },
  });
  window.webContents.on('will-navigate', (event, url) => {
    if (handleNavigation(url).block) event.preventDefault();
  });
  window.webContents.on('will-redirect', (event, url) => {
    if (handleNavigation(url).block) event.preventDefault();
  });
  window.webContents.on('will-attach-webview', (event) => event.preventDefault());
  window.webContents.setWindowOpenHandler(({ url }) => handleWindowOpen(url));
  if (app.isPackaged) window.webContents.on('devtools-opened', () => window.webContents.closeDevTools());
  void window.loadURL(rendererEntry());
  return window;
}

function main(): void {
  const platform = shellPlatform(process.platform);
  const collectLogs = parseCollectLogsArgument(process.argv);
  if (collectLogs) {
    collectLogsAndExit(collectLogs.outPath);
    return;
  }
  if (!app.requestSingleInstanceLock()) {
    app.quit();
    return;
  }
  if (app.isPackaged) for (const name of DEBUGGING_SWITCHES) app.commandLine.removeSwitch(name);
  protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: APP_SCHEME_PRIVILEGES }]);
  app.enableSandbox();
  if (platform === 'win32') app.setAppUserModelId(APP_USER_MODEL_ID);

  let runtime: Runtime | null = null;
  let phase: 'starting' | 'running' | 'stopping' | 'stopped' = 'starting';
  let isSystemEnding = false;
  const isQuitting = (): boolean => phase === 'stopping' || phase === 'stopped' || runtime?.guard.state === 'confirmed';
  const onSystemEnding = (): void => {
    isSystemEnding = true;
    runtime?.guard.systemEnding();
  };

  // A second launch, and (macOS) a click on the dock icon, bring the window back, re-created if it was closed.
  app.on('second-instance', () => runtime?.window.show());
  app.on('activate', () => runtime?.window.show());

  app
    .whenReady()
    .then(async () => {
      runtime = await startRuntime({
        electron: { app, dialog, ipcMain, nativeImage, nativeTheme, net, powerMonitor, protocol, safeStorage, session, shell, Menu, Notification, Tray },
        platform,
        createWindow: createBrowserWindow,
        rendererUrl: rendererEntry(),
        rendererRoot: path.join(__dirname, '../renderer'),
        appInfo: appInfo(),
        sqliteBinding: sqliteBinding(),
        resourcesPath: app.isPackaged ? process.resourcesPath : undefined,
        createUpdater: (kind) => new UPDATERS[kind](),
        isQuitting,
        onSystemEnding,
      });
      phase = 'running';
    })
    .catch((error: unknown) => {
      dialog.showErrorBox('Nova cannot start', error instanceof Error ? error.message : String(error));
      app.exit(1);
    });

  app.on('before-quit', (event) => {
    const current = runtime;
    if (current === null || phase === 'stopped') return;
    if (phase === 'stopping') {
      event.preventDefault();
      return;
    }
    if (isSystemEnding) {
      // The OS is ending the session: nothing may hold it up. The outbox is durable; the core
      // stops as far as it gets before the process ends.
      current.guard.systemEnding();
      phase = 'stopped';
      void current.stop();
      return;
    }
    event.preventDefault();
    if (!current.guard.mayQuit()) return;
    phase = 'stopping';
    void current
      .stop()
      .catch((error: unknown) => current.core.log.error('shell: stop failed', error))
      .finally(() => {
        phase = 'stopped';
        // app.quit(), or after "Restart to update" the installer, which quits by itself.
        current.quit();
      });
  });

  app.on('window-all-closed', () => {
    if (quitsWhenAllWindowsClosed(platform)) app.quit();
  });
}

main();
