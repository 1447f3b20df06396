/**
 * `app`, following https://www.electronjs.org/docs/latest/api/app:
 * - `ready` once (`whenReady()` resolves then); a test decides when (`emitReady()`), or it comes
 *   on the next turn;
 * - `second-instance` and `activate` are what a second launch and a dock click cause;
 *   `second-instance` "is guaranteed to be emitted after the ready event", so one that comes
 *   earlier waits for it;
 * - `quit()`: `before-quit` (preventable, synchronous), then every window is closed (a window
 *   that prevents its `close` cancels the quit), then `will-quit` (preventable), then `quit`.
 *   `window-all-closed` is not emitted while quitting;
 * - the last window closing outside a quit emits `window-all-closed`, or quits when nobody listens;
 * - `exit(code)` closes every window at once and emits neither `before-quit` nor `will-quit`;
 * - `setBadgeCount` returns false on Windows (unsupported there), true elsewhere;
 * - `relaunch()` is recorded (Electron starts the app again after this instance quits).
 */
import { EventEmitter } from 'node:events';
import { emitPreventable, FakeEvent, nextTurn } from './events';
import type { FakeBrowserWindow } from './windows';

export type FakeAppOptions = Readonly<{
  platform: string;
  isPackaged: boolean;
  userData: string;
  name?: string;
  version?: string;
  appPath?: string;
  /** false: another instance holds the lock, as on a second launch. */
  hasSingleInstanceLock?: boolean;
  /** Chromium switches on the command line, e.g. { 'remote-debugging-port': '9222' }. */
  switches?: Readonly<Record<string, string>>;
}>;

export type AppHost = {
  readonly windows: FakeBrowserWindow[];
};

export class FakeCommandLine {
  readonly switches = new Map<string, string>();

  appendSwitch(name: string, value = ''): void {
    this.switches.set(name, value);
  }

  removeSwitch(name: string): void {
    this.switches.delete(name);
  }

  hasSwitch(name: string): boolean {
    return this.switches.has(name);
  }

  getSwitchValue(name: string): string {
    return this.switches.get(name) ?? '';
  }

  appendArgument(_value: string): void {}
}

export type QuitOutcome = Readonly<{ how: 'quit' | 'exit'; code: number }>;

export class FakeApp extends EventEmitter {
  readonly isPackaged: boolean;
  readonly commandLine = new FakeCommandLine();
  state: 'running' | 'quitting' | 'quit' | 'exited' = 'running';
  exitCode: number | null = null;
  badgeCount = 0;
  readonly badgeHistory: number[] = [];
  appUserModelId: string | null = null;
  sandboxEnabled = false;
  /** `relaunch()` calls: Electron starts a new instance once this one quits. */
  relaunches = 0;
  private ready = false;
  private readonly readyPromise: Promise<void>;
  private resolveReady!: () => void;
  private readonly quitPromise: Promise<QuitOutcome>;
  private resolveQuit!: (outcome: QuitOutcome) => void;
  private readonly beforeReady: (() => void)[] = [];

  constructor(
    private readonly host: AppHost,
    private readonly options: FakeAppOptions,
  ) {
    super();
    this.isPackaged = options.isPackaged;
    for (const [name, value] of Object.entries(options.switches ?? {})) this.commandLine.appendSwitch(name, value);
    this.readyPromise = new Promise((resolve) => (this.resolveReady = resolve));
    this.quitPromise = new Promise((resolve) => (this.resolveQuit = resolve));
  }

  whenReady(): Promise<void> {
    return this.readyPromise;
  }

  isReady(): boolean {
    return this.ready;
  }

  getPath(name: string): string {
    if (name === 'userData' || name === 'appData' || name === 'sessionData') return this.options.userData;
    if (name === 'downloads' || name === 'temp' || name === 'home' || name === 'logs') return this.options.userData;
    throw new Error(`Failed to get '${name}' path`);
  }

  getAppPath(): string {
    return this.options.appPath ?? this.options.userData;
  }

  getName(): string {
    return this.options.name ?? 'Nova';
  }

  getVersion(): string {
    return this.options.version ?? '0.0.0-fake';
  }

  requestSingleInstanceLock(): boolean {
    return this.options.hasSingleInstanceLock ?? true;
  }

  enableSandbox(): void {
    if (this.ready) throw new Error('app.enableSandbox() can only be called before app is ready');
    this.sandboxEnabled = true;
  }

  setAppUserModelId(id: string): void {
    this.appUserModelId = id;
  }

  setBadgeCount(count = 0): boolean {
    if (this.options.platform === 'win32') return false;
    this.badgeCount = count;
    this.badgeHistory.push(count);
    return true;
  }

  getBadgeCount(): number {
    return this.badgeCount;
  }

  quit(): void {
    if (this.state !== 'running') return;
    this.state = 'quitting';
    if (emitPreventable(this, 'before-quit')) {
      this.state = 'running';
      return;
    }
    void this.closeWindowsThenQuit();
  }

  relaunch(): void {
    this.relaunches += 1;
  }

  exit(code = 0): void {
    if (this.state === 'quit' || this.state === 'exited') return;
    this.state = 'exited';
    this.exitCode = code;
    for (const window of this.host.windows) window.destroy();
    this.resolveQuit({ how: 'exit', code });
  }

  // ---- test controls --------------------------------------------------------------------

  emitReady(): void {
    if (this.ready) return;
    this.ready = true;
    this.emit('will-finish-launching');
    this.emit('ready', new FakeEvent(), {});
    this.resolveReady();
    for (const run of this.beforeReady.splice(0)) run();
  }

  /** Another `nova` process started and found the lock taken. */
  launchSecondInstance(argv: readonly string[] = ['nova'], workingDirectory = '/'): void {
    const run = (): void => {
      this.emit('second-instance', new FakeEvent(), [...argv], workingDirectory, {});
    };
    if (this.ready) run();
    else this.beforeReady.push(run);
  }

  /** macOS: the dock icon is clicked (or the app is launched again from Finder). */
  activate(): void {
    const hasVisibleWindows = this.host.windows.some((window) => !window.isDestroyed() && window.isVisible());
    this.emit('activate', new FakeEvent(), hasVisibleWindows);
  }

  /** Resolves when the process would end: `quit` emitted, or `exit()` called. */
  whenQuit(): Promise<QuitOutcome> {
    return this.quitPromise;
  }

  get hasEnded(): boolean {
    return this.state === 'quit' || this.state === 'exited';
  }

  /** The host tells the app a window is gone. */
  windowClosed(): void {
    if (this.state !== 'running') return;
    if (this.host.windows.some((window) => !window.isDestroyed())) return;
    if (this.listenerCount('window-all-closed') > 0) this.emit('window-all-closed');
    else this.quit();
  }

  private async closeWindowsThenQuit(): Promise<void> {
    await nextTurn();
    for (const window of this.host.windows.filter((w) => !w.isDestroyed())) {
      if ((await window.userClose()) === 'prevented') {
        this.state = 'running';
        return;
      }
    }
    if (emitPreventable(this, 'will-quit')) {
      this.state = 'running';
      return;
    }
    this.state = 'quit';
    this.exitCode = 0;
    this.emit('quit', new FakeEvent(), 0);
    this.resolveQuit({ how: 'quit', code: 0 });
  }
}
