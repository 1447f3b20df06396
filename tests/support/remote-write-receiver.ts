/**
 * A remote-write receiver for tests that need to see requests or make them fail: it decodes
 * each request as Prometheus does (snappy, then the protobuf WriteRequest) and answers
 * `answer.status`, or never answers ('hang'). Tests that need the real store use Prometheus.
 */
import http from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { deserialize } from 'prometheus-remote-write';

/** The snappy implementation the library itself compresses with. */
const snappy = createRequire(createRequire(import.meta.url).resolve('prometheus-remote-write'))('snappyjs') as {
  uncompress: (data: Uint8Array) => Uint8Array;
};

export type Received = { headers: http.IncomingHttpHeaders; series: Array<{ labels: Array<{ name: string; value: string }>; samples: Array<{ value: number; timestamp: unknown }> }> };

/** A remote-write receiver: answers `status` (or nothing at all), decoding what it is sent. */
export async function startRemoteWriteReceiver(): Promise<{ url: string; received: Received[]; answer: { status: number | 'hang' }; close: () => Promise<void> }> {
  const received: Received[] = [];
  const answer: { status: number | 'hang' } = { status: 204 };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      void (async () => {
        if (answer.status === 'hang') return;
        if (answer.status < 300) {
          const request = (await deserialize(snappy.uncompress(Buffer.concat(chunks)) as unknown as ArrayBufferLike)) as unknown as { timeseries: Received['series'] };
          received.push({ headers: req.headers, series: request.timeseries });
        }
        res.writeHead(answer.status).end(answer.status >= 400 ? 'out of order sample' : '');
      })();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1/write`,
    received,
    answer,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
