import http from 'node:http';
import net from 'node:net';

export type HttpAnswer = Readonly<{ status: number; headers: http.IncomingHttpHeaders; body: string }>;

/** A plain HTTP request with full control of the Host header (fetch does not allow setting it). */
export function request(
  port: number,
  options: Readonly<{ path?: string; method?: string; host?: string; address?: string; agent?: http.Agent }> = {},
): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const outgoing = http.request(
      {
        host: options.address ?? '127.0.0.1',
        port,
        path: options.path ?? '/metrics',
        method: options.method ?? 'GET',
        headers: { Host: options.host ?? `127.0.0.1:${port}` },
        timeout: 5_000,
        ...(options.agent ? { agent: options.agent } : {}),
      },
      (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (body += chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body }));
      },
    );
    outgoing.on('timeout', () => outgoing.destroy(new Error('request timed out')));
    outgoing.on('error', reject);
    outgoing.end();
  });
}

/** Sends raw bytes and returns the status line, for requests http.request cannot make (no Host). */
export function rawStatusLine(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(text));
    let received = '';
    socket.setEncoding('utf8');
    socket.setTimeout(5_000, () => socket.destroy(new Error('raw request timed out')));
    socket.on('data', (chunk: string) => {
      received += chunk;
      const end = received.indexOf('\r\n');
      if (end >= 0) {
        socket.destroy();
        resolve(received.slice(0, end));
      }
    });
    socket.on('error', reject);
  });
}

/** Resolves with the connect error code, or 'connected' if something accepted the connection. */
export function connectOutcome(port: number, address: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host: address });
    socket.setTimeout(3_000, () => {
      socket.destroy();
      resolve('timeout');
    });
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
  });
}
