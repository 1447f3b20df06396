import { beforeEach, describe, expect, it } from 'vitest';
import { initialAppState, useAppStore } from '../../src/renderer/src/store';
import { message, outboxItem, signedIn } from './support';

const state = useAppStore.getState;
beforeEach(() => useAppStore.setState(initialAppState, true));

describe('messages slice', () => {
  it('keeps server order, puts unnumbered own messages last, and moves one when it gets its seq', () => {
    state().ensureThread('c1');
    state().applyPage('c1', { messages: [message({ key: 'a', seq: 5 }), message({ key: 'b', seq: 6 })], olderCursor: 'cur-5' }, true);
    state().upsertMessages([message({ key: 'mine', seq: null, composedAt: 1 }), message({ key: 'c', seq: 7 })]);
    expect(state().threads['c1']?.order).toEqual(['a', 'b', 'c', 'mine']);

    state().applyPage('c1', { messages: [message({ key: 'x', seq: 3 }), message({ key: 'y', seq: 4 })], olderCursor: null }, false);
    expect(state().threads['c1']?.order).toEqual(['x', 'y', 'a', 'b', 'c', 'mine']);
    expect(state().threads['c1']?.olderCursor).toBeNull();

    state().upsertMessages([message({ key: 'd', seq: 9 }), message({ key: 'mine', seq: 8, state: 'sent' })]);
    expect(state().threads['c1']?.order).toEqual(['x', 'y', 'a', 'b', 'c', 'mine', 'd']);
    expect(state().threads['c1']?.byKey.get('mine')?.state).toBe('sent');
  });

  it('merges an out-of-order batch into the middle', () => {
    state().ensureThread('c1');
    state().upsertMessages([1, 3, 5].map((seq) => message({ key: `m${seq}`, seq })));
    state().upsertMessages([4, 2, 6].map((seq) => message({ key: `m${seq}`, seq })));
    expect(state().threads['c1']?.order).toEqual(['m1', 'm2', 'm3', 'm4', 'm5', 'm6']);
  });

  it('ignores conversations that are not open and keeps the paged-back cursor on a refresh', () => {
    state().upsertMessages([message({ key: 'z', conversationId: 'elsewhere' })]);
    expect(state().threads['elsewhere']).toBeUndefined();

    state().applyPage('c1', { messages: [message({ key: 'a', seq: 50 })], olderCursor: 'cur-50' }, true);
    state().applyPage('c1', { messages: [message({ key: 'b', seq: 40 })], olderCursor: 'cur-40' }, false);
    state().applyPage('c1', { messages: [message({ key: 'a', seq: 50 })], olderCursor: 'cur-50' }, true);
    expect(state().threads['c1']?.olderCursor).toBe('cur-40');
  });

  it('a state change re-renders only what changed: the order array stays the same object', () => {
    state().applyPage('c1', { messages: [message({ key: 'a', seq: null })], olderCursor: null }, true);
    const order = state().threads['c1']?.order;
    state().upsertMessages([message({ key: 'a', seq: null, state: 'sending' })]);
    expect(state().threads['c1']?.order).toBe(order);
    expect(state().threads['c1']?.byKey.get('a')?.state).toBe('sending');
  });

  it('keeps the lineage while live messages only append, and replaces it for anything else', () => {
    state().applyPage('c1', { messages: [message({ key: 'b', seq: 2 })], olderCursor: 'older' }, true);
    const lineage = state().threads['c1']?.lineage;
    state().upsertMessages([message({ key: 'c', seq: 3 }), message({ key: 'd', seq: 4 })]);
    expect(state().threads['c1']?.lineage).toBe(lineage);
    state().applyPage('c1', { messages: [message({ key: 'a', seq: 1 })], olderCursor: null }, false);
    expect(state().threads['c1']?.order).toEqual(['a', 'b', 'c', 'd']);
    expect(state().threads['c1']?.lineage).not.toBe(lineage);
  });

  it('a stretch far back leaves live messages after it to its newer pages, then is live again, with no hole or repeat', () => {
    state().ensureThread('c1');
    state().applyPage('c1', { messages: [message({ key: 'n1', seq: 900 })], olderCursor: 'cur-900' }, true);
    state().applyAroundPage('c1', { messages: [message({ key: 'a', seq: 10 }), message({ key: 'b', seq: 12 })], olderCursor: 'cur-10', newerCursor: 'after-12', reachesNewest: false });
    expect(state().threads['c1']?.order).toEqual(['a', 'b']);
    // A live message beyond the stretch waits; one inside it (a late fill) and changes to loaded ones apply.
    state().upsertMessages([message({ key: 'live', seq: 901 }), message({ key: 'fill', seq: 11 }), message({ key: 'a', seq: 10, text: 'edited' })]);
    expect(state().threads['c1']?.order).toEqual(['a', 'fill', 'b']);
    expect(state().threads['c1']?.byKey.get('a')?.text).toBe('edited');
    // The newest page (a reconnect's refresh) would open a hole: it is left to the newer pages.
    state().applyPage('c1', { messages: [message({ key: 'live', seq: 901 })], olderCursor: 'cur-901' }, true);
    expect(state().threads['c1']?.order).toEqual(['a', 'fill', 'b']);
    state().applyNewerPage('c1', { messages: [message({ key: 'c', seq: 13 })], newerCursor: 'after-13' });
    state().applyNewerPage('c1', { messages: [message({ key: 'n1', seq: 900 }), message({ key: 'live', seq: 901 })], newerCursor: null });
    expect(state().threads['c1']?.order).toEqual(['a', 'fill', 'b', 'c', 'n1', 'live']);
    expect(state().threads['c1']?.newerCursor).toBeNull();
    expect(state().threads['c1']?.olderCursor).toBe('cur-10');
    // Live again: what comes next is appended.
    state().upsertMessages([message({ key: 'next', seq: 902 })]);
    expect(state().threads['c1']?.order.at(-1)).toBe('next');
    // A late page for a stretch no longer shown changes nothing.
    state().applyNewerPage('c1', { messages: [message({ key: 'stale', seq: 2 })], newerCursor: 'x' });
    expect(state().threads['c1']?.byKey.has('stale')).toBe(false);
  });
});

