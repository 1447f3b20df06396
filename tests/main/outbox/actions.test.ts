import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ServerHandle } from '../../../server/index';
import { makeDeliveryRig, startDemoServer, type DeliveryRig } from '../../support/delivery';

let server: ServerHandle | null = null;
const rigs: DeliveryRig[] = [];

afterEach(async () => {
  for (const rig of rigs.splice(0)) await rig.cleanup();
  await server?.close();
  server = null;
});

async function setup(options: Parameters<typeof makeDeliveryRig>[1] = {}, serverOptions: Parameters<typeof startDemoServer>[0] = {}) {
  server = await startDemoServer(serverOptions);
  const rig = await makeDeliveryRig(server, options);
  rigs.push(rig);
  const seed = server.seed;
  if (!seed) throw new Error('no seed');
  return { server, rig, seed };
}

function serverTexts(server: ServerHandle, conversationId: string): string[] {
  return server.control.listMessages(conversationId).map((m) => m.plaintext ?? '');
}

describe('Send now and Retry all', () => {
  it('Send now skips the backoff of a message waiting after a 503', async () => {
    // A minute of backoff: without "Send now" the message would still be waiting at the end.
    const { server, rig, seed } = await setup({ timing: { retryBaseMs: 60_000, retryCapMs: 60_000 }, random: () => 0.99 });
    await rig.link.connect();
    await rig.core.delivery.whenSynced();
    server.control.failNextSends(1, { status: 503 });
    const view = await rig.core.handlers['messages:send']({ conversationId: seed.conversations.team, text: 'backing off' });
    await vi.waitFor(async () => {
      const [item] = await rig.core.handlers['outbox:list']({});
      expect(item?.attempts).toBe(1);
      expect(item?.nextAttemptAt).not.toBeNull();
    });
    const [waiting] = await rig.core.handlers['outbox:list']({});
    expect((waiting?.nextAttemptAt ?? 0) - Date.now()).toBeGreaterThan(30_000);
    const result = await rig.core.handlers['outbox:retry']({ key: view.key });
    expect(result).toEqual({ count: 1, serverWaitUntil: null });
    await vi.waitFor(() => expect(rig.core.getPendingCount()).toBe(0));
    expect(serverTexts(server, seed.conversations.team).filter((t) => t === 'backing off')).toHaveLength(1);
  });

  it('Send now respects the wait the server named (Retry-After) and says until when', async () => {
    const { server, rig, seed } = await setup(
      { timing: { retryBaseMs: 60_000, retryCapMs: 60_000 }, random: () => 0 },
      { rateLimit: { limit: 1, windowMs: 1_500 } },
    );
    await rig.link.connect();
    await rig.core.delivery.whenSynced();
    // The connect's own requests use the one request the window allows: the send is refused with a wait.
    const second = await rig.core.handlers['messages:send']({ conversationId: seed.conversations.team, text: 'second' });
    await vi.waitFor(async () => {
      const items = await rig.core.handlers['outbox:list']({});
      expect(items.find((i) => i.key === second.key)?.lastError?.code).toBe('RATE_LIMITED');
    });
    const asked = Date.now();
    const result = await rig.core.handlers['outbox:retry']({ key: second.key });
    expect(result.count).toBe(1);
    expect(result.serverWaitUntil).not.toBeNull();
    expect((result.serverWaitUntil ?? 0) - asked).toBeGreaterThan(0);
    expect(serverTexts(server, seed.conversations.team)).not.toContain('second');
    await vi.waitFor(() => expect(rig.core.getPendingCount()).toBe(0), { timeout: 5_000 });
    // not before the server's time (its clock and ours are the same machine's)
    const landed = server.control.listMessages(seed.conversations.team).find((m) => m.plaintext === 'second');
    expect(Date.parse(landed?.created_at ?? '')).toBeGreaterThanOrEqual((result.serverWaitUntil ?? 0) - 5);
  });

  it('Retry all hastens every waiting lane and resets failed rows', async () => {
    const { server, rig, seed } = await setup({ timing: { retryBaseMs: 60_000, retryCapMs: 60_000 }, random: () => 0.99 });
    await rig.link.connect();
    await rig.core.delivery.whenSynced();
    server.control.failNextSends(1, { status: 403 });
    await rig.core.handlers['messages:send']({ conversationId: seed.conversations.direct, text: 'refused' });
    await vi.waitFor(async () => expect((await rig.core.handlers['outbox:list']({}))[0]?.state).toBe('failed'));
    server.control.failNextSends(1, { status: 503 });
    await rig.core.handlers['messages:send']({ conversationId: seed.conversations.team, text: 'waiting' });
    await vi.waitFor(async () => {
      const items = await rig.core.handlers['outbox:list']({});
      expect(items.find((i) => i.conversationId === seed.conversations.team)?.attempts).toBe(1);
    });
    const result = await rig.core.handlers['outbox:retry']({ key: null });
    expect(result.count).toBe(2);
    await vi.waitFor(() => expect(rig.core.getPendingCount()).toBe(0));
    expect(serverTexts(server, seed.conversations.direct)).toContain('refused');
    expect(serverTexts(server, seed.conversations.team)).toContain('waiting');
  });
});
