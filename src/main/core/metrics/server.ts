/**
 * The local scrape endpoint: `GET /metrics` on 127.0.0.1 and nothing else. Loopback binding keeps
 * other machines out; the Host check keeps web pages out, since a page can point a DNS name
 * it controls at 127.0.0.1 (DNS rebinding) and would otherwise read the exposition.
 */
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Logger } from '../logging';
import type { Metrics } from './metrics';

export const DEFAULT_METRICS_PORT = 9464;
export const METRICS_HOST = '127.0.0.1';
export const METRICS_PATH = '/metrics';

export type MetricsPortSetting = number | 'off';

function parsePort(value: unknown, source: string): MetricsPortSetting {
  if (value === 'off') return 'off';
  const port = typeof value === 'string' && /^\d{1,5}$/.test(value.trim()) ? Number(value.trim()) : value;
  if (typeof port === 'number' && Number.isInteger(port) && port >= 0 && port <= 65_535) return port;
  throw new Error(
    `${source} must be a port from 0 to 65535 (0 = any free port) or "off"; got ${JSON.stringify(value)}`,
  );
}

/**
 * The port the endpoint uses: the option if set, else `NOVA_METRICS_PORT`, else 9464.
 * `0` asks the OS for a free port; `off` disables the endpoint (the snapshot still works).
 */
export function resolveMetricsPort(option: MetricsPortSetting | undefined, environment: string | undefined): MetricsPortSetting {
  if (option !== undefined) return parsePort(option, 'metricsPort');
  if (environment !== undefined && environment.trim() !== '') return parsePort(environment, 'NOVA_METRICS_PORT');
  return DEFAULT_METRICS_PORT;
}

const LOOPBACK_NAMES = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** True for `127.0.0.1`, `localhost` and `[::1]`, each with or without a port. */
export function isLoopbackHost(host: string | undefined): boolean {
  if (!host) return false;
  const match = /^(\[[^\]]*\]|[^:[\]]+)(?::(\d{1,5}))?$/.exec(host.trim().toLowerCase());
  if (!match) return false;
  return LOOPBACK_NAMES.has(match[1] ?? '');
}

export type MetricsServerOptions = Readonly<{
  metrics: Metrics;
  log: Logger;
  port: number;
  /** Only 127.0.0.1 is accepted; the option exists so a wrong setting fails loudly. */
  host?: string;
}>;

export class MetricsServer {
  private readonly server: http.Server;
  private readonly sockets = new Set<Socket>();
  private readonly host: string;
  private boundPort: number | null = null;
  private listening: Promise<number> | null = null;

  constructor(private readonly options: MetricsServerOptions) {
    const host = options.host ?? METRICS_HOST;
    if (host !== METRICS_HOST) {
      throw new Error(
        `metrics endpoint: refusing to listen on ${JSON.stringify(host)}; it listens on ${METRICS_HOST} only, so no other machine can read it`,
      );
    }
    this.host = host;
    parsePort(options.port, 'metricsPort');
    this.server = http.createServer((request, response) => void this.answer(request, response));
    // Prometheus keeps connections alive; stop() closes them instead of waiting for a timeout.
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
    this.server.headersTimeout = 5_000;
    this.server.requestTimeout = 10_000;
  }

  /** The port actually bound (useful with port 0), or null while not listening. */
  get port(): number | null {
    return this.boundPort;
  }

  start(): Promise<number> {
    this.listening ??= new Promise<number>((resolve, reject) => {
      const onError = (error: Error): void => {
        this.listening = null;
        reject(error);
      };
      this.server.once('error', onError);
      this.server.listen(this.options.port, this.host, () => {
        this.server.off('error', onError);
        this.boundPort = (this.server.address() as AddressInfo).port;
        this.options.log.info(`metrics: listening on http://${this.host}:${this.boundPort}${METRICS_PATH}`);
        resolve(this.boundPort);
      });
    });
    return this.listening;
  }

  /** Closes the listener and any kept-alive scrape connections; waits for a start in progress. */
  async stop(): Promise<void> {
    const listening = this.listening;
    if (!listening) return;
    this.listening = null;
    const isListening = await listening.then(
      () => true,
      () => false,
    );
    if (!isListening) return;
    this.boundPort = null;
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      for (const socket of this.sockets) socket.destroy();
    });
  }

  private async answer(request: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
    response.setHeader('Cache-Control', 'no-store');
    response.setHeader('X-Content-Type-Options', 'nosniff');
    if (!isLoopbackHost(request.headers.host)) {
      this.options.log.warn('metrics: refused a request whose Host is not a loopback name');
      return reply(response, 403, 'Forbidden: the metrics endpoint answers loopback host names only.\n');
    }
    const path = (request.url ?? '').split('?')[0];
    if (path !== METRICS_PATH) return reply(response, 404, 'Not found: the only path is /metrics.\n');
    if (request.method !== 'GET') {
      response.setHeader('Allow', 'GET');
      return reply(response, 405, 'Method not allowed: use GET.\n');
    }
    try {
      const body = await this.options.metrics.render('http');
      response.setHeader('Content-Type', this.options.metrics.contentType);
      response.writeHead(200);
      response.end(body);
    } catch (error) {
      this.options.log.error('metrics: rendering the exposition failed', error);
      reply(response, 500, 'Internal error.\n');
    }
  }
}

function reply(response: http.ServerResponse, status: number, text: string): void {
  response.setHeader('Content-Type', 'text/plain; charset=utf-8');
  response.writeHead(status);
  response.end(text);
}
