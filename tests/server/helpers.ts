/** Real sockets on 127.0.0.1 against an in-process server; no mocks. */
import http from 'node:http';
import WebSocket from 'ws';
import { startServer } from '../../server/index';
import type { ServerHandle, ServerOptions } from '../../server/index';
import { DEMO_PASSWORD } from '../../server/seed';
import type { TokenPair } from '../../src/shared/protocol';

export async function startTestServer(options: ServerOptions = {}): Promise<ServerHandle> {
  return startServer({ seed: true, bcryptRounds: 4, ...options });
}

export type HttpResult = { status: number; headers: Headers; body: unknown; text: string };

export async function api(
  server: { url: string },
  method: string,
  path: string,
  options: { token?: string; body?: unknown; rawBody?: string; headers?: Record<string, string> } = {},
): Promise<HttpResult> {
  const headers: Record<string, string> = { ...(options.headers ?? {}) };
  if (options.token) headers['Authorization'] = `Bearer ${options.token}`;
  let body: string | undefined;
  if (options.rawBody !== undefined) body = options.rawBody;
  else if (options.body !== undefined) body = JSON.stringify(options.body);
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(`${server.url}${path}`, { method, headers, ...(body !== undefined ? { body } : {}) });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text === '' ? undefined : JSON.parse(text);
  } catch {
    // plain-text bodies stay strings
  }
  return { status: res.status, headers: res.headers, body: parsed, text };
}

/**
 * Calls the /__faults admin endpoint with the run's token, as an out-of-process harness would
 * after reading it from the server's start-up lines.
 */
export function faults(server: ServerHandle, method: 'GET' | 'POST', action: string, body?: unknown): Promise<HttpResult> {
  if (server.faultsToken === null) throw new Error('faults: the server was started without faultsEndpoint');
  return api(server, method, `/__faults/${action}`, { token: server.faultsToken, ...(body !== undefined ? { body } : {}) });
}

export type RawResult = { status: number; headers: http.IncomingHttpHeaders; body: unknown; text: string };

/**
 * A request with exactly the given headers (fetch forbids setting Host, and always frames the
 * body itself): for the checks on Host, Origin, Content-Type and body size.
 */
export function rawRequest(
  server: { port: number },
  options: {
    method?: string;
    path: string;
    headers?: Record<string, string>;
    body?: string | Buffer;
    chunks?: ReadonlyArray<Buffer>;
    /** Another loopback source address (127.0.0.2, …): a second client as far as the server can tell. */
    localAddress?: string;
  },
): Promise<RawResult> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port: server.port,
        method: options.method ?? 'GET',
        path: options.path,
        headers: options.headers ?? {},
        ...(options.localAddress !== undefined ? { localAddress: options.localAddress } : {}),
      },
      (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += String(c)));
        res.on('end', () => {
          let body: unknown = text;
          try {
            body = text === '' ? undefined : JSON.parse(text);
          } catch {
            // plain-text bodies stay strings
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body, text });
        });
      },
    );
    // The server may answer and close before a large body is all written: the answer still counts.
    req.on('error', (err) => reject(err));
    if (options.chunks) {
      for (const c of options.chunks) req.write(c);
      req.end();
    } else {
      req.end(options.body);
    }
  });
}

export async function login(server: { url: string }, email: string): Promise<TokenPair> {
  const r = await api(server, 'POST', '/api/v1/auth/login', { body: { email, password: DEMO_PASSWORD } });
  if (r.status !== 200) throw new Error(`login ${email}: ${r.status} ${r.text}`);
  return r.body as TokenPair;
}

const backupCodesSpent = new WeakMap<ServerHandle, number>();

/** Signs anyone in, Carol included: her second step spends the next of the seed's backup codes. */
export async function signInAny(server: ServerHandle, email: string): Promise<string> {
  const first = await api(server, 'POST', '/api/v1/auth/login', { body: { email, password: DEMO_PASSWORD } });
  if (first.status === 200) return (first.body as TokenPair).access_token;
  const spent = backupCodesSpent.get(server) ?? 0;
  backupCodesSpent.set(server, spent + 1);
  const code = server.seed?.carol.backupCodes[spent];
  if (first.status !== 202 || code === undefined) throw new Error(`login ${email}: ${first.status} ${first.text}`);
  const second = await api(server, 'POST', '/api/v1/auth/2fa/verify', {
    body: { session_id: (first.body as { session_id: string }).session_id, code },
  });
  if (second.status !== 200) throw new Error(`2fa ${email}: ${second.status} ${second.text}`);
  return (second.body as TokenPair).access_token;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyFrame = Record<string, any>;

export class TestSocket {
  readonly frames: AnyFrame[] = [];
  readonly raw: string[] = [];
  private waiters: Array<() => void> = [];
  readonly closed: Promise<{ code: number; reason: string }>;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const text = String(data);
      this.raw.push(text);
      try {
        this.frames.push(JSON.parse(text) as AnyFrame);
      } catch {
        this.frames.push({ type: '__unparseable__', text });
      }
      this.wake();
    });
    this.closed = new Promise((resolve) => {
      ws.on('close', (code, reason) => {
        resolve({ code, reason: String(reason) });
        this.wake();
      });
    });
    ws.on('error', () => undefined);
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  static open(
    url: string,
    options: { token?: string; headers?: Record<string, string>; timeoutMs?: number } = {},
  ): Promise<TestSocket> {
    const headers = { ...(options.headers ?? {}) };
    if (options.token) headers['Authorization'] = `Bearer ${options.token}`;
    const ws = new WebSocket(url, { headers, handshakeTimeout: options.timeoutMs ?? 5000 });
    const sock = new TestSocket(ws);
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(sock));
      ws.once('unexpected-response', (_req, res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += String(c)));
        res.on('end', () =>
          reject(Object.assign(new Error(`upgrade refused ${res.statusCode}`), { status: res.statusCode, body, headers: res.headers })),
        );
      });
      ws.once('error', (err) => reject(err));
    });
  }

  send(frame: unknown): void {
    this.ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  /** Resolves with (and removes) the first buffered or future frame matching `pred`. */
  async next(pred: (f: AnyFrame) => boolean = () => true, timeoutMs = 3000): Promise<AnyFrame> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = this.frames.findIndex(pred);
      if (i >= 0) return this.frames.splice(i, 1)[0] as AnyFrame;
      const left = deadline - Date.now();
      if (left <= 0 || this.ws.readyState === WebSocket.CLOSED) {
        throw new Error(`no matching frame; have ${JSON.stringify(this.frames).slice(0, 500)}`);
      }
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  nextOfType(type: string, timeoutMs?: number): Promise<AnyFrame> {
    return this.next((f) => f['type'] === type, timeoutMs);
  }

  /** Sends a ping and waits for its pong: everything the server sent before is then buffered. */
  async roundTrip(): Promise<void> {
    const ts = Math.random();
    this.send({ type: 'ping', ts });
    await this.next((f) => f['type'] === 'pong' && f['ts'] === ts);
  }

  close(): void {
    this.ws.close();
  }
}

/** Opens a user-scoped socket and consumes its handshake. */
export async function openUserSocket(server: ServerHandle, token: string): Promise<TestSocket> {
  const s = await TestSocket.open(server.wsUrl, { token });
  await s.nextOfType('protocol_handshake');
  return s;
}

export function expectErrorBody(body: unknown, code: string): void {
  const b = body as { error?: unknown; code?: unknown };
  if (typeof b?.error !== 'string' || b.code !== code) {
    throw new Error(`expected error body with code ${code}, got ${JSON.stringify(body)}`);
  }
}
