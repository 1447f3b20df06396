/**
 * A faithful stand-in for the `electron` module, for running the real shell (src/main/index.ts,
 * or the built out/main/index.js) where no Electron binary exists. It is not a mock of our code:
 * it implements the parts of Electron's API the shell uses with Electron's documented behaviour
 * (event order, destroyed-object errors, preventable events, platform differences), records what
 * the shell did, and lets a test play the user and the OS. README.md lists what it follows.
 *
 *   const fake = installFakeElectron({ platform: 'linux', isPackaged: true, userData });
 *   vi.mock('electron', () => import('../support/fake-electron/module'));   // vitest
 *   withFakeElectronRequire(() => require('out/main/index.js'));            // a CommonJS bundle
 *   fake.app.emitReady();   // as Electron does once the main script has run
 *
 * Only one fake is installed at a time (per process); `module.ts` forwards to it.
 */
import Module, { createRequire } from 'node:module';
import { FakeApp, type FakeAppOptions } from './app';
import { FakeIpcMain } from '../ipc';
import {
  FakeAutoUpdater,
  FakeDialog,
  FakeMenu,
  FakeNet,
  FakeNotification,
  FakePowerMonitor,
  FakeSafeStorage,
  FakeShell,
  FakeTray,
  type StorageBackend,
  fakeNativeImage,
  type FakeNativeImage,
  type MenuItemTemplate,
  type NotificationOptions,
} from './os';
import { FakeProtocol, FakeSession } from './web';
import { FakeBrowserWindow, type FakeWindowOptions, type WindowHost } from './windows';

export type { FakeApp, FakeAutoUpdater, FakeBrowserWindow, FakeMenu, FakeNotification, FakeProtocol, FakeSession, FakeTray, StorageBackend };
export type { FakeClientRequest } from './net';
export type { QuitOutcome } from './app';
export type { OpenMessageBox } from './os';
export type { FakeWebContents } from './windows';

export type FakeElectronOptions = Readonly<{
  platform?: 'linux' | 'darwin' | 'win32';
  isPackaged?: boolean;
  userData: string;
  appPath?: string;
  /** `app.getVersion()` (default 0.0.0-fake). */
  version?: string;
  /** `process.resourcesPath` while installed, as Electron sets it (the folder holding app.asar and app-update.yml). */
  resourcesPath?: string;
  /** Linux: the key store safeStorage found (default gnome_libsecret). */
  storageBackend?: StorageBackend;
  encryptionAvailable?: boolean;
  notificationsSupported?: boolean;
  /** Pages finish loading on their own (default), or when the test calls `window.finishLoad()`. */
  autoLoad?: boolean;
  hasSingleInstanceLock?: boolean;
  switches?: FakeAppOptions['switches'];
}>;

/** The module surface: what `import { app, BrowserWindow, … } from 'electron'` gets. */
export type FakeElectronModules = {
  app: FakeApp;
  BrowserWindow: {
    new (options?: FakeWindowOptions): FakeBrowserWindow;
    getAllWindows(): FakeBrowserWindow[];
    getFocusedWindow(): FakeBrowserWindow | null;
  };
  Notification: { new (options?: NotificationOptions): FakeNotification; isSupported(): boolean };
  Tray: new (image: FakeNativeImage) => FakeTray;
  Menu: {
    buildFromTemplate(template: readonly MenuItemTemplate[]): FakeMenu;
    setApplicationMenu(menu: FakeMenu | null): void;
    getApplicationMenu(): FakeMenu | null;
  };
  nativeImage: typeof fakeNativeImage;
  /** Electron's nativeTheme as far as the shell uses it: the theme it asks for. */
  nativeTheme: { themeSource: 'system' | 'light' | 'dark' };
  dialog: FakeDialog;
  powerMonitor: FakePowerMonitor;
  net: FakeNet;
  protocol: FakeProtocol;
  session: { defaultSession: FakeSession; fromPartition(partition: string, options?: { cache?: boolean }): FakeSession };
  autoUpdater: FakeAutoUpdater;
  safeStorage: FakeSafeStorage;
  ipcMain: FakeIpcMain;
  shell: FakeShell;
};

