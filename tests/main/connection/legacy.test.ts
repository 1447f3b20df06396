/**
 * Legacy Nova end to end: the real reference server in --legacy-nova mode (no handshake, one
 * socket per conversation, every event twice, REST only for sending), and a bare `ws` server
 * that accepts a user-scoped socket but never sends a handshake (the other way to detect it).
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { WebSocketServer } from 'ws';
import { startServer, type ServerHandle } from '../../../server/index';
import { CloseCode } from '../../../src/shared/protocol';
import { systemClock } from '../../../src/main/core/clock';
import { ConnectionService } from '../../../src/main/core/connection';
import { ChangeWindow } from '../../../src/main/core/events';
import { createMemoryLogger } from '../../../src/main/core/logging';
import { Metrics } from '../../../src/main/core/metrics';
import { DEFAULT_TIMING } from '../../../src/main/core/options';
import { startFaultProxy } from '../../support/fault-proxy';
import { api, login } from '../../server/helpers';
import { startBareLink } from './harness';
import { FAST_TIMING, LOADED_TIMEOUT_MS } from '../../support/timing';
import { recordTransitions, type TransitionLog } from '../../support/transitions';

const WAIT = { timeout: LOADED_TIMEOUT_MS, interval: 10 };

let server: ServerHandle;
let direct: string;
let team: string;
let bobToken: string;
const disposers: Array<() => Promise<void> | void> = [];

beforeAll(async () => {
  server = await startServer({ seed: true, bcryptRounds: 4, legacyNova: true });
  if (!server.seed) throw new Error('no seed');
  direct = server.seed.conversations.direct;
  team = server.seed.conversations.team;
  bobToken = (await login(server, 'bob@nova.local')).access_token;
});
afterEach(async () => {
  for (const dispose of disposers.splice(0).reverse()) await dispose();
});
afterAll(async () => {
  await server.close();
});

async function legacyLink(serverUrl = server.url, timing = {}) {
  const bare = await startBareLink(serverUrl, { timing });
  const log = recordTransitions(bare.link);
  const frames: Array<Readonly<Record<string, unknown>>> = [];
  bare.link.onFrame((frame) => frames.push(frame));
  disposers.push(() => {
    log.dispose();
    bare.dispose();
  });
  return { ...bare, log, frames };
}

/** Bob sends through REST (legacy Nova has no WS send) and gets the message id back. */
async function bobSends(conversationId: string): Promise<string> {
  const response = await api(server, 'POST', `/conversations/${conversationId}/messages`, {
    token: bobToken,
    body: { plaintext: 'hello from bob', idempotency_key: randomUUID() },
  });
  expect(response.status).toBe(200);
  return (response.body as { id: string }).id;
}

function copiesOf(frames: ReadonlyArray<Readonly<Record<string, unknown>>>, conversationId: string, messageId: string): number {
  return frames.filter(
    (frame) =>
      frame.type === 'message' &&
      frame.conversation_id === conversationId &&
      (frame.message as { id?: unknown } | undefined)?.id === messageId,
  ).length;
}

async function connected(log: TransitionLog, after = 0): Promise<void> {
  await log.next({ to: 'CONNECTED' }, { after });
}

