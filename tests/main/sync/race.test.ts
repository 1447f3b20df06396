/**
 * The race the issue names: a live `message` frame, a sync page and an `ack` for the same own
 * message, arriving in any order (and any of them lost or repeated), with store commits landing
 * anywhere in between. fast-check's scheduler picks the interleaving; the store is real SQLite.
 *
 * The server side is scripted here, not the reference server: only a script can hand frames over
 * in an order of our choosing. Every frame it produces is checked against the protocol schemas,
 * so the script cannot drift from what a server may send.
 */
import fs from 'node:fs';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import type { Unsubscribe } from '../../../src/shared/contract';
import { AckFrameSchema, MessageFrameSchema, SyncCompleteFrameSchema, type ClientFrame, type Message, type ServerFrame } from '../../../src/shared/protocol';
import type { BodyReader, LinkResponse, ParsedResponse, ServerCapabilities, ServerLink } from '../../../src/main/core/link';
import { createMemoryLogger, type LogRecord } from '../../../src/main/core/logging';
import { parseResponse } from '../../../src/main/core/server-data';
import { createCoreForTests, type TestCore } from '../../../src/main/core/testing';
import { makeTempDir } from '../../support/core';

const ALICE = '00000000-0000-4000-8000-00000000a11c';
const BOB = '00000000-0000-4000-8000-000000000b0b';
const CONVERSATION = '00000000-0000-4000-8000-0000000c0111';
const CAPABILITIES: ServerCapabilities = {
  mode: 'compat',
  features: new Set(['json_ping', 'ws_send', 'ws_sync', 'gapless_seq', 'client_seq']),
  maxPayloadBytes: 1_048_576,
  pingIntervalMs: 30_000,
};

/** A link whose every incoming frame is handed over by the scheduler, in the order it picks. */
class ScriptedLink implements ServerLink {
  readonly sent: ClientFrame[] = [];
  private readonly frameListeners = new Set<(frame: ServerFrame) => void>();
  private readonly connectListeners = new Set<(capabilities: ServerCapabilities) => void>();
  onSync: (frame: ClientFrame & { type: 'sync' }) => void = () => undefined;
  private connected = false;
  constructor(private readonly lastSeq: () => number) {}
  currentUserId(): string | null {
    return ALICE;
  }
  capabilities(): ServerCapabilities | null {
    return this.connected ? CAPABILITIES : null;
  }
  onDidConnect(listener: (capabilities: ServerCapabilities) => void): Unsubscribe {
    this.connectListeners.add(listener);
    return () => this.connectListeners.delete(listener);
  }
  onDidDisconnect(): Unsubscribe {
    return () => undefined;
  }
  onFrame(listener: (frame: ServerFrame) => void): Unsubscribe {
    this.frameListeners.add(listener);
    return () => this.frameListeners.delete(listener);
  }
  sendFrame(frame: ClientFrame): boolean {
    this.sent.push(frame);
    if (frame.type === 'sync') this.onSync(frame);
    return true;
  }
  request(method: string, path: string): Promise<LinkResponse> {
    if (method === 'GET' && path.startsWith('/conversations?')) {
      return Promise.resolve({
        status: 200,
        headers: {},
        body: { conversations: [{ id: CONVERSATION, type: 'group', name: 'Race', last_seq: this.lastSeq(), unread_count: 0 }] },
      });
    }
    return Promise.resolve({ status: 404, headers: {}, body: null });
  }
  async requestParsed<T>(reader: BodyReader<T>, method: string, path: string): Promise<ParsedResponse<T>> {
    return parseResponse(reader, await this.request(method, path));
  }
  watchConversations(): void {}
  connect(): void {
    this.connected = true;
    for (const listener of [...this.connectListeners]) listener(CAPABILITIES);
  }
  deliver(frame: ServerFrame): void {
    for (const listener of [...this.frameListeners]) listener(frame);
  }
}

type Variant = Readonly<{
  /** Each live frame may be lost on the way (then only the ack or a sync page tells). */
  liveOwn: boolean;
  liveBefore: boolean;
  /** A message from Bob after ours; its live frame opens a gap when the ones before are lost. */
  after: boolean;
  liveAfter: boolean;
  /** Legacy-style echoes carry no idempotency key: only the server id links them to the ack. */
  echoKeyed: boolean;
  /** Lost: the live echo is then the only word from the server (so it is delivered, keyed). */
  ack: 'once' | 'twice' | 'lost';
  /** Reads in between, each of which commits the batched writes at that point. */
  reads: number;
}>;

const variants: fc.Arbitrary<Variant> = fc
  .record({
    liveOwn: fc.boolean(),
    liveBefore: fc.boolean(),
    after: fc.boolean(),
    liveAfter: fc.boolean(),
    echoKeyed: fc.boolean(),
    ack: fc.constantFrom('once' as const, 'twice' as const, 'lost' as const),
    reads: fc.integer({ min: 0, max: 3 }),
  })
  .map((v) => (v.ack === 'lost' ? { ...v, liveOwn: true, echoKeyed: true } : v));

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

async function makeCore(link: ScriptedLink): Promise<{ core: TestCore; records: LogRecord[] }> {
  const dataDir = makeTempDir('nova-race-');
  const log = createMemoryLogger();
  const core = createCoreForTests({
    dataDir,
    serverUrl: 'http://127.0.0.1:9',
    link,
    logger: log,
    metricsPort: 'off',
    random: () => 0.5,
    // Nothing here may time out: the scheduler decides when each answer comes.
    timing: { eventBatchMs: 1, ackTimeoutMs: 60_000, syncTimeoutMs: 60_000 },
  });
  cleanups.push(async () => {
    await core.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });
  await core.start();
  return { core, records: log.records };
}

