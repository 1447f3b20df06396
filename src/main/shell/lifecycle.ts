/**
 * Window and app lifecycle rules per platform convention, as pure decisions:
 * - macOS: closing the window leaves the app in the dock; `activate` (dock click) brings a window back.
 * - Windows and Linux: closing the window hides it to the tray when that preference is on,
 *   otherwise it quits (through the quit guard, with the window still there to return to).
 */
export type ShellPlatform = 'darwin' | 'win32' | 'linux';

export function shellPlatform(nodePlatform: string): ShellPlatform {
  if (nodePlatform === 'darwin' || nodePlatform === 'win32') return nodePlatform;
  // The BSDs and the rest run Electron's Linux (X11/Wayland) code paths.
  return 'linux';
}

/** macOS has the dock and its badge; Windows and Linux get a tray icon. */
export function hasTray(platform: ShellPlatform): boolean {
  return platform !== 'darwin';
}

export type CloseDecision =
  /** Let the window close (it is destroyed). */
  | 'close'
  /** Keep it alive, hidden: the tray brings it back. */
  | 'hide'
  /** Keep it open and ask the app to quit; the quit guard decides, and "Stay" finds the window. */
  | 'quit';

export function decideWindowClose(o: Readonly<{ platform: ShellPlatform; closeToTray: boolean; isQuitting: boolean }>): CloseDecision {
  if (o.isQuitting) return 'close';
  if (o.platform === 'darwin') return 'close';
  return o.closeToTray ? 'hide' : 'quit';
}

/** `window-all-closed`: on macOS the app lives on without windows. */
export function quitsWhenAllWindowsClosed(platform: ShellPlatform): boolean {
  return platform !== 'darwin';
}