describe('legacy Nova', () => {
  it('detects it from the 400 and opens one socket per watched conversation, with the header', async () => {
    const link = await legacyLink();
    link.link.watchConversations([direct, team]);
    link.link.start();
    await connected(link.log);
    expect(link.link.capabilities()).toMatchObject({ mode: 'legacy', pingIntervalMs: null });
    expect(link.link.capabilities()?.features.size).toBe(0);
    // The 400 probe is how we learn, not a failure: no RECONNECTING, nothing counted.
    expect(link.log.all().map((t) => `${t.from}>${t.to}`)).toEqual(['CLOSED>CONNECTING', 'CONNECTING>CONNECTED']);
    // Learning legacy mode cost no extra connect.
    expect(link.link.getStats().connects).toBe(1);
    await vi.waitFor(() => expect(server.control.socketCount('alice@nova.local')).toBe(2), WAIT);
  });

  it('passes on messages from both conversation sockets (each twice, as legacy sends them) and does REST', async () => {
    const link = await legacyLink();
    link.link.watchConversations([direct, team]);
    link.link.start();
    await connected(link.log);
    for (const conversationId of [direct, team]) {
      const messageId = await bobSends(conversationId);
      // Deduplication is delivery's job; the link hands on what the server sent.
      await vi.waitFor(() => expect(copiesOf(link.frames, conversationId, messageId)).toBe(2), WAIT);
    }
    const history = await link.link.request('GET', `/conversations/${direct}/messages`);
    expect(history.status).toBe(200);
    expect(Array.isArray(history.body)).toBe(true);
  });

  it('reconnects every conversation socket after the server drops them all', async () => {
    const link = await legacyLink();
    link.link.watchConversations([direct, team]);
    link.link.start();
    await connected(link.log);
    const mark = link.log.mark();
    expect(server.control.dropAllSockets()).toBe(2);
    await link.log.next({ from: 'CONNECTED', to: 'RECONNECTING' }, { after: mark });
    await connected(link.log, mark);
    await vi.waitFor(() => expect(server.control.socketCount('alice@nova.local')).toBe(2), WAIT);
    const messageId = await bobSends(team);
    await vi.waitFor(() => expect(copiesOf(link.frames, team, messageId)).toBe(2), WAIT);
    expect(link.link.getStats().overlappingSockets).toBe(0);
  });

  it('keeps the link alive with protocol pings and notices a blackholed one', async () => {
    const proxy = await startFaultProxy(server.port);
    disposers.push(() => proxy.close());
    const link = await legacyLink(proxy.url, { heartbeatIntervalMs: 300, heartbeatTimeoutMs: 1000 });
    link.link.watchConversations([direct, team]);
    link.link.start();
    await connected(link.log);
    // Legacy Nova ignores JSON pings: a round trip here proves the protocol pings are answered.
    await vi.waitFor(() => expect(link.link.snapshot().lastRttMs).not.toBeNull(), WAIT);
    expect(link.link.getStats().heartbeatTimeouts).toBe(0);
    const mark = link.log.mark();
    proxy.blackhole(true);
    await link.log.next({ from: 'CONNECTED', closeCode: CloseCode.HEARTBEAT_TIMEOUT }, { after: mark });
    proxy.blackhole(false);
    await connected(link.log, mark);
  });

  it('follows the watch list while connected, and leaves out a conversation Nova refuses', async () => {
    const link = await legacyLink();
    const stranger = randomUUID(); // no such conversation: Nova upgrades, then closes without a code
    link.link.watchConversations([direct, stranger]);
    link.link.start();
    await connected(link.log);
    await vi.waitFor(() => expect(server.control.socketCount('alice@nova.local')).toBe(1), WAIT);
    const mark = link.log.mark();
    link.link.watchConversations([direct, stranger, team]);
    await vi.waitFor(() => expect(server.control.socketCount('alice@nova.local')).toBe(2), WAIT);
    const messageId = await bobSends(team);
    await vi.waitFor(() => expect(copiesOf(link.frames, team, messageId)).toBe(2), WAIT);
    link.link.watchConversations([team]);
    await vi.waitFor(() => expect(server.control.socketCount('alice@nova.local')).toBe(1), WAIT);
    // None of this touched the link's state.
    expect(link.log.all().slice(mark)).toEqual([]);
    expect(link.link.state).toBe('CONNECTED');
  });

  it('detects it when a user-scoped socket opens but no handshake comes', async () => {
    const seen: IncomingMessage[] = [];
    const bare = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    bare.on('connection', (_socket, request) => seen.push(request));
    await new Promise<void>((resolve) => bare.once('listening', () => resolve()));
    disposers.push(
      () =>
        new Promise<void>((resolve) => {
          for (const client of bare.clients) client.terminate();
          bare.close(() => resolve());
        }),
    );
    const address = bare.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    const userId = randomUUID();
    const conversations = [randomUUID(), randomUUID()];
    const link = new ConnectionService({
      serverUrl: `http://127.0.0.1:${port}`,
      // This server checks no token; the link must still present one on every socket.
      auth: {
        userId: () => userId,
        currentAccessToken: () => 'token-1',
        freshAccessToken: () => Promise.resolve('token-1'),
        refresh: () => Promise.resolve('token-1'),
        request: () => Promise.reject(new Error('no REST here')),
      },
      clock: systemClock,
      random: Math.random,
      timing: { ...DEFAULT_TIMING, ...FAST_TIMING, handshakeWaitMs: 300 },
      log: createMemoryLogger(),
      metrics: new Metrics({ defaultMetrics: false }),
      changes: new ChangeWindow(systemClock, DEFAULT_TIMING.eventBatchMs),
    });
    const log = recordTransitions(link);
    disposers.push(() => {
      log.dispose();
      link.dispose();
    });
    link.watchConversations(conversations);
    link.start();
    await connected(log);
    expect(link.capabilities()?.mode).toBe('legacy');
    const urls = seen.map((request) => new URL(request.url ?? '', 'http://x'));
    expect(urls[0]?.searchParams.get('conversation_id')).toBeNull();
    const perConversation = urls.slice(1).map((url) => [url.searchParams.get('conversation_id'), url.searchParams.get('user_id')]);
    expect(perConversation.sort()).toEqual(conversations.map((id) => [id, userId]).sort());
    expect(seen.every((request) => request.headers.authorization === 'Bearer token-1')).toBe(true);
    expect(seen.every((request) => !(request.url ?? '').includes('token'))).toBe(true);
    expect(log.all().map((t) => t.to)).toEqual(['CONNECTING', 'CONNECTED']);
  });
});
