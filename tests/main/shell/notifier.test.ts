import { describe, expect, it } from 'vitest';
import { DEFAULT_PREFERENCES, type NotificationPreferences } from '../../../src/shared/preferences';
import type { IncomingNotice } from '../../../src/main/core/attention';
import { createMemoryLogger } from '../../../src/main/core/logging';
import {
  NOTIFIER_TIMING,
  createIncomingNotifier,
  listNames,
  previewOf,
  type NotificationContent,
} from '../../../src/main/shell/notifier';
import { ManualClock } from '../../support/clock';

type Shown = NotificationContent & { closed: boolean; at: number };

function rig(overrides: Partial<{ attending: string | null; locked: boolean; historyBefore: number }> = {}) {
  const clock = new ManualClock();
  const shown: Shown[] = [];
  const state = { preferences: { ...DEFAULT_PREFERENCES.notifications } as NotificationPreferences, attending: null as string | null, locked: false, historyBefore: -Infinity, ...overrides };
  const titles: Record<string, string> = { direct: 'Bob', team: 'Team', ops: 'Ops', lab: 'Lab' };
  const notifier = createIncomingNotifier({
    clock,
    preferences: () => state.preferences,
    isAttending: (id) => state.attending === id,
    conversationTitle: (id) => titles[id] ?? 'Direct conversation',
    historyBefore: () => state.historyBefore,
    isScreenLocked: () => state.locked,
    show: (content) => {
      const entry: Shown = { ...content, closed: false, at: clock.now() };
      shown.push(entry);
      return { close: () => (entry.closed = true) };
    },
    log: createMemoryLogger(),
  });
  let seq = 0;
  const notice = (conversationId: string, text: string, viaResync = false, at = clock.now()): IncomingNotice => ({
    key: `k${(seq += 1)}`,
    conversationId,
    senderId: 'bob',
    text,
    at,
    viaResync,
  });
  const visible = (): Shown[] => shown.filter((n) => !n.closed);
  return { clock, shown, visible, state, notifier, notice };
}

