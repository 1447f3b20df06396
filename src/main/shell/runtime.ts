/**
 * The running app, composed from the core and the shell's rules. Electron's modules are passed
 * in by src/main/index.ts (the only file that imports them), so this runs unchanged against the
 * fake Electron the scenario tests use.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { BrowserWindow } from 'electron';
import type { AppUpdater } from 'electron-updater';
import { EVENT_CHANNELS, type AppCommand, type ConnectionSnapshot } from '../../shared/contract';
import { createCore, type AppInfo, type Core } from '../core';
import { systemClock } from '../core/clock';
import { instrumentHandlers } from '../core/metrics';
import { ORGANIZATION_CONFIG_ENV, loadOrganizationConfig, resolveOrganizationConfigPath } from '../core/organization';
import { registerIpc } from '../ipc';
import { APP_SCHEME, createAppProtocolHandler } from './app-protocol';
import { createDesktopPort } from './desktop-port';
import { askQuit, inform, showSending, type DialogPorts } from './dialogs';
import { decideWindowClose, hasTray, type ShellPlatform } from './lifecycle';
import { MainWindow } from './main-window';
import { menuTemplate } from './menu';
import { createIncomingNotifier } from './notifier';
import { createOsNotifications } from './os-notifications';
import { QuitGuard, SEND_FIRST_WAIT_MS } from './quit-guard';
import { MEMORY_ONLY_NOTICE, SafeStorageSecretStore } from './secret-store';
import { DEFAULT_SERVER_URL, SERVER_URL_SETTING, checkServerUrl } from './server-url';
import { statusView } from './status';
import { wireSystemEvents } from './system-events';
import { drawBadgeOverlay } from './tray-icon';
import { StatusTray } from './tray';
import { createUnreadTracker } from './unread';
import { resolveUpdateSetup, type UpdaterKind } from './update-policy';
import { UpdateController, corePorts } from './updater';
import { CONTENT_SECURITY_POLICY, DEV_SERVER_CONTENT_SECURITY_POLICY, createUrlTrust, decidePermission } from './window';

type ElectronExports = typeof Electron.CrossProcessExports;

/** The Electron modules the running app uses. */
export type ElectronModules = Pick<
  ElectronExports,
  'app' | 'dialog' | 'ipcMain' | 'nativeImage' | 'nativeTheme' | 'net' | 'powerMonitor' | 'protocol' | 'safeStorage' | 'session' | 'shell' | 'Menu' | 'Notification' | 'Tray'
>;

export type RuntimeDeps = Readonly<{
  electron: ElectronModules;
  platform: ShellPlatform;
  /** Builds the main window with its security settings and loads the page (src/main/index.ts). */
  createWindow(): BrowserWindow;
  /** The page's URL (app://nova/index.html, or the dev server's) and the built renderer folder. */
  rendererUrl: string;
  rendererRoot: string;
  appInfo: AppInfo;
  sqliteBinding: string | undefined;
  /** Where the packaged app's resources are (app-update.yml, package-type); Electron's process.resourcesPath. */
  resourcesPath: string | undefined;
  /** electron-updater's updater for this kind of install (src/main/index.ts imports electron-updater). */
  createUpdater(kind: UpdaterKind): AppUpdater;
  /** The app is on its way out: windows may close for good. */
  isQuitting(): boolean;
  /** The OS is ending the session (shutdown, logout). */
  onSystemEnding(): void;
}>;

/** Everything that exists once the app is ready and the core runs. */
export type Runtime = Readonly<{
  core: Core;
  window: MainWindow;
  guard: QuitGuard;
  updates: UpdateController;
  /** Ordered: IPC, OS hooks, tray, updates, then the core (which closes the database last). */
  stop(): Promise<void>;
  /** After `stop()`: quits, handing over to the installer first when the user restarts for an update. */
  quit(): void;
}>;

/** What the installer recorded about this copy (deb, rpm, pacman), if anything. */
function readPackageType(resourcesPath: string | undefined): string | null {
  if (resourcesPath === undefined) return null;
  try {
    return fs.readFileSync(path.join(resourcesPath, 'package-type'), 'utf8');
  } catch {
    return null;
  }
}

/**
 * Builds the running app once Electron is ready: the page protocol and session policy, the
 * secret store and the core, IPC, the main window, the quit guard, the tray and badge, OS
 * notifications and the OS's power and network events.
 */
