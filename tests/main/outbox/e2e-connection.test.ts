/**
 * End to end through the real connection: createCore without a test link, so delivery talks to
 * the real ConnectionService and AuthService, through the TCP fault proxy, to the reference
 * server. These are the "no message lost or duplicated" checks the connection's fault tests
 * rely on: every assertion about delivery is made on the server's own store.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Message } from '../../../src/shared/protocol';
import { ALICE, startRealCoreRig, type RealCoreRig } from '../../support/real-core';

let rig: RealCoreRig | null = null;
afterEach(async () => {
  await rig?.cleanup();
  rig = null;
});

async function signedInRig(options: Parameters<typeof startRealCoreRig>[0] = {}): Promise<RealCoreRig & { direct: string; team: string; alice: string }> {
  const r = await startRealCoreRig(options);
  rig = r;
  const seed = r.server.seed;
  if (!seed) throw new Error('no seed');
  await r.signIn();
  await r.waitForState('CONNECTED');
  await r.core.delivery.whenSynced();
  return Object.assign(r, { direct: seed.conversations.direct, team: seed.conversations.team, alice: seed.users.alice });
}

/** What the server stored for this prefix, in its sequence order. */
function onServer(r: RealCoreRig, conversationId: string, prefix: string): Message[] {
  return r.server.control.listMessages(conversationId).filter((m) => (m.plaintext ?? '').startsWith(prefix));
}

/** Every composed text exactly once on the server, in compose order, and one sent row each locally. */
async function expectDeliveredExactlyOnceInOrder(r: RealCoreRig, conversationId: string, prefix: string, composed: readonly string[]): Promise<void> {
  const stored = onServer(r, conversationId, prefix);
  expect(stored.map((m) => m.plaintext)).toEqual(composed);
  const page = await r.core.handlers['messages:list']({ conversationId, limit: 1_000 });
  const local = page.messages.filter((m) => m.text.startsWith(prefix));
  expect(local.map((m) => m.text)).toEqual(composed);
  expect(local.map((m) => [m.state, m.serverId, m.seq])).toEqual(stored.map((m) => ['sent', m.id, m.sequence_number]));
}

function waitDrained(r: RealCoreRig, timeout = 10_000): Promise<void> {
  return vi.waitFor(() => expect(r.core.getPendingCount()).toBe(0), { timeout, interval: 10 });
}

