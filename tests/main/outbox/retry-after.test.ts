import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ServerHandle } from '../../../server/index';
import { makeDeliveryRig, type DeliveryRig } from '../../support/delivery';
import { startDemoServer } from '../../support/real-core';

let server: ServerHandle | null = null;
let rig: DeliveryRig | null = null;

afterEach(async () => {
  await rig?.cleanup();
  rig = null;
  await server?.close();
  server = null;
});

/** The rig's own retry backoff is at most 200 ms, so a wait this long can only be the server's. */
const SERVER_WAIT_MS = 700;

describe('Retry-After on sends (real server, real core)', () => {
  it('a 429 naming a wait holds the whole conversation until then, then delivers once, in order', async () => {
    server = await startDemoServer();
    rig = await makeDeliveryRig(server);
    const team = server.seed?.conversations.team ?? '';
    await rig.link.connect();
    await rig.core.delivery.whenSynced();
    server.control.throttleNextSends(1, SERVER_WAIT_MS);
    const first = await rig.core.handlers['messages:send']({ conversationId: team, text: 'ra 1' });
    const second = await rig.core.handlers['messages:send']({ conversationId: team, text: 'ra 2' });

    const waiting = await vi.waitFor(async () => {
      const item = (await rig!.core.handlers['outbox:list']({})).find((i) => i.key === first.key);
      expect(item?.lastError?.code).toBe('RATE_LIMITED');
      return item!;
    });
    const refusedAt = waiting.history.at(-1)?.at ?? 0;
    expect(waiting.nextAttemptAt).not.toBeNull();
    expect(waiting.nextAttemptAt! - refusedAt).toBeGreaterThanOrEqual(SERVER_WAIT_MS);
    // the person is told which message waits and why
    await vi.waitFor(() =>
      expect(rig!.eventsOf('notification').some((n) => n.code === 'RATE_LIMITED' && n.messageKey === first.key)).toBe(true),
    );

    await vi.waitFor(() => expect(rig!.core.getPendingCount()).toBe(0), { timeout: 5_000 });
    const sendsOf = (key: string) => rig!.link.sent.filter((f) => f['type'] === 'send' && f['idempotency_key'] === key);
    // refused once, sent once more after the wait: nothing in between
    expect(sendsOf(first.key)).toHaveLength(2);
    expect(Date.now()).toBeGreaterThanOrEqual(refusedAt + SERVER_WAIT_MS);
    const texts = server.control.listMessages(team).map((m) => m.plaintext).filter((t) => t?.startsWith('ra '));
    expect(texts).toEqual(['ra 1', 'ra 2']);
    expect(second.key).not.toBe(first.key);
  });

  it('over REST (legacy Nova) the Retry-After header is honoured, rounded up to whole seconds', async () => {
    server = await startDemoServer({ legacyNova: true });
    rig = await makeDeliveryRig(server, { legacy: true });
    const direct = server.seed?.conversations.direct ?? '';
    await rig.link.connect();
    // Retry-After is whole seconds: 300 ms is announced as 1 s.
    server.control.throttleNextSends(1, 300);
    const view = await rig.core.handlers['messages:send']({ conversationId: direct, text: 'rest ra' });
    const waiting = await vi.waitFor(async () => {
      const item = (await rig!.core.handlers['outbox:list']({})).find((i) => i.key === view.key);
      expect(item?.lastError?.code).toBe('RATE_LIMITED');
      return item!;
    });
    const refusedAt = waiting.history.at(-1)?.at ?? 0;
    expect(waiting.nextAttemptAt! - refusedAt).toBeGreaterThanOrEqual(1_000);
    await vi.waitFor(() => expect(rig!.core.getPendingCount()).toBe(0), { timeout: 5_000 });
    expect(Date.now()).toBeGreaterThanOrEqual(refusedAt + 1_000);
    expect(server.control.listMessages(direct).filter((m) => m.plaintext === 'rest ra')).toHaveLength(1);
  });
});
