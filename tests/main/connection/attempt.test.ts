/**
 * The per-dial Attempt over a real `ws` socket to a bare server on 127.0.0.1:0, its timers on a
 * manual clock: what it reports, and that an ended attempt leaves no timer and reports nothing.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { CloseCode } from '../../../src/shared/protocol';
import { Attempt, type AttemptEvents } from '../../../src/main/core/connection/attempt';
import { createMemoryLogger } from '../../../src/main/core/logging';
import { Metrics } from '../../../src/main/core/metrics';
import { RejectedData } from '../../../src/main/core/server-data';
import { ManualClock } from '../../support/clock';
import { sampleValue } from '../metrics/exposition';

const HANDSHAKE = {
  type: 'protocol_handshake',
  protocol_version: '1.0',
  server_capabilities: { max_payload_size: 1_048_576, ping_interval_ms: 30_000, supported_events: [], features: ['json_ping'] },
  connection_id: 'c-1',
  user_id: 'u-1',
  timestamp: '2025-01-01T00:00:00.000Z',
};

let server: WebSocketServer;
let url = '';
/** What the server does with each new socket. */
let greet: (socket: WebSocket) => void = () => undefined;
const sockets: WebSocket[] = [];
/** The server's end of the latest socket. */
let peer: WebSocket | null = null;

