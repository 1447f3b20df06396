/**
 * The renderer is served from `app://nova/…` by a `protocol.handle` handler instead of `file://`:
 * the page gets a real origin (so `'self'` in the CSP means exactly the app's files), no file
 * system access beyond the renderer folder, and no `file://` extra privileges (that fuse is off).
 * The handler is plain `Request` → `Response`, so the e2e harness serves Chromium with the same code.
 */
import fs from 'node:fs/promises';
import path from 'node:path';

export const APP_SCHEME = 'app';
export const APP_HOST = 'nova';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
export const APP_ENTRY_URL = `${APP_ORIGIN}/index.html`;

/**
 * `protocol.registerSchemesAsPrivileged` privileges. `standard` gives the scheme origins and
 * relative URLs (module scripts resolve), `secure` makes it a secure context like https.
 * Everything else stays off: no fetch, no CORS, no service workers, no CSP bypass.
 */
export const APP_SCHEME_PRIVILEGES = {
  standard: true,
  secure: true,
  supportFetchAPI: false,
  corsEnabled: false,
  allowServiceWorkers: false,
  bypassCSP: false,
  stream: false,
  codeCache: true,
} as const;

const MIME: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.json': 'application/json; charset=utf-8',
};

export type AppPathResult = Readonly<{ ok: true; file: string } | { ok: false; status: 403 | 404 }>;

/** The file a URL names inside `root`, or why not: another host or a path escaping `root` is 403. */
export function resolveAppPath(url: string, root: string): AppPathResult {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { ok: false, status: 404 };
  }
  if (parsed.host !== APP_HOST && parsed.protocol === `${APP_SCHEME}:`) return { ok: false, status: 403 };
  let pathname: string;
  try {
    pathname = decodeURIComponent(parsed.pathname);
  } catch {
    return { ok: false, status: 404 };
  }
  if (pathname.includes('\0')) return { ok: false, status: 404 };
  const relative = pathname === '/' || pathname === '' ? 'index.html' : pathname.replace(/^\/+/, '');
  const resolvedRoot = path.resolve(root);
  const file = path.resolve(resolvedRoot, relative);
  if (file !== resolvedRoot && !file.startsWith(resolvedRoot + path.sep)) return { ok: false, status: 403 };
  return { ok: true, file };
}

export type AppProtocolOptions = Readonly<{
  /** The built renderer folder (out/renderer). */
  root: string;
  /** Sent with every response. */
  contentSecurityPolicy: string;
  readFile?: (file: string) => Promise<Buffer>;
}>;

/** The `protocol.handle('app', …)` handler: GET and HEAD of files under `root`, nothing else. */
export function createAppProtocolHandler(options: AppProtocolOptions): (request: Request) => Promise<Response> {
  const readFile = options.readFile ?? ((file: string) => fs.readFile(file));
  const headers = (extra: Record<string, string>): Record<string, string> => ({
    'Content-Security-Policy': options.contentSecurityPolicy,
    'X-Content-Type-Options': 'nosniff',
    'Cache-Control': 'no-cache',
    ...extra,
  });
  return async (request) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      return new Response(null, { status: 405, headers: headers({ Allow: 'GET, HEAD' }) });
    }
    const resolved = resolveAppPath(request.url, options.root);
    if (!resolved.ok) return new Response(null, { status: resolved.status, headers: headers({}) });
    let body: Buffer;
    try {
      body = await readFile(resolved.file);
    } catch {
      // A folder, or a file that is not there: the same answer, and nothing about the disk.
      return new Response(null, { status: 404, headers: headers({}) });
    }
    const type = MIME[path.extname(resolved.file).toLowerCase()] ?? 'application/octet-stream';
    return new Response(request.method === 'HEAD' ? null : new Uint8Array(body), {
      status: 200,
      headers: headers({ 'Content-Type': type }),
    });
  };
}