describe('outbox slice', () => {
  it('drops items once the server has them', () => {
    state().setOutbox([outboxItem({ key: 'a' }), outboxItem({ key: 'b', state: 'sent' })]);
    expect(Object.keys(state().outbox)).toEqual(['a']);
    state().upsertOutbox([outboxItem({ key: 'a', state: 'sent' }), outboxItem({ key: 'c', state: 'failed' })]);
    expect(Object.keys(state().outbox)).toEqual(['c']);
  });
});

describe('session slice', () => {
  it('tells a sign-out by the server from one the user asked for', () => {
    const signedOut = { ...signedIn(), signedIn: false, user: null };
    state().setAuth(signedOut);
    expect(state().isSignedOutByServer).toBe(false);
    state().setAuth(signedIn());
    state().setAuth(signedOut);
    expect(state().isSignedOutByServer).toBe(true);
    state().setAuth(signedIn());
    expect(state().isSignedOutByServer).toBe(false);
    state().setSigningOut(true);
    state().setAuth(signedOut);
    expect(state().isSignedOutByServer).toBe(false);
  });
});

describe('thread rows', () => {
  it('puts a day separator where the date changes, and builds only the tail on an append', async () => {
    const { buildRows } = await import('../../src/renderer/src/features/thread/rows');
    const day = 86_400_000;
    const base = Date.UTC(2026, 10, 20, 12, 0);
    const byKey = new Map([
      ['a', message({ key: 'a', seq: 1, composedAt: base })],
      ['b', message({ key: 'b', seq: 2, composedAt: base + 60_000 })],
      ['c', message({ key: 'c', seq: 3, composedAt: base + day })],
    ]);
    const first = buildRows(['a', 'b'], byKey);
    expect(first.rows.map((r) => r.kind)).toEqual(['day', 'message', 'message']);
    const appended = buildRows(['a', 'b', 'c'], byKey, first);
    expect(appended.rows.map((r) => `${r.kind}:${r.key}`)).toEqual(['day:day:a', 'message:a', 'message:b', 'day:day:c', 'message:c']);
    byKey.set('x', message({ key: 'x', seq: 0, composedAt: base - day }));
    const prepended = buildRows(['x', 'a', 'b', 'c'], byKey, appended);
    expect(prepended.rows.map((r) => r.key)).toEqual(['day:x', 'x', 'day:a', 'a', 'b', 'day:c', 'c']);
  });
});

describe('the rows the thread virtualizes', () => {
  it('builds only the appended tail when the lineage is unchanged, and counts what was appended', async () => {
    const { buildRows } = await import('../../src/renderer/src/features/thread/rows');
    const base = Date.UTC(2026, 10, 20, 12, 0);
    const byKey = new Map(['a', 'b', 'c'].map((key, i) => [key, message({ key, seq: i, composedAt: base + i })]));
    const lineage = {};
    const first = buildRows(['a', 'b'], byKey, undefined, lineage);
    expect(first.appended).toBeNull();
    const next = buildRows(['a', 'b', 'c'], byKey, first, lineage);
    expect(next.appended).toBe(1);
    expect(next.rows.map((r) => r.key)).toEqual(['day:a', 'a', 'b', 'c']);
    expect(buildRows(['a', 'b', 'c'], byKey, next, {}).appended).toBeNull();
  });

  it('follows the newest rows in a bounded window, keeps rows above a reader, and shows a rebuilt thread whole', async () => {
    const { nextWindowSize } = await import('../../src/renderer/src/features/thread/Thread');
    const built = (total: number, appended: number | null) =>
      ({ order: [], rows: new Array(total), lastDay: 0, lineage: undefined, appended }) as Parameters<typeof nextWindowSize>[1];
    const everything = built(100_000, null);
    // Following: a burst into 100,000 loaded rows leaves the virtualizer 200 of them.
    expect(nextWindowSize({ built: everything, size: 100_000 }, built(100_020, 20), true)).toBe(200);
    expect(nextWindowSize({ built: built(50, null), size: 50 }, built(70, 20), true)).toBe(70);
    // Reading above: the window grows, so nothing moves under the reader.
    expect(nextWindowSize({ built: everything, size: 300 }, built(100_020, 20), false)).toBe(320);
    // An older page arrived while the whole thread was shown: it still is.
    expect(nextWindowSize({ built: built(100, null), size: 100 }, built(200, null), true)).toBe(200);
    expect(nextWindowSize({ built: everything, size: 200 }, built(100_001, null), true)).toBe(200);
  });
});
