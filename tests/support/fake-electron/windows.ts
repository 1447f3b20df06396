/**
 * BrowserWindow and WebContents, following https://www.electronjs.org/docs/latest/api/browser-window
 * and .../api/web-contents as far as the shell uses them:
 * - every method of a destroyed window or webContents throws `TypeError: Object has been destroyed`
 *   (`webContents` itself too), as the native bindings do;
 * - `close()` emits `close` synchronously (preventable), then `closed` on a later turn; `destroy()`
 *   skips `close` and guarantees `closed`. After the last window closes the app emits
 *   `window-all-closed`, except while it is quitting (then `app.quit()` carries on);
 * - `show()` shows and focuses, `hide()` hides and blurs, `minimize()` blurs, `restore()` un-minimises
 *   (stricter than some platforms: `show()` and `focus()` do not un-minimise);
 * - `loadURL()` "loads" on a later turn: `did-finish-load` on the contents, then `ready-to-show`
 *   on the window (a test can hold loads back with `holdLoads`).
 */
import type { AppCommand } from '../../../src/shared/contract';
import { Destroyable, FakeEvent, emitPreventable, nextTurn } from './events';

export type WindowHost = {
  readonly windows: FakeBrowserWindow[];
  /** Called when a window is gone; the app decides about `window-all-closed`. */
  windowClosed(window: FakeBrowserWindow): void;
  /** Focus moved to `window` (others blur). */
  focused(window: FakeBrowserWindow): void;
  loadsAutomatically(): boolean;
};

export type NavigationResult = Readonly<{ prevented: boolean }>;

export class FakeWebContents extends Destroyable {
  private static nextId = 1;
  readonly id = FakeWebContents.nextId++;
  /** Everything sent to the page, in order. */
  readonly sent: { channel: string; payload: unknown }[] = [];
  url = '';
  isLoaded = false;
  reloads = 0;
  devToolsOpened = false;
  private windowOpenHandler: ((details: { url: string }) => { action: 'allow' | 'deny' }) | null = null;

  constructor(private readonly devToolsAllowed: boolean) {
    super();
  }

  send(channel: string, ...args: unknown[]): void {
    this.alive();
    this.sent.push({ channel, payload: args[0] });
  }

  setWindowOpenHandler(handler: (details: { url: string }) => { action: 'allow' | 'deny' }): void {
    this.alive();
    this.windowOpenHandler = handler;
  }

  getURL(): string {
    this.alive();
    return this.url;
  }

  reload(): void {
    this.alive();
    this.reloads += 1;
  }

  openDevTools(): void {
    this.alive();
    // webPreferences.devTools: false makes this a no-op in Electron.
    if (!this.devToolsAllowed) return;
    this.devToolsOpened = true;
    this.emit('devtools-opened');
  }

  closeDevTools(): void {
    this.alive();
    this.devToolsOpened = false;
  }

  isDevToolsOpened(): boolean {
    this.alive();
    return this.devToolsOpened;
  }

  // ---- test controls --------------------------------------------------------------------

  /** The page asks `window.open(url)`: what the handler answers (Electron's default is allow). */
  windowOpen(url: string): { action: 'allow' | 'deny' } {
    return this.windowOpenHandler?.({ url }) ?? { action: 'allow' };
  }

  /** The page navigates (a link, `location = …`): `will-navigate`, preventable. */
  navigate(url: string): NavigationResult {
    const event = new FakeEvent();
    this.emit('will-navigate', event, url);
    return { prevented: event.defaultPrevented };
  }

  /** The renderer process dies. */
  crash(reason: 'crashed' | 'oom' | 'killed' = 'crashed'): void {
    this.emit('render-process-gone', new FakeEvent(), { reason, exitCode: 1 });
  }

  /** Commands the shell sent the page (`app:command`). */
  commands(): AppCommand[] {
    return this.sent.filter((m) => m.channel === 'app:command').map((m) => m.payload as AppCommand);
  }

  finishLoad(): void {
    if (this.destroyed) return;
    this.isLoaded = true;
    this.emit('did-finish-load');
  }

  markDestroyed(): void {
    this.destroyed = true;
    this.emit('destroyed');
  }
}

export type FakeWindowOptions = Record<string, unknown> & { show?: boolean; webPreferences?: Record<string, unknown> };

