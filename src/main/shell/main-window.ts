/**
 * The one main window, owned in one place. Nothing else holds a BrowserWindow reference, so
 * nothing can call into a destroyed one: `current()` is null from the moment it is closed, and
 * `show()` re-creates it. Messages to the page go only to a loaded, live page; commands (open a
 * conversation) wait until a new page has loaded.
 */
import type { BrowserWindow } from 'electron';
import type { AppCommand } from '../../shared/contract';
import type { Logger } from '../core/logging';

export type MainWindowPorts = Readonly<{
  /** Builds the window with its options and navigation policy, and starts loading the page. */
  create(): BrowserWindow;
  /** The window's `close` event: the lifecycle policy decides (hide, quit, or let it close). */
  onClose(event: { preventDefault(): void }): void;
  /** Focus, visibility or minimised state changed. */
  onAttentionChange(): void;
  log: Logger;
}>;

const RELOAD_BACKOFF_MS = 30_000;
const ATTENTION_EVENTS = ['focus', 'blur', 'show', 'hide', 'minimize', 'restore'] as const;

export class MainWindow {
  private window: BrowserWindow | null = null;
  private isLoaded = false;
  private readonly commands: AppCommand[] = [];

  constructor(private readonly ports: MainWindowPorts) {}

  /** The live window, or null; never a destroyed one. */
  current(): BrowserWindow | null {
    const window = this.window;
    return window !== null && !window.isDestroyed() ? window : null;
  }

  /** Brings the window to the user: re-created if closed, restored if minimised, shown if hidden. */
  show(): BrowserWindow {
    const existing = this.current();
    if (existing === null) return this.open();
    if (existing.isMinimized()) existing.restore();
    if (!existing.isVisible()) existing.show();
    existing.focus();
    return existing;
  }

  /** Visible, not minimised and focused: the user is looking at it. */
  isAttended(): boolean {
    const window = this.current();
    return window !== null && window.isVisible() && !window.isMinimized() && window.isFocused();
  }

  /** Visible and not minimised (a dialog can sit on it). */
  visibleWindow(): BrowserWindow | null {
    const window = this.current();
    return window !== null && window.isVisible() && !window.isMinimized() ? window : null;
  }

  /** An event for the page; dropped when no page is loaded (a new page asks for the state itself). */
  send(channel: string, payload: unknown): void {
    const window = this.current();
    if (window === null || !this.isLoaded || window.webContents.isDestroyed()) return;
    window.webContents.send(channel, payload);
  }

  /** A command for the page; kept until the page has loaded, so a re-created window gets it too. */
  command(command: AppCommand): void {
    this.commands.push(command);
    this.flushCommands();
  }

  private flushCommands(): void {
    const window = this.current();
    if (window === null || !this.isLoaded || window.webContents.isDestroyed()) return;
    for (const command of this.commands.splice(0)) window.webContents.send('app:command', command);
  }

  private open(): BrowserWindow {
    const window = this.ports.create();
    this.window = window;
    this.isLoaded = false;
    window.once('ready-to-show', () => {
      if (!window.isDestroyed()) window.show();
    });
    window.on('close', (event) => this.ports.onClose(event));
    window.on('closed', () => {
      if (this.window === window) {
        this.window = null;
        this.isLoaded = false;
      }
      this.ports.onAttentionChange();
    });
    for (const name of ATTENTION_EVENTS) window.on(name as 'focus', () => this.ports.onAttentionChange());
    window.webContents.on('did-finish-load', () => {
      if (this.window !== window) return;
      this.isLoaded = true;
      this.flushCommands();
    });
    let lastReloadAt = -Infinity;
    window.webContents.on('render-process-gone', (_event, details) => {
      this.isLoaded = false;
      // One reload per crash, but not in a loop: a page that dies at once stays down (and says so in the log).
      const shouldReload = details.reason !== 'clean-exit' && Date.now() - lastReloadAt > RELOAD_BACKOFF_MS;
      this.ports.log.error(`window: the page process is gone (${details.reason})${shouldReload ? '; reloading' : ''}`);
      if (shouldReload && !window.isDestroyed()) {
        lastReloadAt = Date.now();
        window.webContents.reload();
      }
    });
    return window;
  }
}
