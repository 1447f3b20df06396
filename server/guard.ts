/**
 * Checks every request and upgrade passes before any route sees it, against what a web page in
 * the user's own browser could do to a server on loopback: DNS rebinding (a foreign name that
 * resolves to 127.0.0.1, so the Host header is the attacker's) and cross-site requests (a page
 * posting to http://127.0.0.1:8787, or opening a WebSocket to it, which no CORS rule stops).
 */
import type { IncomingMessage } from 'node:http';
import { isIPv4 } from 'node:net';
import type { ErrorCode } from '../src/shared/protocol';

export type Refusal = Readonly<{ status: number; code: ErrorCode; message: string; details: string }>;

/** Methods a page could use to change something; safe methods only read, and CORS hides the answer. */
const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** The host name of a Host header or URL authority, lowercase, without port or IPv6 brackets. */
export function hostName(authority: string): string | null {
  try {
    return new URL(`http://${authority}`).hostname.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  } catch {
    return null;
  }
}

/** Names that can only mean this machine: no DNS answer can point them elsewhere (RFC 6761). */
export function isLoopbackName(name: string): boolean {
  const n = name.toLowerCase().replace(/^\[(.*)\]$/, '$1');
  if (n === 'localhost' || n.endsWith('.localhost') || n === '::1') return true;
  return isIPv4(n) && n.startsWith('127.');
}

const WILDCARD_BINDS = new Set(['0.0.0.0', '::', '']);

/** Loopback names, the address the server binds to (unless it is a wildcard) and its public names. */
export function allowedHostNames(bindHost: string, publicHosts: ReadonlyArray<string>): ReadonlySet<string> {
  const names = new Set<string>();
  const bind = hostName(bindHost.includes(':') && !bindHost.startsWith('[') ? `[${bindHost}]` : bindHost);
  if (bind !== null && !WILDCARD_BINDS.has(bindHost)) names.add(bind);
  for (const h of publicHosts) {
    const name = hostName(h);
    if (name !== null) names.add(name);
  }
  return names;
}

export function checkHost(allowed: ReadonlySet<string>, req: IncomingMessage): Refusal | null {
  const header = req.headers.host;
  const name = header === undefined ? null : hostName(header);
  if (name !== null && (isLoopbackName(name) || allowed.has(name))) return null;
  return {
    status: 403,
    code: 'FORBIDDEN',
    message: 'Host not allowed',
    details: `This server answers to loopback names${allowed.size > 0 ? ` and ${[...allowed].join(', ')}` : ''} only; got ${JSON.stringify(header ?? null)}`,
  };
}

/**
 * A missing Origin is a program (the desktop app's main process, curl, a test), not a page, and
 * passes. A page's Origin passes only when it is this server itself (same scheme, host and port).
 */
export function checkOrigin(req: IncomingMessage): Refusal | null {
  const origin = req.headers.origin;
  if (origin === undefined) return null;
  let sameOrigin = false;
  try {
    const url = new URL(origin);
    const host = req.headers.host;
    sameOrigin = url.protocol === 'http:' && host !== undefined && url.host === new URL(`http://${host}`).host;
  } catch {
    sameOrigin = false;
  }
  if (sameOrigin) return null;
  return {
    status: 403,
    code: 'FORBIDDEN',
    message: 'Cross-origin request refused',
    details: `Origin ${JSON.stringify(origin)} is not this server; browsers' pages may not call it`,
  };
}

/** The checks for a plain HTTP request: Host always, Origin when the method can change state. */
export function guardRequest(allowed: ReadonlySet<string>, req: IncomingMessage): Refusal | null {
  return checkHost(allowed, req) ?? (STATE_CHANGING.has(req.method ?? 'GET') ? checkOrigin(req) : null);
}

/** A WebSocket upgrade is a GET that opens a two-way channel: Origin is checked whatever the method. */
export function guardUpgrade(allowed: ReadonlySet<string>, req: IncomingMessage): Refusal | null {
  return checkHost(allowed, req) ?? checkOrigin(req);
}