export class FakeBrowserWindow extends Destroyable {
  private static nextId = 1;
  readonly id = FakeBrowserWindow.nextId++;
  readonly options: FakeWindowOptions;
  private readonly contents: FakeWebContents;
  private visible: boolean;
  private minimized = false;
  private focusedFlag = false;
  overlay: { image: unknown; description: string } | null = null;
  /** URLs passed to loadURL, in order. */
  readonly loadedUrls: string[] = [];

  constructor(
    private readonly host: WindowHost,
    options: FakeWindowOptions = {},
  ) {
    super();
    this.options = options;
    this.visible = options.show !== false;
    this.contents = new FakeWebContents(options.webPreferences?.['devTools'] !== false);
    host.windows.push(this);
    if (this.visible) this.focusNow();
  }

  get webContents(): FakeWebContents {
    this.alive();
    return this.contents;
  }

  loadURL(url: string): Promise<void> {
    this.alive();
    this.loadedUrls.push(url);
    this.contents.url = url;
    if (!this.host.loadsAutomatically()) return Promise.resolve();
    return nextTurn().then(() => this.finishLoad());
  }

  show(): void {
    this.alive();
    const wasVisible = this.visible;
    this.visible = true;
    if (!wasVisible) this.emit('show');
    // Strict on purpose: showing does not un-minimise here, so a shell that forgets restore() is caught.
    if (!this.minimized) this.focusNow();
  }

  hide(): void {
    this.alive();
    if (!this.visible) return;
    this.visible = false;
    this.blurNow();
    this.emit('hide');
  }

  minimize(): void {
    this.alive();
    this.minimized = true;
    this.blurNow();
    this.emit('minimize');
  }

  restore(): void {
    this.alive();
    if (!this.minimized) return;
    this.minimized = false;
    this.visible = true;
    this.emit('restore');
  }

  focus(): void {
    this.alive();
    // A hidden or minimised window cannot take focus.
    if (this.visible && !this.minimized) this.focusNow();
  }

  blur(): void {
    this.alive();
    this.blurNow();
  }

  isVisible(): boolean {
    this.alive();
    return this.visible;
  }

  isMinimized(): boolean {
    this.alive();
    return this.minimized;
  }

  isFocused(): boolean {
    this.alive();
    return this.focusedFlag;
  }

  setOverlayIcon(image: unknown, description: string): void {
    this.alive();
    this.overlay = image === null ? null : { image, description };
  }

  setProgressBar(_progress: number): void {
    this.alive();
  }

  /** Like the close button: `close` (preventable) now, `closed` on a later turn. */
  close(): void {
    this.alive();
    if (emitPreventable(this, 'close')) return;
    void nextTurn().then(() => this.destroyNow());
  }

  /** No `close` event; `closed` is guaranteed. */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyNow();
  }

  // ---- test controls --------------------------------------------------------------------

  /** The user clicks the close button; resolves once the window is gone or stayed. */
  async userClose(): Promise<'closed' | 'prevented'> {
    if (emitPreventable(this, 'close')) return 'prevented';
    await nextTurn();
    this.destroyNow();
    return 'closed';
  }

  /** Another application takes the focus. */
  loseFocus(): void {
    this.blurNow();
  }

  finishLoad(): void {
    if (this.destroyed) return;
    this.contents.finishLoad();
    this.emit('ready-to-show');
  }

  /** Windows: the session is ending (`query-session-end`, then `session-end`). */
  endSession(): void {
    this.emit('query-session-end', new FakeEvent());
    this.emit('session-end', new FakeEvent());
  }

  private focusNow(): void {
    if (this.focusedFlag) return;
    this.host.focused(this);
    this.focusedFlag = true;
    this.emit('focus');
  }

  private blurNow(): void {
    if (!this.focusedFlag) return;
    this.focusedFlag = false;
    this.emit('blur');
  }

  /** Called by the host when another window takes the focus. */
  otherWindowFocused(): void {
    this.blurNow();
  }

  private destroyNow(): void {
    if (this.destroyed) return;
    this.focusedFlag = false;
    this.visible = false;
    this.destroyed = true;
    this.contents.markDestroyed();
    this.emit('closed');
    this.host.windowClosed(this);
  }
}
