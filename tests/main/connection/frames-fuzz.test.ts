/**
 * Garbage and near-valid frames through the real link: a real `ws` server on 127.0.0.1:0 sends
 * them to the real ConnectionService, mixed with valid frames. Whatever comes, a frame listener
 * only ever sees values that satisfy ServerFrameSchema, every bad frame is counted, each kind is
 * logged once, the valid frames still arrive in order, and the link stays CONNECTED.
 */
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocketServer, type WebSocket } from 'ws';
import { ERROR_CODES, FEATURES, ServerFrameSchema, type ServerFrame } from '../../../src/shared/protocol';
import { systemClock } from '../../../src/main/core/clock';
import { ConnectionService } from '../../../src/main/core/connection';
import { ChangeWindow } from '../../../src/main/core/events';
import { createMemoryLogger } from '../../../src/main/core/logging';
import { Metrics } from '../../../src/main/core/metrics';
import { DEFAULT_TIMING } from '../../../src/main/core/options';
import { parseExposition } from '../metrics/exposition';
import { FAST_TIMING, LOADED_TIMEOUT_MS } from '../../support/timing';
import { recordTransitions, type TransitionLog } from '../../support/transitions';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };
/** What the server puts on the wire: a text frame, or a binary one. */
type Wire = Readonly<{ text: string } | { bytes: Uint8Array }>;

/** Frames the link consumes itself and does not hand on. */
const CONSUMED: ReadonlySet<string> = new Set(['protocol_handshake', 'pong', 'reconnect']);
/** A ping interval no test run reaches, so no heartbeat traffic mixes with the fuzz. */
const QUIET_MS = 600_000;

const USER = randomUUID();

// ---- Valid frames ----------------------------------------------------------------------------

const id = fc.oneof(fc.uuid(), fc.string({ minLength: 1, maxLength: 24 }));
const seq = fc.nat({ max: 1_000_000 });
const timestamp = fc.date({ noInvalidDate: true, min: new Date(0), max: new Date(4e12) }).map((date) => date.toISOString());
const message = fc.record(
  {
    id,
    sender_id: id,
    sequence_number: seq,
    created_at: timestamp,
    conversation_id: id,
    plaintext: fc.string({ maxLength: 40 }),
    idempotency_key: fc.option(fc.uuid()),
    client_seq: fc.option(fc.integer({ min: 1, max: 10_000 })),
  },
  // Legacy Nova's messages carry only the first three.
  { requiredKeys: ['id', 'sender_id', 'sequence_number'] },
);

const validFrame: fc.Arbitrary<JsonObject> = fc.oneof(
  fc.record({ type: fc.constant('message'), conversation_id: id, message, replay: fc.boolean() }, { requiredKeys: ['type', 'conversation_id', 'message'] }),
  fc.record(
    {
      type: fc.constant('ack'),
      idempotency_key: fc.uuid(),
      status: fc.constantFrom('accepted', 'duplicate'),
      conversation_id: id,
      message: fc.record({ id, sequence_number: seq }),
      client_seq: fc.integer({ min: 1, max: 10_000 }),
    },
    { requiredKeys: ['type', 'idempotency_key', 'status'] },
  ),
  fc.record(
    {
      type: fc.constant('nack'),
      idempotency_key: fc.uuid(),
      conversation_id: id,
      code: fc.constantFrom(...ERROR_CODES),
      error: fc.string({ maxLength: 30 }),
      retryable: fc.boolean(),
      retry_after_ms: fc.nat(),
      expected_client_seq: fc.integer({ min: 1, max: 10_000 }),
    },
    { requiredKeys: ['type', 'idempotency_key', 'conversation_id', 'code', 'error', 'retryable'] },
  ),
  fc.record({ type: fc.constant('sync_complete'), conversation_id: id, last_seq: seq, has_more: fc.boolean() }),
  fc.record({ type: fc.constant('read_receipt'), conversation_id: id, user_id: id, timestamp, last_read_seq: seq }, { requiredKeys: ['type', 'conversation_id', 'user_id', 'timestamp'] }),
  fc.record({ type: fc.constant('typing'), conversation_id: id, user_id: id, is_typing: fc.boolean() }),
  fc.record({ type: fc.constant('message_edited'), conversation_id: id, message_id: id, timestamp, sequence_number: seq, plaintext: fc.string({ maxLength: 30 }) }, { requiredKeys: ['type', 'conversation_id', 'message_id', 'timestamp'] }),
  fc.record({ type: fc.constant('message_deleted'), conversation_id: id, message_id: id, timestamp }),
  fc.record({ type: fc.constant('subscribed'), conversation_ids: fc.array(id, { maxLength: 3 }) }),
  fc.record({ type: fc.constant('presence'), user_id: id, status: fc.constantFrom('online', 'offline') }),
  fc.record({ type: fc.constant('error'), error_code: fc.constantFrom(...ERROR_CODES), error_code_version: fc.constant('1.0'), message: fc.string({ maxLength: 30 }) }),
  fc.record({ type: fc.constant('pong'), ts: fc.nat(), server_ts: fc.nat() }),
  fc.record({ type: fc.constant('reconnect'), retry_after_ms: fc.nat(), spread_ms: fc.nat() }),
  fc.constant(handshake()),
);

