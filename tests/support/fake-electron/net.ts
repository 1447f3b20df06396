/**
 * `net.request`, following https://www.electronjs.org/docs/latest/api/net and
 * .../api/client-request, over Node's http and https (Chromium's network stack is what the real
 * one uses; here real sockets to 127.0.0.1 stand in for it):
 * - only after `ready`, only http: and https:;
 * - `end()` sends; `response` hands a readable IncomingMessage (statusCode, statusMessage,
 *   lower-cased headers) for every status, errors included;
 * - redirects: `follow` (the default) follows up to 20, `error` fails, `manual` emits
 *   `redirect(statusCode, method, redirectUrl, responseHeaders)` and waits for
 *   `followRedirect()` or `abort()`;
 * - a failure is an `error` event with Chromium's message (`net::ERR_CONNECTION_REFUSED`, …)
 *   and no Node error code, as in Electron;
 * - `abort()` emits `abort` then `close`; there is no `socket` event (Electron has none).
 */
import { EventEmitter } from 'node:events';
import http from 'node:http';
import https from 'node:https';

export type ClientRequestOptions = Readonly<{
  method?: string;
  url?: string;
  protocol?: string;
  hostname?: string;
  host?: string;
  port?: number | string;
  path?: string;
  headers?: Readonly<Record<string, string | number | readonly string[]>>;
  redirect?: 'follow' | 'error' | 'manual';
  session?: unknown;
  partition?: string;
}>;

const MAX_REDIRECTS = 20;

/** Chromium's names for what Node reports with an error code. */
const NET_ERRORS: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'net::ERR_CONNECTION_REFUSED',
  ECONNRESET: 'net::ERR_CONNECTION_RESET',
  EPIPE: 'net::ERR_CONNECTION_RESET',
  ENOTFOUND: 'net::ERR_NAME_NOT_RESOLVED',
  EAI_AGAIN: 'net::ERR_NAME_NOT_RESOLVED',
  ETIMEDOUT: 'net::ERR_CONNECTION_TIMED_OUT',
  EHOSTUNREACH: 'net::ERR_ADDRESS_UNREACHABLE',
  ENETUNREACH: 'net::ERR_INTERNET_DISCONNECTED',
};

function netError(error: NodeJS.ErrnoException): Error {
  if (error.message === 'socket hang up') return new Error('net::ERR_EMPTY_RESPONSE');
  return new Error(NET_ERRORS[error.code ?? ''] ?? 'net::ERR_FAILED');
}

function urlOf(options: ClientRequestOptions | string): URL {
  if (typeof options === 'string') return new URL(options);
  if (options.url) return new URL(options.url);
  const protocol = options.protocol ?? 'http:';
  const host = options.hostname ?? options.host ?? 'localhost';
  const port = options.port !== undefined && options.port !== '' ? `:${options.port}` : '';
  return new URL(`${protocol}//${host}${port}${options.path ?? '/'}`);
}

export class FakeClientRequest extends EventEmitter {
  private url: URL;
  private readonly method: string;
  private readonly headers = new Map<string, string>();
  private readonly redirectMode: 'follow' | 'error' | 'manual';
  private readonly body: Buffer[] = [];
  private current: http.ClientRequest | null = null;
  private redirects = 0;
  private pendingRedirect: URL | null = null;
  private isEnded = false;
  private isAborted = false;

  constructor(options: ClientRequestOptions | string) {
    super();
    this.url = urlOf(options);
    if (this.url.protocol !== 'http:' && this.url.protocol !== 'https:') throw new Error(`net::ERR_UNKNOWN_URL_SCHEME (${this.url.protocol})`);
    const fromObject = typeof options === 'string' ? {} : options;
    this.method = (fromObject.method ?? 'GET').toUpperCase();
    this.redirectMode = fromObject.redirect ?? 'follow';
    for (const [name, value] of Object.entries(fromObject.headers ?? {})) this.setHeader(name, value);
  }

  setHeader(name: string, value: string | number | readonly string[]): void {
    if (this.isEnded) throw new Error('Can\'t set headers after they are sent.');
    this.headers.set(name.toLowerCase(), Array.isArray(value) ? value.join(', ') : String(value));
  }

  getHeader(name: string): string | undefined {
    return this.headers.get(name.toLowerCase());
  }

  removeHeader(name: string): void {
    this.headers.delete(name.toLowerCase());
  }

  write(chunk: string | Buffer): boolean {
    if (this.isEnded) throw new Error('write after end');
    this.body.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
    return true;
  }

  end(chunk?: string | Buffer | (() => void), ...rest: unknown[]): this {
    if (typeof chunk === 'string' || Buffer.isBuffer(chunk)) this.write(chunk);
    if (this.isEnded) return this;
    this.isEnded = true;
    const callback = [chunk, ...rest].find((arg): arg is () => void => typeof arg === 'function');
    this.send();
    if (callback) this.once('finish', callback);
    return this;
  }

  abort(): void {
    if (this.isAborted) return;
    this.isAborted = true;
    this.pendingRedirect = null;
    this.current?.destroy();
    this.emit('abort');
    this.emit('close');
  }

  /** After a `redirect` event in `manual` mode: go on to the new address. */
  followRedirect(): void {
    const next = this.pendingRedirect;
    if (next === null) throw new Error('followRedirect() called without a pending redirect');
    this.pendingRedirect = null;
    this.url = next;
    this.send();
  }

  private send(): void {
    if (this.isAborted) return;
    const transport = this.url.protocol === 'https:' ? https : http;
    const request = transport.request(this.url, { method: this.method, headers: Object.fromEntries(this.headers) });
    this.current = request;
    request.on('error', (error: NodeJS.ErrnoException) => {
      if (this.isAborted || this.current !== request) return;
      this.emit('error', netError(error));
      this.emit('close');
    });
    request.on('response', (response) => this.received(request, response));
    request.end(Buffer.concat(this.body), () => {
      if (!this.isAborted && this.redirects === 0) this.emit('finish');
    });
  }

  private received(request: http.ClientRequest, response: http.IncomingMessage): void {
    if (this.isAborted || this.current !== request) {
      response.resume();
      return;
    }
    const status = response.statusCode ?? 0;
    const location = response.headers.location;
    if (status >= 300 && status < 400 && location !== undefined) {
      response.resume();
      const next = new URL(location, this.url);
      this.redirects += 1;
      if (this.redirectMode === 'error' || this.redirects > MAX_REDIRECTS) {
        this.emit('error', new Error(this.redirectMode === 'error' ? 'net::ERR_FAILED' : 'net::ERR_TOO_MANY_REDIRECTS'));
        this.emit('close');
        return;
      }
      if (this.redirectMode === 'follow') {
        this.url = next;
        this.send();
        return;
      }
      this.pendingRedirect = next;
      this.emit('redirect', status, this.method, next.href, response.headers);
      return;
    }
    response.once('end', () => {
      if (!this.isAborted) this.emit('close');
    });
    this.emit('response', response);
  }
}
