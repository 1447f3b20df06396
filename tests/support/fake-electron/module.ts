/**
 * What `electron` resolves to under test: every export forwards to the fake installed at the time
 * of the call (see index.ts), so a module that imported `electron` once keeps working after a
 * test installs a fresh fake. Use it with `vi.mock('electron', () => import('…/module'))`, or
 * for a CommonJS bundle with `withFakeElectronRequire`.
 */
import Module from 'node:module';
import { currentFakeElectron, type FakeElectron } from './index';

type ModuleName = keyof FakeElectron['modules'];

function forward(name: ModuleName): never {
  const target = (): object => currentFakeElectron().modules[name] as object;
  // A function target, so the proxy can also be called and constructed (BrowserWindow, Tray…).
  const proxy = new Proxy(function forwarded() {}, {
    get(_shell, property) {
      const actual = target();
      const value: unknown = Reflect.get(actual, property, actual);
      return typeof value === 'function' && !/^class\b/.test(Function.prototype.toString.call(value)) ? value.bind(actual) : value;
    },
    set(_shell, property, value) {
      return Reflect.set(target(), property, value);
    },
    has(_shell, property) {
      return Reflect.has(target(), property);
    },
    construct(_shell, args) {
      return Reflect.construct(target() as new (...a: unknown[]) => object, args);
    },
    apply(_shell, thisArg, args) {
      return Reflect.apply(target() as (...a: unknown[]) => unknown, thisArg, args);
    },
  });
  return proxy as never;
}

export const app = forward('app');
export const BrowserWindow = forward('BrowserWindow');
export const Notification = forward('Notification');
export const Tray = forward('Tray');
export const Menu = forward('Menu');
export const nativeImage = forward('nativeImage');
export const nativeTheme = forward('nativeTheme');
export const dialog = forward('dialog');
export const powerMonitor = forward('powerMonitor');
export const net = forward('net');
export const protocol = forward('protocol');
export const session = forward('session');
export const safeStorage = forward('safeStorage');
export const ipcMain = forward('ipcMain');
export const shell = forward('shell');
export const autoUpdater = forward('autoUpdater');

const electronModule = {
  app,
  BrowserWindow,
  Notification,
  Tray,
  Menu,
  nativeImage,
  nativeTheme,
  dialog,
  powerMonitor,
  net,
  protocol,
  session,
  safeStorage,
  ipcMain,
  shell,
  autoUpdater,
};
export default electronModule;

type Loader = (request: string, parent: unknown, isMain: boolean) => unknown;

/**
 * Runs `load` with Node's CommonJS loader answering `require('electron')` with the fake, as
 * Electron's own loader answers it with the built-in module.
 */
export function withFakeElectronRequire<T>(load: () => T): T {
  const loader = Module as unknown as { _load: Loader };
  const original = loader._load;
  loader._load = function patched(request, parent, isMain) {
    if (request === 'electron') return electronModule;
    return original.call(this, request, parent, isMain);
  };
  try {
    return load();
  } finally {
    loader._load = original;
  }
}