// ---- Near-valid and garbage --------------------------------------------------------------------

const wrongValue: fc.Arbitrary<Json> = fc.oneof(
  fc.string({ maxLength: 10 }),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.nat(), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.nat(), { maxKeys: 2 }),
);
const hugeNumber = fc.constantFrom(2 ** 60, 1e300, -1, 0.5, Number.MAX_VALUE);

/** Paths into a frame: its own keys, and the keys of a nested object (the message of a message). */
function pathsOf(frame: JsonObject): string[][] {
  return Object.entries(frame).flatMap(([key, value]) =>
    value !== null && typeof value === 'object' && !Array.isArray(value) ? [[key], ...Object.keys(value).map((inner) => [key, inner])] : [[key]],
  );
}

function withValue(frame: JsonObject, path: readonly string[], value: Json | undefined): JsonObject {
  const copy = structuredClone(frame);
  let target: JsonObject = copy;
  for (const key of path.slice(0, -1)) target = target[key] as JsonObject;
  const last = path.at(-1) ?? '';
  if (value === undefined) delete target[last];
  else target[last] = value;
  return copy;
}

const mutated: fc.Arbitrary<JsonObject> = validFrame.chain((frame) => {
  const path = fc.constantFrom(...pathsOf(frame));
  return fc.oneof(
    path.map((at) => withValue(frame, at, undefined)),
    fc.tuple(path, wrongValue).map(([at, value]) => withValue(frame, at, value)),
    fc.tuple(path, hugeNumber).map(([at, value]) => withValue(frame, at, value)),
    fc.tuple(fc.string({ minLength: 1, maxLength: 8 }), fc.jsonValue({ maxDepth: 2 })).map(([key, value]) => ({ ...frame, [key]: value as Json })),
    fc.oneof(fc.constantFrom('message', 'ack', 'nack', 'error', 'send', 'sync', 'protocol_handshake'), fc.string({ maxLength: 12 })).map((type) => ({ ...frame, type })),
  );
});

const wire: fc.Arbitrary<Wire> = fc.oneof(
  { weight: 3, arbitrary: validFrame.map((frame) => ({ text: JSON.stringify(frame) })) },
  { weight: 6, arbitrary: mutated.map((frame) => ({ text: JSON.stringify(frame) })) },
  // JSON turns 1e400 into Infinity, which no number field accepts.
  { weight: 1, arbitrary: validFrame.map((frame) => ({ text: JSON.stringify(frame).replace(/:(\d+)([,}])/, ':1e400$2') })) },
  { weight: 1, arbitrary: fc.string({ maxLength: 40 }).map((text) => ({ text })) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((value) => ({ text: JSON.stringify(value) ?? 'null' })) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 32 }).map((bytes) => ({ bytes })) },
);

function handshake(): JsonObject {
  return {
    type: 'protocol_handshake',
    protocol_version: '1.0',
    server_capabilities: {
      max_payload_size: 1_048_576,
      ping_interval_ms: QUIET_MS,
      supported_events: ['message', 'ack', 'nack'],
      features: [...FEATURES],
    },
    connection_id: 'fuzz',
    user_id: USER,
    timestamp: new Date().toISOString(),
  };
}

/** What the link must make of a wire frame: the frame a listener gets, 'consumed', or 'rejected'. */
function expectedOf(item: Wire): ServerFrame | 'consumed' | 'rejected' {
  if (!('text' in item)) return 'rejected';
  let value: unknown;
  try {
    value = JSON.parse(item.text);
  } catch {
    return 'rejected';
  }
  const parsed = ServerFrameSchema.safeParse(value);
  if (!parsed.success) return 'rejected';
  return CONSUMED.has(parsed.data.type) ? 'consumed' : parsed.data;
}

