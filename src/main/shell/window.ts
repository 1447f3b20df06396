/**
 * Window and navigation policy, kept as pure data and functions so tests can assert every
 * security setting without an Electron binary (checklist: peer-clients.md §6).
 */
import { APP_HOST, APP_SCHEME } from './app-protocol';

/**
 * The page's policy, sent by the `app:` protocol handler with every response. `'self'` is the
 * `app://nova` origin; the page loads nothing from anywhere else and opens no connection at all
 * (everything goes through the preload's IPC), so `connect-src` is `'none'`.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "font-src 'self'",
  "connect-src 'none'",
  "worker-src 'none'",
  "frame-src 'none'",
  "media-src 'none'",
  "manifest-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
  "object-src 'none'",
].join('; ');

/**
 * `npm run dev` only: electron-vite's dev server (never in a packaged app). Its hot reload needs
 * a socket back to the server, so connections to the page's own origin are allowed there.
 */
export const DEV_SERVER_CONTENT_SECURITY_POLICY = CONTENT_SECURITY_POLICY.replace("connect-src 'none'", "connect-src 'self'");

export type SecureWebPreferences = Readonly<{
  preload: string;
  contextIsolation: true;
  sandbox: true;
  nodeIntegration: false;
  nodeIntegrationInWorker: false;
  nodeIntegrationInSubFrames: false;
  webSecurity: true;
  allowRunningInsecureContent: false;
  webviewTag: false;
  experimentalFeatures: false;
  // Middle-click would otherwise bypass the window-open handler on some links.
  disableBlinkFeatures: 'Auxclick';
  spellcheck: boolean;
  /** Off in packaged builds: a user's app opens no inspector. */
  devTools: boolean;
}>;

export function buildWindowOptions(
  preloadPath: string,
  options: Readonly<{ isPackaged: boolean }>,
): {
  width: number;
  height: number;
  minWidth: number;
  minHeight: number;
  show: boolean;
  title: string;
  autoHideMenuBar: boolean;
  webPreferences: SecureWebPreferences;
} {
  return {
    width: 1100,
    height: 760,
    minWidth: 720,
    minHeight: 480,
    // Shown on ready-to-show, so the user never sees a blank white frame.
    show: false,
    title: 'Nova',
    autoHideMenuBar: false,
    webPreferences: {
      preload: preloadPath,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      experimentalFeatures: false,
      disableBlinkFeatures: 'Auxclick',
      spellcheck: true,
      devTools: !options.isPackaged,
    },
  };
}

/**
 * The page is ours when it is served by our `app:` protocol (any path of `app://nova`), or, in
 * development, when it comes from the dev server we started.
 */
export function createUrlTrust(rendererUrl: string): (url: string) => boolean {
  const expected = new URL(rendererUrl);
  return (url: string) => {
    let actual: URL;
    try {
      actual = new URL(url);
    } catch {
      return false;
    }
    // Node's URL gives custom schemes an opaque ("null") origin: compare scheme and host.
    if (expected.protocol === `${APP_SCHEME}:`) return actual.protocol === `${APP_SCHEME}:` && actual.host === APP_HOST;
    return actual.origin === expected.origin;
  };
}

export type WindowOpenDecision = Readonly<{ action: 'deny' }>;

/**
 * Every window.open is denied, and nothing is handed to the OS either: the UI has no external
 * links. One added later goes through an explicit, allow-listed IPC call made on a user gesture,
 * never through here.
 */
export function handleWindowOpen(_url: string): WindowOpenDecision {
  return { action: 'deny' };
}

/** The app never navigates its own window (in-page routing is state, not URLs): every navigation is blocked. */
export function handleNavigation(_url: string): { block: true } {
  return { block: true };
}

/** Camera, microphone, notifications, geolocation…: a messenger without calls asks for none. */
export function decidePermission(_permission: string): boolean {
  return false;
}

/**
 * Chromium switches that would open the app to a debugger. A packaged app drops them before
 * Chromium reads them (the `--inspect` family is refused by the EnableNodeCliInspectArguments fuse).
 */
export const DEBUGGING_SWITCHES = ['remote-debugging-port', 'remote-debugging-pipe', 'remote-debugging-address', 'remote-allow-origins'] as const;