export type FakeElectron = FakeElectronModules & {
  platform: 'linux' | 'darwin' | 'win32';
  modules: FakeElectronModules;
  /** Every window created, destroyed ones included, in order. */
  windows: FakeBrowserWindow[];
  /** Every notification constructed, in order. */
  notifications: FakeNotification[];
  trays: FakeTray[];
  applicationMenu(): FakeMenu | null;
  /** The one live window, if any. */
  liveWindow(): FakeBrowserWindow | null;
  /** Pages stay loading until `window.finishLoad()` while held. */
  holdLoads(hold: boolean): void;
};

export function createFakeElectron(options: FakeElectronOptions): FakeElectron {
  const platform = options.platform ?? 'linux';
  const windows: FakeBrowserWindow[] = [];
  const notifications: FakeNotification[] = [];
  const trays: FakeTray[] = [];
  let applicationMenu: FakeMenu | null = null;
  let autoLoad = options.autoLoad ?? true;

  const host: WindowHost = {
    windows,
    windowClosed: () => app.windowClosed(),
    focused: (window) => {
      for (const other of windows) if (other !== window && !other.isDestroyed()) other.otherWindowFocused();
    },
    loadsAutomatically: () => autoLoad,
  };
  const app = new FakeApp(host, {
    platform,
    isPackaged: options.isPackaged ?? false,
    userData: options.userData,
    ...(options.appPath ? { appPath: options.appPath } : {}),
    ...(options.version ? { version: options.version } : {}),
    ...(options.hasSingleInstanceLock !== undefined ? { hasSingleInstanceLock: options.hasSingleInstanceLock } : {}),
    ...(options.switches ? { switches: options.switches } : {}),
  });

  class BrowserWindow extends FakeBrowserWindow {
    constructor(windowOptions: FakeWindowOptions = {}) {
      if (!app.isReady()) throw new Error('Cannot create BrowserWindow before app is ready');
      super(host, windowOptions);
    }

    static getAllWindows(): FakeBrowserWindow[] {
      return windows.filter((window) => !window.isDestroyed());
    }

    static getFocusedWindow(): FakeBrowserWindow | null {
      return windows.find((window) => !window.isDestroyed() && window.isFocused()) ?? null;
    }
  }

  class Notification extends FakeNotification {
    constructor(notificationOptions: NotificationOptions = {}) {
      super(notificationOptions);
      notifications.push(this);
    }

    static override isSupported(): boolean {
      return options.notificationsSupported ?? true;
    }
  }

  class Tray extends FakeTray {
    constructor(image: FakeNativeImage) {
      if (!app.isReady()) throw new Error('Cannot create Tray before app is ready');
      super(image);
      trays.push(this);
    }
  }

  class Menu extends FakeMenu {
    static override buildFromTemplate(template: readonly MenuItemTemplate[]): FakeMenu {
      return new FakeMenu(template);
    }

    static setApplicationMenu(menu: FakeMenu | null): void {
      applicationMenu = menu;
    }

    static getApplicationMenu(): FakeMenu | null {
      return applicationMenu;
    }
  }

  const storage = {
    backend: options.storageBackend ?? (platform === 'linux' ? 'gnome_libsecret' : 'os'),
    encryptionAvailable: options.encryptionAvailable ?? true,
    isReady: () => app.isReady(),
  } satisfies ConstructorParameters<typeof FakeSafeStorage>[0];
  const defaultSession = new FakeSession();
  const partitions = new Map<string, FakeSession>();
  const fromPartition = (partition: string, partitionOptions: { cache?: boolean } = {}): FakeSession => {
    // Electron hands back the same session for the same partition name.
    let found = partitions.get(partition);
    if (!found) {
      found = new FakeSession(partition, partitionOptions);
      partitions.set(partition, found);
    }
    return found;
  };

  const modules: FakeElectronModules = {
    app,
    BrowserWindow,
    Notification,
    Tray,
    Menu,
    nativeImage: fakeNativeImage,
    nativeTheme: { themeSource: 'system' },
    dialog: new FakeDialog(),
    powerMonitor: new FakePowerMonitor(),
    net: new FakeNet(() => app.isReady()),
    protocol: new FakeProtocol(() => app.isReady()),
    session: { defaultSession, fromPartition },
    autoUpdater: new FakeAutoUpdater(),
    safeStorage: new FakeSafeStorage(storage),
    ipcMain: new FakeIpcMain(),
    shell: new FakeShell(),
  };

  return {
    ...modules,
    platform,
    /** The module object `require('electron')` / `import … from 'electron'` resolves to. */
    modules,
    windows,
    notifications,
    trays,
    applicationMenu: () => applicationMenu,
    liveWindow: () => windows.find((window) => !window.isDestroyed()) ?? null,
    holdLoads(hold) {
      autoLoad = !hold;
    },
  };
}