beforeAll(async () => {
  server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  server.on('connection', (socket) => {
    peer = socket;
    greet(socket);
  });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  const address = server.address();
  url = `ws://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`;
});
afterEach(() => {
  for (const socket of sockets.splice(0)) socket.terminate();
  greet = () => undefined;
});
afterAll(async () => {
  for (const client of server.clients) client.terminate();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

type Seen = { event: string; detail?: unknown }[];

function open(clock: ManualClock): { attempt: Attempt; seen: Seen; metrics: Metrics } {
  const seen: Seen = [];
  const socket = new WebSocket(url);
  socket.on('error', () => undefined);
  sockets.push(socket);
  const events: AttemptEvents = {
    connected: (_attempt, capabilities) => seen.push({ event: 'connected', detail: capabilities.mode }),
    handshakeMissing: () => seen.push({ event: 'handshakeMissing' }),
    stable: () => seen.push({ event: 'stable' }),
    pong: () => seen.push({ event: 'pong' }),
    frame: (_attempt, frame) => seen.push({ event: 'frame', detail: frame.type }),
    closed: (_attempt, code) => seen.push({ event: 'closed', detail: code }),
    socketOpened: () => seen.push({ event: 'socketOpened' }),
    socketClosed: () => seen.push({ event: 'socketClosed' }),
  };
  const metrics = new Metrics({ defaultMetrics: false });
  const log = createMemoryLogger();
  const attempt = new Attempt(socket, 'token-1', {
    clock,
    log,
    metrics,
    rejected: new RejectedData(metrics, log),
    handshakeWaitMs: 2000,
    stableAfterMs: 10_000,
    events,
  });
  return { attempt, seen, metrics };
}

const names = (seen: Seen): string[] => seen.map((entry) => entry.event);

describe('Attempt', () => {
  it('counts a frame it could not put on a socket that is closing as send_failed, and keeps nothing of it', async () => {
    greet = (socket) => socket.send(JSON.stringify(HANDSHAKE));
    const { attempt, seen, metrics } = open(new ManualClock());
    await vi.waitFor(() => expect(names(seen)).toContain('connected'));
    const frame = { type: 'typing', conversation_id: 'c', is_typing: true } as const;
    expect(attempt.send(frame)).toBe(true);
    expect(sampleValue(await metrics.snapshot(), 'ws_errors_total', { error_type: 'send_failed' })).toBe(0);
    attempt.socket.close();
    expect(attempt.send(frame)).toBe(false);
    expect(sampleValue(await metrics.snapshot(), 'ws_errors_total', { error_type: 'send_failed' })).toBe(1);
  });

  it('reports the handshake, then frames, and proves itself stable after the set time', async () => {
    greet = (socket) => socket.send(JSON.stringify(HANDSHAKE));
    const clock = new ManualClock();
    const { attempt, seen } = open(clock);
    await vi.waitFor(() => expect(names(seen)).toContain('connected'));
    // Delivery's frames flow once the service has marked the attempt connected.
    attempt.markConnected({ mode: 'compat', features: new Set(), maxPayloadBytes: 1, pingIntervalMs: null });
    expect(attempt.isUsable).toBe(true);
    peer?.send(JSON.stringify({ type: 'sync_complete', conversation_id: 'c', last_seq: 1, has_more: false }));
    await vi.waitFor(() => expect(seen).toContainEqual({ event: 'frame', detail: 'sync_complete' }));
    clock.advance(9_999);
    expect(names(seen)).not.toContain('stable');
    clock.advance(1);
    expect(names(seen)).toContain('stable');
    expect(clock.pending()).toBe(0);
  });

  it('reports a missing handshake after the wait, and nothing once ended', async () => {
    const clock = new ManualClock();
    const first = open(clock);
    await vi.waitFor(() => expect(names(first.seen)).toEqual(['socketOpened']));
    clock.advance(2000);
    expect(names(first.seen)).toEqual(['socketOpened', 'handshakeMissing']);

    const second = open(clock);
    await vi.waitFor(() => expect(names(second.seen)).toEqual(['socketOpened']));
    const outcome = second.attempt.end({ code: CloseCode.NORMAL, reason: 'legacy Nova' });
    expect(outcome).toMatchObject({ wasConnected: false, refusal: null, cause: { code: CloseCode.NORMAL, errorFrame: null, restartHint: null } });
    // Its handshake wait is gone with it: a new attempt starts clean instead of inheriting it.
    expect(clock.pending()).toBe(0);
    clock.advance(5000);
    second.attempt.socket.close();
    await vi.waitFor(() => expect(names(second.seen)).toContain('socketClosed'));
    expect(names(second.seen)).toEqual(['socketOpened', 'socketClosed']);
  });

  it('keeps what the server said for the close policy: the error frame, the restart hint, its own drop', async () => {
    greet = (socket) => socket.send(JSON.stringify(HANDSHAKE));
    const clock = new ManualClock();
    const { attempt, seen } = open(clock);
    await vi.waitFor(() => expect(names(seen)).toContain('connected'));
    attempt.markConnected({ mode: 'compat', features: new Set(), maxPayloadBytes: 1, pingIntervalMs: null });
    peer?.send(JSON.stringify({ type: 'reconnect', retry_after_ms: 100, spread_ms: 50 }));
    peer?.send(JSON.stringify({ type: 'error', error_code: 'RATE_LIMITED', error_code_version: '1.0', message: 'slow', retry_after_ms: 6000 }));
    // The restart hint is the link's own business; the error frame also goes on to delivery.
    await vi.waitFor(() => expect(seen).toContainEqual({ event: 'frame', detail: 'error' }));
    expect(seen.filter((entry) => entry.event === 'frame')).toEqual([{ event: 'frame', detail: 'error' }]);
    attempt.dropWith({ code: CloseCode.HEARTBEAT_TIMEOUT, reason: 'heartbeat timeout' });
    await vi.waitFor(() => expect(names(seen)).toContain('closed'));
    expect(attempt.dropCause).toEqual({ code: CloseCode.HEARTBEAT_TIMEOUT, reason: 'heartbeat timeout' });
    const outcome = attempt.end(attempt.dropCause ?? { code: 0, reason: '' });
    expect(outcome.wasConnected).toBe(true);
    expect(outcome.cause).toMatchObject({
      code: CloseCode.HEARTBEAT_TIMEOUT,
      errorFrame: { code: 'RATE_LIMITED', retryAfterMs: 6000 },
      restartHint: { retryAfterMs: 100, spreadMs: 50 },
    });
    expect(attempt.capabilities).toBeNull();
    expect(clock.pending()).toBe(0);
  });
});
