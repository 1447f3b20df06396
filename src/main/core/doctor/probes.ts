/**
 * The network probes the connection doctor runs, one per layer. Each resolves with what it
 * found or rejects with a ProbeError naming the failure (a system code, a timeout); none of
 * them retries or waits longer than it is told.
 */
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import tls from 'node:tls';
import WebSocket from 'ws';

export class ProbeError extends Error {
  override readonly name = 'ProbeError';
  /** A system error code (ECONNREFUSED, ENOTFOUND, CERT_HAS_EXPIRED, …) or TIMEOUT. */
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

function probeError(error: unknown): ProbeError {
  if (error instanceof ProbeError) return error;
  const code = (error as NodeJS.ErrnoException).code ?? 'ERROR';
  return new ProbeError(code, error instanceof Error ? error.message : String(error));
}

export function timeoutError(ms: number): ProbeError {
  return new ProbeError('TIMEOUT', `no answer within ${ms} ms`);
}

export async function tcpConnect(address: string, port: number, timeoutMs: number): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const socket = net.connect({ host: address, port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(timeoutError(timeoutMs));
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.end();
      socket.destroy();
      resolve();
    });
    socket.once('error', (error) => {
      clearTimeout(timer);
      reject(probeError(error));
    });
  });
}

export type TlsFacts = Readonly<{
  protocol: string | null;
  subject: string;
  issuer: string;
  validFrom: number;
  validTo: number;
  /** Null when the chain is trusted; otherwise OpenSSL's reason (SELF_SIGNED_CERT_IN_CHAIN, …). */
  chainError: string | null;
  /** Null when the certificate names the host; otherwise why not. */
  nameError: string | null;
}>;

function describeName(name: tls.Certificate | undefined): string {
  if (!name) return 'unknown';
  const parts = [name.CN && `CN=${String(name.CN)}`, name.O && `O=${String(name.O)}`].filter(Boolean);
  return parts.length > 0 ? parts.join(', ') : 'unknown';
}

/**
 * Completes a TLS handshake without trusting it, so the certificate can be described even when
 * the app itself would refuse it; trust and name are checked afterwards, as the app would.
 */
export function tlsProbe(address: string, port: number, hostname: string, timeoutMs: number): Promise<TlsFacts> {
  return new Promise<TlsFacts>((resolve, reject) => {
    const socket = tls.connect({
      host: address,
      port,
      ...(net.isIP(hostname) === 0 ? { servername: hostname } : {}),
      rejectUnauthorized: false,
      ALPNProtocols: ['http/1.1'],
    });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(timeoutError(timeoutMs));
    }, timeoutMs);
    socket.once('secureConnect', () => {
      clearTimeout(timer);
      const certificate = socket.getPeerCertificate();
      const nameProblem = certificate.subject ? tls.checkServerIdentity(hostname, certificate) : new Error('no certificate');
      const facts: TlsFacts = {
        protocol: socket.getProtocol(),
        subject: describeName(certificate.subject),
        issuer: describeName(certificate.issuer),
        validFrom: Date.parse(certificate.valid_from),
        validTo: Date.parse(certificate.valid_to),
        chainError: socket.authorized ? null : String(socket.authorizationError ?? 'UNTRUSTED'),
        nameError: nameProblem ? nameProblem.message : null,
      };
      socket.end();
      socket.destroy();
      resolve(facts);
    });
    socket.once('error', (error) => {
      clearTimeout(timer);
      reject(probeError(error));
    });
  });
}

export type HttpFacts = Readonly<{ status: number; headers: http.IncomingHttpHeaders; body: string; sentAt: number; receivedAt: number }>;

/** One GET; `now` is the clock the skew is measured against (the app's clock). */
export function httpGet(
  url: string,
  options: Readonly<{ lookup: net.LookupFunction; timeoutMs: number; now: () => number }>,
): Promise<HttpFacts> {
  const target = new URL(url);
  const client = target.protocol === 'https:' ? https : http;
  return new Promise<HttpFacts>((resolve, reject) => {
    const sentAt = options.now();
    const request = client.get(target, { lookup: options.lookup, headers: { Accept: 'application/json' }, agent: false }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('error', (error) => reject(probeError(error)));
      response.on('end', () => {
        clearTimeout(timer);
        resolve({
          status: response.statusCode ?? 0,
          headers: response.headers,
          body: Buffer.concat(chunks).toString('utf8').slice(0, 4096),
          sentAt,
          receivedAt: options.now(),
        });
      });
    });
    const timer = setTimeout(() => {
      request.destroy();
      reject(timeoutError(options.timeoutMs));
    }, options.timeoutMs);
    request.on('error', (error) => {
      clearTimeout(timer);
      reject(probeError(error));
    });
  });
}