// ---- The rig: a bare ws server and the real link ----------------------------------------------

let server: WebSocketServer;
let peer: WebSocket | null = null;
let link: ConnectionService;
let transitions: TransitionLog;
const metrics = new Metrics({ defaultMetrics: false });
const logger = createMemoryLogger();
const received: ServerFrame[] = [];
const invalidSeen: unknown[] = [];

beforeAll(async () => {
  server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  server.on('connection', (socket) => {
    peer = socket;
    socket.send(JSON.stringify(handshake()));
  });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  link = new ConnectionService({
    serverUrl: `http://127.0.0.1:${port}`,
    // This server checks no token; auth is not what is under test.
    auth: {
      userId: () => USER,
      currentAccessToken: () => 'token',
      freshAccessToken: () => Promise.resolve('token'),
      refresh: () => Promise.resolve('token'),
      request: () => Promise.reject(new Error('no REST here')),
    },
    clock: systemClock,
    random: Math.random,
    timing: { ...DEFAULT_TIMING, ...FAST_TIMING, heartbeatIntervalMs: QUIET_MS },
    log: logger,
    metrics,
    changes: new ChangeWindow(systemClock, DEFAULT_TIMING.eventBatchMs),
  });
  link.onFrame((frame) => {
    if (!ServerFrameSchema.safeParse(frame).success) invalidSeen.push(frame);
    received.push(frame);
  });
  transitions = recordTransitions(link);
  link.start();
  await transitions.next({ to: 'CONNECTED' });
});

afterAll(async () => {
  transitions.dispose();
  link.dispose();
  for (const client of server.clients) client.terminate();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

async function rejectedTotal(): Promise<number> {
  return parseExposition(await metrics.snapshot())
    .filter((sample) => sample.name === 'ws_frames_rejected_total')
    .reduce((sum, sample) => sum + sample.value, 0);
}

/** Sends the batch and then a marker frame, and resolves once the marker came through. */
async function push(batch: readonly Wire[]): Promise<ServerFrame[]> {
  const socket = peer;
  if (socket === null) throw new Error('no server socket');
  const from = received.length;
  const marker = { type: 'subscribed', conversation_ids: [randomUUID()] } as const;
  for (const item of batch) {
    if ('text' in item) socket.send(item.text);
    else socket.send(item.bytes, { binary: true });
  }
  socket.send(JSON.stringify(marker));
  const deadline = Date.now() + LOADED_TIMEOUT_MS;
  while (!received.slice(from).some((frame) => frame.type === 'subscribed' && frame.conversation_ids[0] === marker.conversation_ids[0])) {
    if (Date.now() > deadline) throw new Error('the marker frame never arrived');
    await new Promise((resolve) => setImmediate(resolve));
  }
  return received.slice(from, -1);
}

describe('frames through the real link', () => {
  it('hands on only valid frames, counts every bad one, and stays connected', async () => {
    const connectedAt = transitions.mark();
    let rejectedExpected = 0;
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(wire, { minLength: 1, maxLength: 8 }), async (batch) => {
        runs += 1;
        const before = await rejectedTotal();
        const outcomes = batch.map(expectedOf);
        const arrived = await push(batch);
        const bad = outcomes.filter((outcome) => outcome === 'rejected').length;
        rejectedExpected += bad;
        expect(invalidSeen).toEqual([]);
        expect(arrived).toEqual(outcomes.filter((outcome): outcome is ServerFrame => typeof outcome === 'object'));
        expect((await rejectedTotal()) - before).toBe(bad);
        expect(link.state).toBe('CONNECTED');
      }),
      { numRuns: 200, endOnFailure: true },
    );
    expect(runs).toBe(200);
    // The property must have been tested with bad frames, not only good ones.
    expect(rejectedExpected).toBeGreaterThan(200);
    expect(transitions.all().slice(connectedAt)).toEqual([]);
    expect(link.getStats()).toMatchObject({ socketsCreated: 1, connects: 1 });
    // Each kind (reason and frame type) is logged once, however often it came.
    const kinds = parseExposition(await metrics.snapshot()).filter((sample) => sample.name === 'ws_frames_rejected_total' && sample.value > 0);
    const logged = logger.records.filter((record) => record.level === 'warn' && record.message.startsWith('frame: dropped'));
    expect(logged).toHaveLength(kinds.length);
  }, 120_000);
});
