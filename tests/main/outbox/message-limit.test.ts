import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ServerHandle } from '../../../server/index';
import { exceedsLimits, FRAME_ENVELOPE_BYTES, messageLimits } from '../../../src/main/core/outbox/limits';
import { makeTempDir } from '../../support/core';
import { makeDeliveryRig, type DeliveryRig } from '../../support/delivery';
import { startDemoServer, startRealCoreRig, type RealCoreRig } from '../../support/real-core';

let server: ServerHandle | null = null;
let realRig: RealCoreRig | null = null;
const rigs: DeliveryRig[] = [];
afterEach(async () => {
  for (const rig of rigs.splice(0)) await rig.cleanup();
  await realRig?.cleanup();
  realRig = null;
  await server?.close();
  server = null;
});

const caps = { mode: 'compat' as const, features: new Set<string>(), pingIntervalMs: null };

describe('message size cap', () => {
  it('is the advertised max_message_bytes, capped by what fits in one frame, else 64 KB', () => {
    expect(messageLimits({ ...caps, maxPayloadBytes: 1_048_576, maxMessageBytes: 65_536 }, 64 * 1024).textBytes).toBe(65_536);
    expect(messageLimits({ ...caps, maxPayloadBytes: 1_048_576, maxMessageBytes: 1_000 }, 64 * 1024).textBytes).toBe(1_000);
    expect(messageLimits({ ...caps, maxPayloadBytes: 4_096, maxMessageBytes: 65_536 }, 64 * 1024).textBytes).toBe(4_096 - FRAME_ENVELOPE_BYTES);
    // No advertised limit (legacy Nova, older servers): 64 KB, not the 1 MiB frame size.
    expect(messageLimits({ ...caps, maxPayloadBytes: 1_048_576 }, 64 * 1024).textBytes).toBe(64 * 1024);
    // Control characters are escaped six times their size in the frame.
    const limits = messageLimits({ ...caps, maxPayloadBytes: 4_096 }, 64 * 1024);
    expect(exceedsLimits('a'.repeat(3_000), 3_000, limits)).toBe(false);
    expect(exceedsLimits('\u0001'.repeat(1_000), 1_000, limits)).toBe(true);
  });

  it('follows the server: over its advertised limit MESSAGE_TOO_LARGE, at it delivered; remembered offline', async () => {
    server = await startDemoServer({ maxMessageBytes: 1_000 });
    const dataDir = makeTempDir('nova-limit-');
    const rig = await makeDeliveryRig(server, { dataDir, keepData: true });
    const direct = server.seed?.conversations.direct ?? '';
    await rig.link.connect();
    await rig.core.delivery.whenSynced();
    const atLimit = 'é'.repeat(500);
    await expect(rig.core.handlers['messages:send']({ conversationId: direct, text: `${atLimit}x` })).rejects.toMatchObject({
      code: 'MESSAGE_TOO_LARGE',
      message: expect.stringMatching(/1,001 bytes.*1,000/),
    });
    await rig.core.handlers['messages:send']({ conversationId: direct, text: atLimit });
    await vi.waitFor(() => expect(rig.core.getPendingCount()).toBe(0));
    expect(server.control.listMessages(direct).filter((m) => m.plaintext === atLimit)).toHaveLength(1);
    await rig.cleanup();
    // Restarted offline: the last server's limit still applies.
    const offline = await makeDeliveryRig(server, { dataDir });
    rigs.push(offline);
    await expect(offline.core.handlers['messages:send']({ conversationId: direct, text: `${atLimit}x` })).rejects.toMatchObject({
      code: 'MESSAGE_TOO_LARGE',
    });
  });

  it('through the real connection (no advertised limit reaches delivery yet): 64 KB, which the server accepts', async () => {
    realRig = await startRealCoreRig();
    const r = realRig;
    await r.signIn();
    await r.waitForState('CONNECTED');
    await r.core.delivery.whenSynced();
    const team = r.server.seed?.conversations.team ?? '';
    const largest = 'z'.repeat(64 * 1024);
    await expect(r.core.handlers['messages:send']({ conversationId: team, text: `${largest}z` })).rejects.toMatchObject({
      code: 'MESSAGE_TOO_LARGE',
    });
    await r.core.handlers['messages:send']({ conversationId: team, text: largest });
    await vi.waitFor(() => expect(r.core.getPendingCount()).toBe(0));
    expect(r.server.control.listMessages(team).filter((m) => m.plaintext === largest)).toHaveLength(1);
    expect(await r.core.handlers['outbox:list']({})).toEqual([]);
  });
});