const INSTALLED = Symbol.for('nova.test.fakeElectron');
type Loader = (request: string, parent: unknown, isMain: boolean) => unknown;
type Holder = { [INSTALLED]?: { fake: FakeElectron; restore: () => void } };

/** The Electron the typings come from (the fake follows its API); Chromium's version is not known here. */
export const FAKE_ELECTRON_VERSION = (createRequire(__filename)('electron/package.json') as { version: string }).version;

/**
 * Creates a fake and makes it the one `electron` resolves to. Until `uninstallFakeElectron()`,
 * `process.platform` follows the fake's platform (the shell reads it), `process.versions`
 * carries `electron` and `chrome` and `process.resourcesPath` is set when given, as in
 * Electron's main process; and Node's `require('electron')` answers with the fake from any
 * module (electron-updater requires it as it runs), as Electron's loader answers with the
 * built-in module.
 */
export function installFakeElectron(options: FakeElectronOptions): FakeElectron {
  uninstallFakeElectron();
  const fake = createFakeElectron(options);
  const original = Object.getOwnPropertyDescriptor(process, 'platform');
  Object.defineProperty(process, 'platform', { value: fake.platform, configurable: true, enumerable: true });
  const withResources = process as NodeJS.Process & { resourcesPath?: string };
  const originalResources = Object.getOwnPropertyDescriptor(withResources, 'resourcesPath');
  if (options.resourcesPath !== undefined) {
    Object.defineProperty(withResources, 'resourcesPath', { value: options.resourcesPath, configurable: true, enumerable: true, writable: true });
  }
  const loader = Module as unknown as { _load: Loader };
  const originalLoad = loader._load;
  const loadElectron: Loader = function loadElectron(this: unknown, request, parent, isMain) {
    if (request === 'electron') return fake.modules;
    return originalLoad.call(this, request, parent, isMain);
  };
  loader._load = loadElectron;
  const versions = process.versions as Record<string, string | undefined>;
  const added = (['electron', 'chrome'] as const).filter((key) => versions[key] === undefined);
  for (const key of added) {
    Object.defineProperty(versions, key, { value: key === 'electron' ? FAKE_ELECTRON_VERSION : 'fake', configurable: true, enumerable: true });
  }
  (globalThis as Holder)[INSTALLED] = {
    fake,
    restore: () => {
      if (original) Object.defineProperty(process, 'platform', original);
      if (options.resourcesPath !== undefined) {
        if (originalResources) Object.defineProperty(withResources, 'resourcesPath', originalResources);
        else Reflect.deleteProperty(withResources, 'resourcesPath');
      }
      if (loader._load === loadElectron) loader._load = originalLoad;
      for (const key of added) delete versions[key];
    },
  };
  return fake;
}

export function uninstallFakeElectron(): void {
  const holder = globalThis as Holder;
  holder[INSTALLED]?.restore();
  delete holder[INSTALLED];
}

export function currentFakeElectron(): FakeElectron {
  const installed = (globalThis as Holder)[INSTALLED];
  if (!installed) throw new Error('no fake Electron is installed: call installFakeElectron() first');
  return installed.fake;
}
