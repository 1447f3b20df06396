/**
 * Window and navigation policy, kept as pure data and functions so tests can assert every
 * security setting without an Electron binary (checklist: peer-clients.md §6).
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
  "object-src 'none'",
].join('; ');

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
}>;

export function buildWindowOptions(preloadPath: string): {
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
    },
  };
}

/** The page is ours when it is the packaged file or the dev server we started. */
export function createUrlTrust(rendererUrl: string): (url: string) => boolean {
  const expected = new URL(rendererUrl);
  return (url: string) => {
    let actual: URL;
    try {
      actual = new URL(url);
    } catch {
      return false;
    }
    if (expected.protocol === 'file:') return actual.protocol === 'file:' && actual.pathname === expected.pathname;
    return actual.origin === expected.origin;
  };
}

/** Links a user clicks open in the system browser, and only if they are plain web links. */
export function isSafeExternalUrl(url: string): boolean {
  try {
    const parsed = new URL(url);
    return (parsed.protocol === 'https:' || parsed.protocol === 'http:') && parsed.username === '' && parsed.password === '';
  } catch {
    return false;
  }
}

export type WindowOpenDecision = Readonly<{ action: 'deny' }>;

/** Every window.open is denied; safe web links are handed to the OS browser instead. */
export function handleWindowOpen(url: string, openExternal: (url: string) => void): WindowOpenDecision {
  if (isSafeExternalUrl(url)) openExternal(url);
  return { action: 'deny' };
}

/**
 * The app never navigates its own window (in-page routing is state, not URLs), so every
 * navigation is blocked; a safe web link the user clicked opens in the system browser instead.
 */
export function handleNavigation(url: string, openExternal: (url: string) => void): { block: true } {
  if (isSafeExternalUrl(url)) openExternal(url);
  return { block: true };
}

/** Camera, microphone, notifications, geolocation…: a messenger without calls asks for none. */
export function decidePermission(_permission: string): boolean {
  return false;
}