async function runRace(s: fc.Scheduler, variant: Variant): Promise<void> {
  // The server's conversation after our send: Bob's message 1, ours 2, maybe Bob's 3.
  const server: Message[] = [];
  const link = new ScriptedLink(() => server.length);
  const { core, records } = await makeCore(link);
  const { db } = core;

  const messageFrame = (message: Message, replay: boolean): ServerFrame => {
    const withKey = variant.echoKeyed || replay ? message : { ...message, idempotency_key: null };
    return MessageFrameSchema.parse({ type: 'message', conversation_id: CONVERSATION, message: withKey, ...(replay ? { replay: true } : {}) });
  };
  // A sync is answered with everything after its cursor, as one ordered burst on the socket.
  link.onSync = (frame) => {
    const after = frame.after_seq;
    const page = server.filter((m) => m.sequence_number > after);
    const complete = SyncCompleteFrameSchema.parse({ type: 'sync_complete', conversation_id: CONVERSATION, last_seq: server.length, has_more: false });
    void s.schedule(Promise.resolve(), `sync page after ${after}`).then(() => {
      for (const message of page) link.deliver(messageFrame(message, true));
      link.deliver(complete);
    });
  };

  const view = await core.handlers['messages:send']({ conversationId: CONVERSATION, text: 'race' });
  link.connect();
  // Connect: conversation list (a resolved request), then the first sync, then the lane sends.
  for (let round = 0; round < 20 && !link.sent.some((f) => f['type'] === 'send'); round += 1) {
    await s.waitIdle();
    await new Promise((resolve) => setImmediate(resolve));
  }
  const send = link.sent.find((f) => f['type'] === 'send');
  expect(send?.['idempotency_key']).toBe(view.key);

  const at = new Date(0).toISOString();
  const before: Message = { id: 'srv-1', sender_id: BOB, sequence_number: 1, created_at: at, conversation_id: CONVERSATION, plaintext: 'bob first', idempotency_key: null };
  const own: Message = {
    id: 'srv-2',
    sender_id: ALICE,
    sequence_number: 2,
    created_at: at,
    conversation_id: CONVERSATION,
    plaintext: 'race',
    idempotency_key: view.key,
    client_seq: send?.['client_seq'] as number,
  };
  const after: Message = { id: 'srv-3', sender_id: BOB, sequence_number: 3, created_at: at, conversation_id: CONVERSATION, plaintext: 'bob after', idempotency_key: null };
  server.push(before, own, ...(variant.after ? [after] : []));

  const ack = (status: 'accepted' | 'duplicate'): ServerFrame =>
    AckFrameSchema.parse({
      type: 'ack',
      idempotency_key: view.key,
      status,
      conversation_id: CONVERSATION,
      message: { id: own.id, sequence_number: own.sequence_number, created_at: at },
      client_seq: own.client_seq,
    });
  const arrivals: [string, () => void][] = [];
  if (variant.ack !== 'lost') arrivals.push(['ack', () => link.deliver(ack('accepted'))]);
  if (variant.ack === 'twice') arrivals.push(['ack again', () => link.deliver(ack('duplicate'))]);
  if (variant.liveBefore) arrivals.push(['live 1', () => link.deliver(messageFrame(before, false))]);
  if (variant.liveOwn) arrivals.push(['live 2 (own)', () => link.deliver(messageFrame(own, false))]);
  if (variant.after && variant.liveAfter) arrivals.push(['live 3', () => link.deliver(messageFrame(after, false))]);
  for (let i = 0; i < variant.reads; i += 1) arrivals.push([`read ${i}`, () => void core.getPendingCount()]);
  for (const [label, arrive] of arrivals) void s.schedule(Promise.resolve(), label).then(arrive);
  // Whatever the order, a gap seen on the way may start a sync; its page is scheduled too.
  for (let round = 0; round < 10 && s.count() > 0; round += 1) {
    await s.waitIdle();
    core.getPendingCount();
    await new Promise((resolve) => setImmediate(resolve));
  }
  await core.delivery.whenSynced();
  expect(core.getPendingCount()).toBe(0);

  const rows = db
    .prepare('SELECT key, server_id AS serverId, seq, text FROM messages WHERE owner_id = ? ORDER BY sort_seq')
    .all(ALICE) as { key: string; serverId: string | null; seq: number | null; text: string }[];
  const mine = rows.filter((row) => row.key === view.key || row.serverId === own.id);
  expect(mine).toEqual([{ key: view.key, serverId: own.id, seq: own.sequence_number, text: 'race' }]);
  // One row per server message, whatever arrived twice.
  const ids = rows.map((row) => row.serverId);
  expect(ids.every((id) => id !== null)).toBe(true);
  expect(new Set(ids).size).toBe(rows.length);
  expect(db.prepare('SELECT COUNT(*) FROM outbox').pluck().get()).toBe(0);
  // Healing by a later sync does not count: no write may have failed on the way.
  expect(records.filter((record) => record.level === 'error').map((record) => record.message)).toEqual([]);
  const page = await core.handlers['messages:list']({ conversationId: CONVERSATION });
  const shown = page.messages.filter((m) => m.key === view.key);
  expect(shown.map((m) => [m.state, m.serverId, m.seq])).toEqual([['sent', own.id, own.sequence_number]]);
}

describe('live frame vs sync page vs ack for the same message', () => {
  it('every interleaving ends in one row with the server id and sequence number', async () => {
    await fc.assert(
      fc.asyncProperty(fc.scheduler(), variants, async (s, variant) => {
        try {
          await runRace(s, variant);
        } finally {
          for (const cleanup of cleanups.splice(0)) await cleanup();
        }
      }),
      { numRuns: 200, endOnFailure: true },
    );
  }, 60_000);
});
