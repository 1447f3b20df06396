/** The core's incoming feed: each message from someone else once, marked live or caught up. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { IncomingNotice } from '../../src/main/core/attention';
import { BOB, startRealCoreRig, type RealCoreRig } from '../support/real-core';

let rig: RealCoreRig | null = null;
afterEach(async () => {
  await rig?.cleanup();
  rig = null;
});

describe('incoming feed', () => {
  it('reports the first sync as catch-up, live messages as live, and never own messages or repeats', async () => {
    const r = (rig = await startRealCoreRig());
    const seed = r.server.seed;
    if (!seed) throw new Error('no seed');
    const notices: IncomingNotice[] = [];
    r.core.incoming.on((notice) => notices.push(notice));
    await r.signIn();
    await r.waitForState('CONNECTED');
    await r.core.delivery.whenSynced();
    // The seed: three messages from Bob and Carol (Alice's own three are not news to her).
    expect(notices.map((n) => [n.text, n.viaResync]).sort()).toEqual([
      ['Noted, thanks.', true],
      ['Welcome to the Team channel.', true],
      ['Yes! What is up?', true],
    ]);
    r.server.control.sendAs(BOB, seed.conversations.team, 'live one');
    await vi.waitFor(() => expect(notices).toHaveLength(4));
    expect(notices[3]).toMatchObject({ text: 'live one', viaResync: false, conversationId: seed.conversations.team, senderId: seed.users.bob });
    // Own messages, and a message seen again (the server's echo, a replay), are not reported.
    await r.core.handlers['messages:send']({ conversationId: seed.conversations.team, text: 'mine' });
    await vi.waitFor(async () => expect((await r.core.handlers['outbox:list']({})).length).toBe(0));
    r.server.control.dropAllSockets();
    await r.waitForState('CONNECTED');
    await r.core.delivery.whenSynced();
    expect(notices).toHaveLength(4);
  });
});