describe('delivery through the real connection (no message lost or duplicated)', () => {
  it('a message sent while connected is acked once and stored once', async () => {
    const r = await signedInRig();
    const acks: string[] = [];
    r.core.connection.onFrame((frame) => {
      if (frame['type'] === 'ack' && typeof frame['idempotency_key'] === 'string') acks.push(frame['idempotency_key']);
    });
    const view = await r.core.handlers['messages:send']({ conversationId: r.direct, text: 'e2e hello' });
    expect(view.state).toBe('saved');
    await waitDrained(r);
    expect(acks.filter((key) => key === view.key)).toHaveLength(1);
    await expectDeliveredExactlyOnceInOrder(r, r.direct, 'e2e hello', ['e2e hello']);
    const stored = onServer(r, r.direct, 'e2e hello')[0];
    expect(stored?.idempotency_key).toBe(view.key);
    expect(stored?.sender_id).toBe(r.alice);
  });

  for (const fault of ['dropAllSockets', 'restart'] as const) {
    it(`server ${fault} with messages in flight and queued: every message delivered exactly once, in compose order`, async () => {
      const r = await signedInRig();
      // Acks held back, so the fault lands between sends and their acks.
      r.server.control.delayAcks(150);
      const composed = { direct: [] as string[], team: [] as string[] };
      const send = async (where: 'direct' | 'team', text: string): Promise<void> => {
        await r.core.handlers['messages:send']({ conversationId: r[where], text });
        composed[where].push(text);
      };
      for (let i = 0; i < 30; i += 1) await send(i % 3 === 0 ? 'direct' : 'team', `${fault} ${i}`);
      const before = r.server.control.stats().framesReceived;
      await vi.waitFor(() => expect(r.server.control.stats().framesReceived).toBeGreaterThan(before));
      const connects = r.core.connection.getStats().connects;
      const down = fault === 'restart' ? r.server.control.restart({ downMs: 200 }) : Promise.resolve(r.server.control.dropAllSockets());
      // Written while the link is down: queued, not sent.
      for (let i = 30; i < 40; i += 1) await send(i % 2 === 0 ? 'direct' : 'team', `${fault} ${i}`);
      await down;
      r.server.control.delayAcks(0);
      await vi.waitFor(() => expect(r.core.connection.getStats().connects).toBeGreaterThan(connects), { timeout: 5_000 });
      await waitDrained(r);
      await expectDeliveredExactlyOnceInOrder(r, r.direct, `${fault} `, composed.direct);
      await expectDeliveredExactlyOnceInOrder(r, r.team, `${fault} `, composed.team);
    });
  }

  it('50 rapid drop/reconnect cycles (proxy cuts and server drops) with messages queued: none lost, none duplicated, order kept', async () => {
    const r = await signedInRig();
    r.server.control.delayAcks(3);
    const composed = { direct: [] as string[], team: [] as string[] };
    let number = 0;
    const CYCLES = 50;
    for (let cycle = 0; cycle < CYCLES; cycle += 1) {
      for (let i = 0; i < 8; i += 1) {
        const where = (number + cycle) % 3 === 0 ? 'direct' : 'team';
        const text = `flap ${number}`;
        number += 1;
        await r.core.handlers['messages:send']({ conversationId: r[where], text });
        composed[where].push(text);
      }
      // Cut once some of the batch reached the server, so the cut lands mid-drain.
      const before = r.server.control.stats().framesReceived;
      await vi.waitFor(() => expect(r.server.control.stats().framesReceived).toBeGreaterThan(before), { timeout: 5_000, interval: 1 });
      const connects = r.core.connection.getStats().connects;
      if (cycle % 2 === 0) r.proxy.cutAll();
      else r.server.control.dropAllSockets();
      // Composed while the link is down.
      const text = `flap ${number}`;
      number += 1;
      await r.core.handlers['messages:send']({ conversationId: r.team, text });
      composed.team.push(text);
      await vi.waitFor(() => expect(r.core.connection.getStats().connects).toBeGreaterThan(connects), { timeout: 5_000, interval: 2 });
    }
    r.server.control.delayAcks(0);
    await waitDrained(r, 15_000);
    expect(r.core.connection.getStats().connects).toBeGreaterThanOrEqual(CYCLES + 1);
    expect(r.core.connection.getStats().overlappingSockets).toBe(0);
    const cutMidFlight = r.records.filter((record) => / in flight when /.test(record.message)).length;
    // The cuts did land between sends and their acks, not only between batches.
    expect(cutMidFlight).toBeGreaterThanOrEqual(5);
    await expectDeliveredExactlyOnceInOrder(r, r.direct, 'flap ', composed.direct);
    await expectDeliveredExactlyOnceInOrder(r, r.team, 'flap ', composed.team);
  });

  it('token revoked mid-session: the outbox is kept, nothing is sent signed out, and it resumes after signing in again', async () => {
    const r = await signedInRig();
    // Acks held back: until the first one comes, the lane sends one message per echo, so the
    // revocation lands with most of the batch still queued.
    r.server.control.delayAcks(1_000);
    const composed: string[] = [];
    for (let i = 0; i < 60; i += 1) {
      const text = `revoked ${i}`;
      await r.core.handlers['messages:send']({ conversationId: r.team, text });
      composed.push(text);
    }
    const before = r.server.control.stats().framesReceived;
    await vi.waitFor(() => expect(r.server.control.stats().framesReceived).toBeGreaterThan(before));
    expect(r.server.control.revokeUser(ALICE)).toBeGreaterThan(0);
    await vi.waitFor(async () => expect((await r.core.handlers['auth:status']({})).signedIn).toBe(false), { timeout: 5_000 });
    await vi.waitFor(() => expect(r.core.connection.state).toBe('CLOSED'));
    expect(r.eventsOf('notification').some((n) => n.code === 'TOKEN_REVOKED')).toBe(true);
    r.server.control.delayAcks(0);
    // Kept for alice, invisible and unsendable while nobody is signed in.
    const pending = r.core.getPendingCount();
    expect(pending).toBeGreaterThan(0);
    await expect(r.core.handlers['messages:send']({ conversationId: r.team, text: 'revoked nobody' })).rejects.toMatchObject({
      code: 'NOT_SIGNED_IN',
    });
    expect(await r.core.handlers['outbox:list']({})).toEqual([]);
    const storedWhileOut = onServer(r, r.team, 'revoked ').length;
    expect(storedWhileOut).toBeLessThan(composed.length);

    await r.signIn();
    await r.waitForState('CONNECTED');
    for (let i = 60; i < 63; i += 1) {
      const text = `revoked ${i}`;
      await r.core.handlers['messages:send']({ conversationId: r.team, text });
      composed.push(text);
    }
    await waitDrained(r);
    await expectDeliveredExactlyOnceInOrder(r, r.team, 'revoked ', composed);
  });

  it('against legacy Nova, messages queued in two conversations arrive once each, in order', async () => {
    const r = await startRealCoreRig({ server: { legacyNova: true } });
    rig = r;
    const seed = r.server.seed;
    if (!seed) throw new Error('no seed');
    await r.signIn();
    await r.waitForState('CONNECTED', 10_000);
    expect(r.core.connection.capabilities()?.mode).toBe('legacy');
    // Slow replies and two refusals: the rest queue behind them, one REST POST at a time.
    r.server.control.delayAcks(40);
    r.server.control.failNextSends(2, { status: 503 });
    const composed = { direct: [] as string[], team: [] as string[] };
    for (let i = 0; i < 12; i += 1) {
      const where = i % 3 === 0 ? 'direct' : 'team';
      const text = `legacy queued ${i}`;
      await r.core.handlers['messages:send']({ conversationId: seed.conversations[where], text });
      composed[where].push(text);
    }
    expect(r.core.getPendingCount()).toBeGreaterThan(0);
    await waitDrained(r, 20_000);
    for (const where of ['direct', 'team'] as const) {
      const stored = onServer(r, seed.conversations[where], 'legacy queued ');
      expect(stored.map((m) => m.plaintext)).toEqual(composed[where]);
    }
    // Nova has no conversation list: the client learns conversations from what the user writes
    // to, and listens on each with its own socket, as Nova requires.
    await vi.waitFor(() => expect(r.server.control.socketCount(ALICE)).toBe(2), { timeout: 10_000 });
  });
});
