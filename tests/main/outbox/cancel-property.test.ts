/**
 * A withdrawn message is never delivered, whatever happens around the cancel: random
 * interleavings of sends, cancels, cancels and edits made offline (saved, settled at the next
 * connect), lost acks (and echoes), reconnects and crashes (the core stopped mid-way and started
 * again on the same data, a cancel possibly still on the wire), against the real reference
 * server. Nothing is delivered twice, and an edited message is on the server once, with one of
 * its texts (the last one when every edit was taken). Bounded: 30 runs of up to 24 steps
 * (about 20 s here).
 */
import fs from 'node:fs';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { ServerHandle } from '../../../server/index';
import { makeTempDir } from '../../support/core';
import { listIntents } from '../../../src/main/core/store/intents';
import { makeDeliveryRig, type DeliveryRig } from '../../support/delivery';
import { startDemoServer } from '../../support/real-core';

type Action =
  | { t: 'send'; conversation: 0 | 1 }
  | { t: 'cancel'; pick: number }
  | { t: 'sendThenCancel'; conversation: 0 | 1 }
  | { t: 'cancelThenCrash'; pick: number }
  | { t: 'offlineCancel'; pick: number }
  | { t: 'offlineEdit'; pick: number }
  | { t: 'sendDropThen'; conversation: 0 | 1; edit: boolean }
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
  { weight: 2, arbitrary: fc.record({ t: fc.constant('offlineCancel' as const), pick: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('offlineEdit' as const), pick: fc.nat() }) },
  {
    weight: 2,
    arbitrary: fc.record({ t: fc.constant('sendDropThen' as const), conversation: fc.constantFrom(0 as const, 1 as const), edit: fc.boolean() }),
  },
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
    /** Cancels and edits saved offline across all runs: the runs must reach them. */
    const saved = { cancels: 0, edits: 0, settled: 0 };
    await fc.assert(
      fc.asyncProperty(fc.boolean(), fc.array(action, { minLength: 4, maxLength: 24 }), async (startOnline, actions) => {
        run += 1;
        const dataDir = makeTempDir('nova-cancel-prop-');
        const options = { dataDir, keepData: true, timing: { ackTimeoutMs: 150, retryBaseMs: 10, retryCapMs: 60 } };
        const withdrawn = new Set<string>();
        // Cancels saved offline end at a connect: a withdrawn one must never be delivered either.
        const listen = (r: DeliveryRig): DeliveryRig => {
          r.core.events.on('messages:intentSettled', (settled) => {
            saved.settled += 1;
            if (settled.kind === 'cancel' && settled.outcome === 'withdrawn') withdrawn.add(settled.key);
          });
          return r;
        };
        let rig: DeliveryRig = listen(await makeDeliveryRig(server, options));
        let online = startOnline;
        let losing = false;
        if (online) await rig.link.connect();
        const keys: { key: string; conversationId: string }[] = [];
        const cancelTried = new Set<string>();
        /** Per edited key: every text it was given, and whether every edit was taken. */
        const edits = new Map<string, { texts: string[]; allTaken: boolean }>();
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
            if (result.outcome === 'requested') saved.cancels += 1;
          } catch (error) {
            // Already delivered (NOT_FOUND), or its settlement under way (CONFLICT).
            expect((error as { code?: string }).code).toMatch(/^(NOT_FOUND|CONFLICT)$/);
          }
        };
        const goOffline = (): void => {
          if (!online) return;
          rig.link.disconnect();
          online = false;
        };
        const edit = async (pick: number): Promise<void> => {
          const target = pickKey(pick);
          if (!target) return;
          const record = edits.get(target.key) ?? { texts: [], allTaken: true };
          edits.set(target.key, record);
          const text = `edit-${run}-${record.texts.length}-${target.key.slice(0, 8)}`;
          record.texts.push(text);
          try {
            const view = await rig.core.handlers['messages:edit']({ key: target.key, text });
            if (view.state === 'edit_pending') saved.edits += 1;
          } catch (error) {
            // Withdrawn already (NOT_FOUND, CONFLICT), or delivered and offline (no server to edit it on).
            expect((error as { code?: string }).code).toMatch(/^(NOT_FOUND|CONFLICT|OFFLINE|NETWORK_ERROR|NOT_SIGNED_IN)$/);
            record.allTaken = false;
          }
        };
        const crash = async (): Promise<void> => {
          rig.link.disconnect();
          await rig.core.stop();
          rig = listen(await makeDeliveryRig(server, options));
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
              case 'offlineCancel':
                goOffline();
                await cancel(step.pick);
                break;
              case 'offlineEdit':
                goOffline();
                await edit(step.pick);
                break;
              case 'sendDropThen': {
                // The link drops with the send likely in flight (confirming), then the user changes their mind.
                const conversationId = conversations[step.conversation];
                if (!online) {
                  await rig.link.connect();
                  online = true;
                  await rig.core.delivery.whenSynced();
                }
                const view = await rig.core.handlers['messages:send']({ conversationId, text: `prop-${run}-${keys.length}` });
                keys.push({ key: view.key, conversationId });
                goOffline();
                if (step.edit) await edit(0);
                else await cancel(0);
                break;
              }
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
          // Every intent saved offline was settled at the connect.
          expect(listIntents(rig.core.db, rig.link.currentUserId() ?? '')).toEqual([]);
          for (const { key, conversationId } of keys) {
            const copies = server.control.listMessages(conversationId).filter((m) => m.idempotency_key === key);
            if (withdrawn.has(key)) expect(copies, `withdrawn ${key} was delivered`).toEqual([]);
            else if (!cancelTried.has(key)) expect(copies, `${key} delivered once`).toHaveLength(1);
            else expect(copies.length).toBeLessThanOrEqual(1);
            const edited = edits.get(key);
            const copy = copies[0];
            if (!edited || !copy || copy.deleted_at != null) continue;
            // Never a second message for the other text: one copy, with a text the user gave it.
            expect([`prop-${run}-${keys.findIndex((k) => k.key === key)}`, ...edited.texts]).toContain(copy.plaintext);
            if (edited.allTaken && !cancelTried.has(key)) expect(copy.plaintext, `${key} has its last text`).toBe(edited.texts.at(-1));
          }
        } finally {
          await rig.cleanup();
          fs.rmSync(dataDir, { recursive: true, force: true });
        }
      }),
      { numRuns: 30 },
    );
    // About 15 cancels and 10 edits saved and settled per 30 runs here.
    expect(saved.cancels).toBeGreaterThan(0);
    expect(saved.edits).toBeGreaterThan(0);
    expect(saved.settled).toBeGreaterThan(0);
  }, 240_000);
});
