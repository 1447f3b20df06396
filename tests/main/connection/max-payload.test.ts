/**
 * A frame over the client's maxPayload: a real `ws` server on 127.0.0.1:0 sends one to the real
 * ConnectionService. The socket is closed with 1009, the reason is counted, and the link dials
 * again; a frame just under the bound is read as usual.
 */
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer, type WebSocket } from 'ws';
import { FEATURES } from '../../../src/shared/protocol';
import { systemClock } from '../../../src/main/core/clock';
import { ConnectionService } from '../../../src/main/core/connection';
import { MAX_INCOMING_FRAME_BYTES } from '../../../src/main/core/connection/dialer';
import { ChangeWindow } from '../../../src/main/core/events';
import { createMemoryLogger } from '../../../src/main/core/logging';
import { Metrics } from '../../../src/main/core/metrics';
import { DEFAULT_TIMING } from '../../../src/main/core/options';
import { parseExposition } from '../metrics/exposition';
import { FAST_TIMING } from '../../support/timing';
import { recordTransitions } from '../../support/transitions';

const USER = randomUUID();
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function rig() {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  const peers: WebSocket[] = [];
  const closes: number[] = [];
  server.on('connection', (socket) => {
    peers.push(socket);
    socket.on('close', (code) => closes.push(code));
    socket.send(
      JSON.stringify({
        type: 'protocol_handshake',
        protocol_version: '1.0',
        server_capabilities: { max_payload_size: 1_048_576, ping_interval_ms: 600_000, supported_events: ['message'], features: [...FEATURES] },
        connection_id: `c${peers.length}`,
        user_id: USER,
        timestamp: new Date().toISOString(),
      }),
    );
  });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  const metrics = new Metrics({ defaultMetrics: false });
  const link = new ConnectionService({
    serverUrl: `http://127.0.0.1:${port}`,
    auth: {
      userId: () => USER,
      currentAccessToken: () => 'token',
      freshAccessToken: () => Promise.resolve('token'),
      refresh: () => Promise.resolve('token'),
      request: () => Promise.reject(new Error('no REST here')),
    },
    clock: systemClock,
    random: Math.random,
    timing: { ...DEFAULT_TIMING, ...FAST_TIMING, heartbeatIntervalMs: 600_000 },
    log: createMemoryLogger(),
    metrics,
    changes: new ChangeWindow(systemClock, DEFAULT_TIMING.eventBatchMs),
  });
  const transitions = recordTransitions(link);
  cleanups.push(async () => {
    transitions.dispose();
    link.dispose();
    for (const client of server.clients) client.terminate();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  const tooLarge = async (): Promise<number> =>
    parseExposition(await metrics.snapshot()).find((s) => s.name === 'ws_errors_total' && s.labels['error_type'] === 'too_large')?.value ?? 0;
  return { link, peers, closes, transitions, tooLarge };
}

/** A valid `subscribed` frame padded to `bytes` with an ignored field. */
function paddedFrame(bytes: number): string {
  const head = JSON.stringify({ type: 'subscribed', conversation_ids: ['c1'], pad: '' });
  return head.replace('"pad":""', `"pad":"${'x'.repeat(bytes - head.length)}"`);
}

describe('incoming frame size bound', () => {
  it('is about 2 MiB', () => {
    expect(MAX_INCOMING_FRAME_BYTES).toBe(2 * 1024 * 1024);
  });

  it('a frame over it closes the socket with 1009, is counted as too_large, and the link dials again', async () => {
    const { link, peers, closes, transitions, tooLarge } = await rig();
    link.start();
    await transitions.next({ to: 'CONNECTED' });
    const frames: string[] = [];
    link.onFrame((frame) => frames.push(frame.type));

    peers[0]!.send(paddedFrame(MAX_INCOMING_FRAME_BYTES - 1024));
    await expect.poll(() => frames).toEqual(['subscribed']);
    expect(await tooLarge()).toBe(0);

    const mark = transitions.mark();
    peers[0]!.send(paddedFrame(MAX_INCOMING_FRAME_BYTES + 1));
    await expect.poll(() => closes).toEqual([1009]);
    await expect.poll(tooLarge).toBe(1);
    expect(frames).toEqual(['subscribed']);
    await transitions.next({ to: 'CONNECTED' }, { after: mark });
    expect(peers).toHaveLength(2);
  });
});