describe('incoming notifier', () => {
  it('shows one message with its conversation and preview once the burst is quiet', () => {
    const { clock, shown, notifier, notice } = rig();
    notifier.incoming(notice('direct', 'Lunch at  noon?\n'));
    expect(shown).toHaveLength(0);
    clock.advance(NOTIFIER_TIMING.quietMs);
    expect(shown).toEqual([expect.objectContaining({ title: 'Bob', body: 'Lunch at noon?', conversationId: 'direct', count: 1, closed: false })]);
  });

  it('merges a burst of 200 over two conversations into one notification each', () => {
    const { clock, shown, notifier, notice } = rig();
    for (let i = 0; i < 200; i += 1) {
      notifier.incoming(notice(i % 2 === 0 ? 'direct' : 'team', `message ${i}`));
      clock.advance(2);
    }
    clock.advance(NOTIFIER_TIMING.quietMs);
    expect(shown.map(({ title, body, count }) => ({ title, body, count }))).toEqual([
      { title: 'Bob', body: '100 new messages: message 198', count: 100 },
      { title: 'Team', body: '100 new messages: message 199', count: 100 },
    ]);
  });

  it('shows a steady stream by maxHold, then replaces it at most once per merge window with the running count', () => {
    const { clock, shown, visible, notifier, notice } = rig();
    for (let i = 0; i < 40; i += 1) {
      notifier.incoming(notice('team', `tick ${i}`));
      clock.advance(NOTIFIER_TIMING.quietMs - 100);
    }
    // 40 messages over 16 s: the first notification at maxHold, then one replacement per merge window.
    clock.advance(NOTIFIER_TIMING.mergeWindowMs);
    const start = (shown[0]?.at ?? 0) - NOTIFIER_TIMING.maxHoldMs;
    expect(shown.map((n) => n.at - start)).toEqual([3_000, 8_000, 13_000, 18_000]);
    expect(shown.map((n) => n.count)).toEqual([8, 20, 33, 40]);
    expect(visible()).toEqual([expect.objectContaining({ count: 40, body: '40 new messages: tick 39' })]);
  });

  it('says nothing when off, in do-not-disturb, for a muted conversation or the one on screen', () => {
    const { clock, shown, state, notifier, notice } = rig();
    state.preferences = { ...state.preferences, enabled: false };
    notifier.incoming(notice('direct', 'a'));
    state.preferences = { ...DEFAULT_PREFERENCES.notifications, doNotDisturb: true };
    notifier.incoming(notice('direct', 'b'));
    state.preferences = { ...DEFAULT_PREFERENCES.notifications, mutedConversationIds: ['team'] };
    notifier.incoming(notice('team', 'c'));
    state.attending = 'direct';
    notifier.incoming(notice('direct', 'd'));
    clock.advance(10_000);
    expect(shown).toEqual([]);
  });

  it('drops what gathered if the user turned to the conversation before it showed, and closes a shown one', () => {
    const { clock, shown, visible, state, notifier, notice } = rig();
    notifier.incoming(notice('direct', 'first'));
    state.attending = 'direct';
    clock.advance(NOTIFIER_TIMING.maxHoldMs);
    expect(shown).toEqual([]);
    state.attending = null;
    notifier.incoming(notice('team', 'x'));
    clock.advance(NOTIFIER_TIMING.quietMs);
    expect(visible()).toHaveLength(1);
    notifier.attended('team');
    expect(visible()).toHaveLength(0);
    // Counting starts again after the user looked.
    notifier.incoming(notice('team', 'y'));
    clock.advance(NOTIFIER_TIMING.quietMs);
    expect(visible()[0]).toMatchObject({ count: 1, body: 'y' });
  });

  it('leaves the text out when previews are off or the screen is locked', () => {
    const { clock, shown, state, notifier, notice } = rig();
    state.preferences = { ...state.preferences, showPreviews: false };
    notifier.incoming(notice('direct', 'secret plan'));
    clock.advance(NOTIFIER_TIMING.quietMs);
    state.preferences = { ...DEFAULT_PREFERENCES.notifications };
    state.locked = true;
    notifier.incoming(notice('team', 'secret plan'));
    notifier.incoming(notice('team', 'secret plan'));
    clock.advance(NOTIFIER_TIMING.quietMs);
    expect(shown.map((n) => n.body)).toEqual(['1 new message', '2 new messages']);
    expect(JSON.stringify(shown)).not.toContain('secret');
  });

  it('turns a catch-up of 300 messages over three conversations into one summary', () => {
    const { clock, shown, notifier, notice } = rig();
    for (let i = 0; i < 300; i += 1) notifier.incoming(notice(['direct', 'team', 'ops'][i % 3] ?? 'direct', `m${i}`, true));
    clock.advance(NOTIFIER_TIMING.resyncQuietMs);
    expect(shown).toEqual([expect.objectContaining({ title: 'Nova', body: '300 new messages in Bob, Team and Ops', conversationId: null, count: 300 })]);
  });

  it('names the conversation when a catch-up touched only one, and ignores history from before the sign-in', () => {
    const { clock, shown, state, notifier, notice } = rig();
    state.historyBefore = clock.now();
    notifier.incoming(notice('team', 'old', true, clock.now() - 60_000));
    notifier.incoming(notice('team', 'new one', true, clock.now() + 1));
    notifier.incoming(notice('team', 'newest', true, clock.now() + 2));
    clock.advance(NOTIFIER_TIMING.resyncMaxHoldMs);
    expect(shown).toEqual([expect.objectContaining({ title: 'Team', body: '2 new messages: newest', conversationId: 'team', count: 2 })]);
  });

  it('writes previews and name lists people can read', () => {
    expect(previewOf(`${'word '.repeat(60)}`)).toHaveLength(160);
    expect(previewOf('  a\n\tb  ')).toBe('a b');
    expect(listNames(['A'])).toBe('A');
    expect(listNames(['A', 'B'])).toBe('A and B');
    expect(listNames(['A', 'B', 'C', 'D', 'E'])).toBe('A, B, C and 2 more');
  });
});