export async function startRuntime(deps: RuntimeDeps): Promise<Runtime> {
  const { electron, platform, isQuitting, onSystemEnding } = deps;
  const { app, dialog, ipcMain, nativeImage, nativeTheme, net, powerMonitor, protocol, safeStorage, session, shell, Menu, Notification, Tray } = electron;
  const server = checkServerUrl(process.env[SERVER_URL_SETTING] ?? DEFAULT_SERVER_URL, { isPackaged: app.isPackaged });
  if (!server.ok) throw new Error(server.message);

  protocol.handle(APP_SCHEME, createAppProtocolHandler({ root: deps.rendererRoot, contentSecurityPolicy: CONTENT_SECURITY_POLICY }));
  session.defaultSession.setPermissionRequestHandler((_wc, permission, callback) => callback(decidePermission(permission)));
  session.defaultSession.setPermissionCheckHandler((_wc, permission) => decidePermission(permission));
  session.defaultSession.webRequest.onHeadersReceived((details, callback) => {
    const policy = details.url.startsWith(`${APP_SCHEME}:`) ? CONTENT_SECURITY_POLICY : DEV_SERVER_CONTENT_SECURITY_POLICY;
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [policy] } });
  });

  let window: MainWindow | null = null;
  const dialogs: DialogPorts = { dialog, visibleWindow: () => window?.visibleWindow() ?? null };
  const dataDir = app.getPath('userData');
  const secretStore = new SafeStorageSecretStore(safeStorage, path.join(dataDir, 'secrets.json'), {
    platform: process.platform,
    onMemoryOnly: () => void inform(dialogs, MEMORY_ONLY_NOTICE),
  });
  const binding = deps.sqliteBinding;
  const core = createCore({
    dataDir,
    serverUrl: server.url,
    isDemoServer: process.env['NOVA_DEMO_SERVER'] === '1',
    secretStore,
    logToConsole: !app.isPackaged,
    ...(binding ? { sqliteNativeBinding: binding } : {}),
    appInfo: deps.appInfo,
    desktop: createDesktopPort({
      dialog,
      shell,
      downloadsFolder: () => app.getPath('downloads'),
      visibleWindow: () => window?.visibleWindow() ?? null,
    }),
  });
  const log = core.log.scope('shell');
  const secrets = await secretStore.whenDecided();
  log.info(secrets.persist ? `secrets: kept with the OS key store (${secrets.backend})` : `secrets: in memory only (${secrets.reason}, ${secrets.backend})`);

  const unread = createUnreadTracker();
  let snapshot: ConnectionSnapshot | null = null;
  let isScreenLocked = false;
  /** Catch-up messages older than the sign-in on this device are history (see the notifier). */
  let historyBefore = Number.NEGATIVE_INFINITY;
  const muted = (): readonly string[] => core.preferences.get().notifications.mutedConversationIds;

  const mainWindow = new MainWindow({
    create: () => {
      const created = deps.createWindow();
      if (platform === 'win32') {
        // Windows reports the end of the session per window, and never emits before-quit for it.
        created.on('query-session-end', () => onSystemEnding());
        created.on('session-end', () => {
          onSystemEnding();
          app.quit();
        });
      }
      return created;
    },
    onClose: (event) => {
      const decision = decideWindowClose({ platform, closeToTray: core.preferences.get().closeToTray && tray !== null, isQuitting: isQuitting() });
      if (decision === 'close') return;
      event.preventDefault();
      if (decision === 'hide') mainWindow.current()?.hide();
      else app.quit();
    },
    onAttentionChange: () => attentionChanged(),
    log,
  });
  window = mainWindow;
  const openAnd = (command: AppCommand): void => {
    mainWindow.show();
    mainWindow.command(command);
  };

  const guard = new QuitGuard({
    pendingCount: () => core.getPendingCount(),
    onOutboxChange: (listener) => core.events.on('outbox:changed', listener),
    ask: (pending, signal) => askQuit(dialogs, pending, SEND_FIRST_WAIT_MS, signal),
    showSending: (pending, waitMs, signal) => showSending(dialogs, pending, waitMs, signal),
    showWindow: () => mainWindow.show(),
    quit: () => app.quit(),
    clock: systemClock,
    log,
  });

  // The organisation file as the core read it (the core reports a bad one); the updater is the shell's part of it.
  const organization = loadOrganizationConfig(resolveOrganizationConfigPath(undefined, process.env[ORGANIZATION_CONFIG_ENV], dataDir));
  const updateSetup = resolveUpdateSetup({
    config: organization.config.updates,
    isPackaged: app.isPackaged,
    platform: process.platform,
    packageType: readPackageType(deps.resourcesPath),
    env: process.env,
  });
  const updates = new UpdateController({
    setup: updateSetup,
    currentVersion: app.getVersion(),
    createUpdater: () => deps.createUpdater(updateSetup.kind ?? 'appimage'),
    ...corePorts(core),
    // The same way out as any quit: the guard lets it through (the prompt already said what
    // waits), then the core stops in order, then `quit()` below hands over to the installer.
    restart: () => {
      guard.proceed('restarting for an update');
      app.quit();
    },
    emit: (status) => mainWindow.send('update:status', status),
    clock: systemClock,
    random: Math.random,
    log,
  });
  core.diagnostics.registerSource('updates', () => Promise.resolve(updates.status()));

  const disposeIpc = registerIpc(
    ipcMain,
    { ...core.handlers, ...instrumentHandlers(updates.handlers, core.metrics) },
    createUrlTrust(deps.rendererUrl),
    core.log.scope('ipc'),
  );

  const tray = hasTray(platform)
    ? new StatusTray(
        {
          Tray,
          Menu,
          nativeImage,
          onOpen: () => mainWindow.show(),
          onRetry: () => void core.handlers['connection:retryNow']({}).catch((error: unknown) => log.warn('tray: retry failed', error)),
          onQuit: () => app.quit(),
        },
        statusView(null, 0),
      )
    : null;

  const refreshStatus = (): void => {
    const view = statusView(snapshot, unread.total(muted()));
    tray?.update(view);
    if (platform === 'win32') {
      const overlay = view.badgeText === '' ? null : drawBadgeOverlay(view.badgeText);
      mainWindow
        .current()
        ?.setOverlayIcon(overlay ? nativeImage.createFromBitmap(overlay.bitmap, overlay) : null, view.unread === 0 ? '' : `${view.unread} unread`);
    } else {
      // macOS dock; Linux launchers that read it (Unity, KDE, GNOME's dash-to-dock).
      app.setBadgeCount(view.unread);
    }
  };

  const notifier = createIncomingNotifier({
    clock: systemClock,
    preferences: () => core.preferences.get().notifications,
    isAttending: (conversationId) => mainWindow.isAttended() && core.view.current() === conversationId,
    conversationTitle: (conversationId) => unread.title(conversationId),
    historyBefore: () => historyBefore,
    isScreenLocked: () => isScreenLocked,
    show: createOsNotifications(
      Notification,
      // A conversation's notification opens it; a summary over several just brings the window.
      (content) => (content.conversationId ? openAnd({ command: 'open-conversation', conversationId: content.conversationId }) : mainWindow.show()),
      log,
    ),
    log,
  });

  function attentionChanged(): void {
    const viewed = core.view.current();
    if (viewed !== null && mainWindow.isAttended()) notifier.attended(viewed);
  }

  async function reloadConversations(): Promise<void> {
    unread.replaceAll(await core.handlers['conversations:list']({}));
    refreshStatus();
  }

  const unsubscribers = [
    ...EVENT_CHANNELS.map((channel) => core.events.on(channel, (payload) => mainWindow.send(channel, payload))),
    core.events.on('connection:changed', (next) => {
      snapshot = next;
      refreshStatus();
    }),
    core.events.on('conversations:changed', ({ conversations }) => {
      unread.upsert(conversations);
      refreshStatus();
    }),
    core.events.on('auth:changed', (auth) => {
      if (auth.signedIn) {
        historyBefore = Date.now();
        void reloadConversations().catch((error: unknown) => log.warn('shell: conversations not loaded', error));
      } else {
        unread.clear();
        refreshStatus();
      }
    }),
    core.events.on('preferences:changed', (preferences) => {
      // The window frame, menus and the page's prefers-color-scheme follow the chosen theme too.
      nativeTheme.themeSource = preferences.theme;
      refreshStatus();
    }),
    core.incoming.on((notice) => notifier.incoming(notice)),
    core.view.on(() => attentionChanged()),
  ];
  nativeTheme.themeSource = core.preferences.get().theme;

  await core.start();
  snapshot = (await core.handlers['connection:get']({})).snapshot;
  await reloadConversations();
  const disposeSystemEvents = wireSystemEvents({
    powerMonitor,
    isOnline: () => net.isOnline(),
    notify: (event) => core.notifySystem(event),
    onLockChange: (locked) => {
      isScreenLocked = locked;
    },
    onShutdown: () => {
      onSystemEnding();
      app.quit();
    },
    setInterval: (callback, ms) => setInterval(callback, ms),
    clearInterval: (handle) => clearInterval(handle as ReturnType<typeof setInterval>),
  });

  updates.start();

  mainWindow.show();
  Menu.setApplicationMenu(Menu.buildFromTemplate(menuTemplate(platform, (command) => openAnd({ command }))));
  log.info(`shell: started (${platform}${app.isPackaged ? ', packaged' : ''}, tray ${tray ? 'on' : 'off'})`);

  return {
    core,
    window: mainWindow,
    guard,
    updates,
    stop: async () => {
      disposeIpc();
      disposeSystemEvents();
      notifier.dispose();
      unsubscribers.forEach((off) => off());
      tray?.destroy();
      updates.dispose();
      await core.stop();
    },
    quit: () => updates.installAndQuit(() => app.quit()),
  };
}

