/**
 * A withdrawn message is never delivered, whatever happens around the cancel: random
 * interleavings of sends, cancels, lost acks (and echoes), reconnects and crashes (the core
 * stopped mid-way and started again on the same data, a cancel possibly still on the wire),
 * against the real reference server. Bounded: 30 runs of up to 24 steps
 * (about 15 s here).
 */
import fs from 'node:fs';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { ServerHandle } from '../../../server/index';
import { makeTempDir } from '../../support/core';
import { makeDeliveryRig, type DeliveryRig } from '../../support/delivery';
import { startDemoServer } from '../../support/real-core';

type Action =
  | { t: 'send'; conversation: 0 | 1 }
  | { t: 'cancel'; pick: number }
  | { t: 'sendThenCancel'; conversation: 0 | 1 }
  | { t: 'cancelThenCrash'; pick: number }
  | { t: 'loseAcks'; on: boolean }
  | { t: 'slowAcks'; ms: number }
  | { t: 'settle' }
  | { t: 'reconnect' }
  | { t: 'offline' }
  | { t: 'crash' };

const action: fc.Arbitrary<Action> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ t: fc.constant('send' as const), conversation: fc.constantFrom(0 as const, 1 as const) }) },
  { weight: 3, arbitrary: fc.record({ t: fc.constant('cancel' as const), pick: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('sendThenCancel' as const), conversation: fc.constantFrom(0 as const, 1 as const) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('cancelThenCrash' as const), pick: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('loseAcks' as const), on: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('slowAcks' as const), ms: fc.constantFrom(0, 30, 80) }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('settle' as const) }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('reconnect' as const) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('offline' as const) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('crash' as const) }) },
);

let server: ServerHandle;
beforeAll(async () => {
  server = await startDemoServer();
});
afterAll(async () => {
  await server.close();
});

describe('cancel, property', () => {
  it('a message whose cancel answered "withdrawn" never reaches the server; nothing is delivered twice', async () => {
    const seed = server.seed;
    if (!seed) throw new Error('no seed');
    const conversations = [seed.conversations.direct, seed.conversations.team] as const;
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.boolean(), fc.array(action, { minLength: 4, maxLength: 24 }), async (startOnline, actions) => {
        run += 1;
        const dataDir = makeTempDir('nova-cancel-prop-');
        const options = { dataDir, keepData: true, timing: { ackTimeoutMs: 150, retryBaseMs: 10, retryCapMs: 60 } };
        let rig: DeliveryRig = await makeDeliveryRig(server, options);
        let online = startOnline;
        let losing = false;
        if (online) await rig.link.connect();
        const keys: { key: string; conversationId: string }[] = [];
        const withdrawn = new Set<string>();
        const cancelTried = new Set<string>();
        const applyFilter = (): void => {
          // A lost ack loses its echo too: nothing tells the client the message landed.
          rig.link.incomingFilter = losing ? (frame) => frame.type !== 'ack' && frame.type !== 'message' : null;
        };
        // The newest messages are the ones most likely still in flight.
        const pickKey = (pick: number) => keys[keys.length - 1 - (pick % Math.min(3, Math.max(1, keys.length)))];
        const cancel = async (pick: number): Promise<void> => {
          const target = pickKey(pick);
          if (!target) return;
          cancelTried.add(target.key);
          try {
            const result = await rig.core.handlers['messages:cancel']({ key: target.key });
            if (result.outcome === 'withdrawn') withdrawn.add(target.key);
          } catch (error) {
            // Already delivered (NOT_FOUND), or offline while it may be on the server (OFFLINE).
            expect((error as { code?: string }).code).toMatch(/^(NOT_FOUND|OFFLINE)$/);
          }
        };
        const crash = async (): Promise<void> => {
          rig.link.disconnect();
          await rig.core.stop();
          rig = await makeDeliveryRig(server, options);
          applyFilter();
          if (online) await rig.link.connect();
        };
        try {
          for (const step of actions) {
            switch (step.t) {
              case 'send': {
                const conversationId = conversations[step.conversation];
                const view = await rig.core.handlers['messages:send']({ conversationId, text: `prop-${run}-${keys.length}` });
                keys.push({ key: view.key, conversationId });
                break;
              }
              case 'cancel':
                await cancel(step.pick);
                break;
              case 'sendThenCancel': {
                const conversationId = conversations[step.conversation];
                const view = await rig.core.handlers['messages:send']({ conversationId, text: `prop-${run}-${keys.length}` });
                keys.push({ key: view.key, conversationId });
                await cancel(0);
                break;
              }
              case 'cancelThenCrash': {
                // The cancel's request may reach the server, but its answer never reaches this core.
                const target = pickKey(step.pick);
                if (target) cancelTried.add(target.key);
                const pending = target ? rig.core.handlers['messages:cancel']({ key: target.key }).catch(() => null) : null;
                await crash();
                await pending;
                break;
              }
              case 'slowAcks':
                // The server holds its answers back: cancels meet sends still in flight.
                server.control.delayAcks(step.ms);
                break;
              case 'loseAcks':
                losing = step.on;
                applyFilter();
                break;
              case 'settle':
                // Lets sends, acks and retries run; nothing in particular to wait for.
                await new Promise((resolve) => setTimeout(resolve, 15));
                break;
              case 'reconnect':
                rig.link.disconnect();
                await rig.link.connect();
                online = true;
                break;
              case 'offline':
                rig.link.disconnect();
                online = false;
                break;
              case 'crash':
                await crash();
                break;
            }
          }
          // Then the link heals: everything still queued is settled with the server.
          server.control.delayAcks(0);
          losing = false;
          applyFilter();
          if (!online) await rig.link.connect();
          await vi.waitFor(() => expect(rig.core.getPendingCount()).toBe(0), { timeout: 10_000, interval: 20 });
          for (const { key, conversationId } of keys) {
            const copies = server.control.listMessages(conversationId).filter((m) => m.idempotency_key === key);
            if (withdrawn.has(key)) expect(copies, `withdrawn ${key} was delivered`).toEqual([]);
            else if (!cancelTried.has(key)) expect(copies, `${key} delivered once`).toHaveLength(1);
            else expect(copies.length).toBeLessThanOrEqual(1);
          }
        } finally {
          await rig.cleanup();
          fs.rmSync(dataDir, { recursive: true, force: true });
        }
      }),
      { numRuns: 30 },
    );
  }, 240_000);
});