/** The server refused the upgrade: its status and, for nova-compat, its error code. */
export class UpgradeRefused extends Error {
  override readonly name = 'UpgradeRefused';
  constructor(
    readonly status: number,
    readonly serverCode: string | null,
    readonly retryAfter: string | null,
  ) {
    super(`upgrade refused with ${status}${serverCode ? ` (${serverCode})` : ''}`);
  }
}

export type OpenedSocket = Readonly<{
  socket: WebSocket;
  /** The first frame (a nova-compat handshake), or null when none came within `waitMs` of opening. */
  firstFrame: (waitMs: number) => Promise<unknown>;
}>;

/**
 * Opens a WebSocket with the bearer token and resolves once it is open (or refused). The first
 * frame is caught from the start: a server sends its handshake right after the upgrade, often
 * in the same read as the upgrade answer, before anyone could listen after `open`.
 */
export function openWebSocket(
  url: string,
  options: Readonly<{ token: string; lookup: net.LookupFunction; timeoutMs: number }>,
): Promise<OpenedSocket> {
  return new Promise<OpenedSocket>((resolve, reject) => {
    const socket = new WebSocket(url, {
      headers: { Authorization: `Bearer ${options.token}` },
      lookup: options.lookup,
      handshakeTimeout: options.timeoutMs,
      perMessageDeflate: false,
    });
    const first = new Promise<unknown>((resolveFrame) => {
      socket.once('message', (data: WebSocket.RawData) => {
        try {
          resolveFrame(JSON.parse(String(data)) as unknown);
        } catch {
          resolveFrame({ unreadable: true });
        }
      });
    });
    const firstFrame = (waitMs: number): Promise<unknown> => {
      let timer: NodeJS.Timeout | undefined;
      const none = new Promise<null>((resolveNone) => {
        timer = setTimeout(() => resolveNone(null), waitMs);
      });
      return Promise.race([first, none]).finally(() => clearTimeout(timer));
    };
    socket.once('open', () => resolve({ socket, firstFrame }));
    socket.once('unexpected-response', (_request, response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        let serverCode: string | null = null;
        try {
          const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { code?: unknown };
          serverCode = typeof body.code === 'string' ? body.code : null;
        } catch {
          // plain-text refusal (older Nova): the status says enough
        }
        const retryAfter = response.headers['retry-after'];
        reject(new UpgradeRefused(response.statusCode ?? 0, serverCode, typeof retryAfter === 'string' ? retryAfter : null));
        socket.terminate();
      });
    });
    socket.once('error', (error) => {
      const message = error.message;
      reject(/timed out/i.test(message) ? timeoutError(options.timeoutMs) : probeError(error));
    });
  });
}

/** One round trip: a JSON `ping` when the server speaks it, else a protocol ping. */
export function pingRoundTrip(socket: WebSocket, jsonPing: boolean, timeoutMs: number, now: () => number): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const sentAt = now();
    const cleanup = (): void => {
      clearTimeout(timer);
      socket.off('message', onMessage);
      socket.off('pong', onPong);
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(timeoutError(timeoutMs));
    }, timeoutMs);
    const onMessage = (data: WebSocket.RawData): void => {
      try {
        const frame = JSON.parse(String(data)) as { type?: unknown };
        if (frame.type !== 'pong') return;
      } catch {
        return;
      }
      cleanup();
      resolve(now() - sentAt);
    };
    const onPong = (): void => {
      cleanup();
      resolve(now() - sentAt);
    };
    if (jsonPing) {
      socket.on('message', onMessage);
      socket.send(JSON.stringify({ type: 'ping', ts: sentAt }));
    } else {
      socket.on('pong', onPong);
      socket.ping();
    }
  });
}
