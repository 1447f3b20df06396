import type { StateCreator } from 'zustand';
import type { AroundPage, MessagePage, MessageView } from '../../../shared/contract';
import type { AppState } from './index';

/**
 * One loaded conversation. `byKey` is mutated in place and `version` bumps on every change: a
 * thread can hold 100,000 messages, and copying that map for each 16 ms batch would cost more than
 * drawing it. `order` is a fresh array whenever it changes, so list selectors stay cheap to compare.
 */
export type ThreadState = Readonly<{
  conversationId: string;
  byKey: Map<string, MessageView>;
  /** Message keys, oldest first. */
  order: readonly string[];
  olderCursor: string | null;
  /**
   * Where the next newer page starts while the thread shows a stretch that does not reach the
   * newest message (a jump far back); null when it reaches it. While it is set, messages that
   * would sort after the loaded stretch are left to the newer pages, so no hole opens.
   */
  newerCursor: string | null;
  hasLoadedFirstPage: boolean;
  isLoadingOlder: boolean;
  isLoadingNewer: boolean;
  version: number;
  /**
   * Replaced whenever `order` changes other than by keys appended at its end. While it stays the
   * same, every earlier `order` is a prefix of the current one, so views can build only the tail
   * without comparing the whole thread.
   */
  lineage: object;
}>;

export type MessagesSlice = {
  threads: Readonly<Record<string, ThreadState>>;
  upsertMessages: (messages: readonly MessageView[]) => void;
  /** Starts keeping a thread in memory, so live events are not missed while its first page loads. */
  ensureThread: (conversationId: string) => void;
  applyPage: (conversationId: string, page: MessagePage, isFirstPage: boolean) => void;
  setLoadingOlder: (conversationId: string, isLoading: boolean) => void;
  removeMessage: (conversationId: string, key: string) => void;
  /**
   * The stretch around a jumped-to message. When it runs up to the newest message it joins the
   * thread; when it does not, it replaces the thread, so no hole is left between the two.
   */
  applyAroundPage: (conversationId: string, page: AroundPage) => void;
  /** The next newer page of a stretch; the thread is live again when its cursor is null. */
  applyNewerPage: (conversationId: string, page: Readonly<{ messages: readonly MessageView[]; newerCursor: string | null }>) => void;
  setLoadingNewer: (conversationId: string, isLoading: boolean) => void;
  /** Forgets a loaded thread (a stretch far back), so it opens at its newest page again. */
  dropThread: (conversationId: string) => void;
};

/** Server order first (seq), then messages the server has not numbered yet, in compose order. */
export function compareMessages(a: MessageView, b: MessageView): number {
  if (a.seq !== null && b.seq !== null) return a.seq - b.seq || a.composedAt - b.composedAt;
  if (a.seq !== null) return -1;
  if (b.seq !== null) return 1;
  return a.composedAt - b.composedAt || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
}

function emptyThread(conversationId: string): ThreadState {
  return {
    conversationId,
    byKey: new Map(),
    order: [],
    olderCursor: null,
    newerCursor: null,
    hasLoadedFirstPage: false,
    isLoadingOlder: false,
    isLoadingNewer: false,
    version: 0,
    lineage: {},
  };
}

function sortKeyChanged(before: MessageView, after: MessageView): boolean {
  return before.seq !== after.seq || before.composedAt !== after.composedAt;
}

/**
 * Merges sorted `added` keys into sorted `order`; the common cases (all newer, all older) are a
 * concat. `isAppend`: the result is `order` with keys added at its end only.
 */
function mergeOrder(
  order: readonly string[],
  added: string[],
  byKey: Map<string, MessageView>,
): Readonly<{ order: readonly string[]; isAppend: boolean }> {
  const at = (key: string): MessageView => byKey.get(key) as MessageView;
  added.sort((a, b) => compareMessages(at(a), at(b)));
  if (added.length === 0) return { order, isAppend: true };
  const first = order[0];
  const last = order[order.length - 1];
  if (last === undefined || first === undefined) return { order: added, isAppend: true };
  if (compareMessages(at(added[0] as string), at(last)) >= 0) return { order: order.concat(added), isAppend: true };
  if (compareMessages(at(added[added.length - 1] as string), at(first)) <= 0) return { order: added.concat(order), isAppend: false };
  const merged: string[] = new Array<string>(order.length + added.length);
  let i = 0;
  let j = 0;
  let k = 0;
  while (i < order.length && j < added.length) {
    const left = order[i] as string;
    const right = added[j] as string;
    if (compareMessages(at(left), at(right)) <= 0) {
      merged[k++] = left;
      i++;
    } else {
      merged[k++] = right;
      j++;
    }
  }
  while (i < order.length) merged[k++] = order[i++] as string;
  while (j < added.length) merged[k++] = added[j++] as string;
  return { order: merged, isAppend: false };
}

/** While a stretch does not reach the newest message, what sorts after it waits for the newer pages. */
function isBeyondStretch(thread: ThreadState, message: MessageView): boolean {
  if (thread.newerCursor === null) return false;
  const last = thread.order[thread.order.length - 1];
  const newest = last === undefined ? undefined : thread.byKey.get(last);
  return newest === undefined || compareMessages(message, newest) > 0;
}

function applyToThread(thread: ThreadState, messages: readonly MessageView[], isLive = false): ThreadState {
  const { byKey } = thread;
  const added: string[] = [];
  const moved = new Set<string>();
  for (const message of messages) {
    const before = byKey.get(message.key);
    if (before === message) continue;
    if (isLive && !before && isBeyondStretch(thread, message)) continue;
    byKey.set(message.key, message);
    if (!before) added.push(message.key);
    else if (sortKeyChanged(before, message)) moved.add(message.key);
  }
  let order = thread.order;
  if (moved.size > 0) {
    order = order.filter((key) => !moved.has(key));
    added.push(...moved);
  }
  const merged = mergeOrder(order, added, byKey);
  const lineage = merged.isAppend && moved.size === 0 ? thread.lineage : {};
  return { ...thread, order: merged.order, version: thread.version + 1, lineage };
}

export const createMessagesSlice: StateCreator<AppState, [], [], MessagesSlice> = (set) => ({
  threads: {},
  upsertMessages: (messages) =>
    set((state) => {
      const byConversation = new Map<string, MessageView[]>();
      for (const message of messages) {
        // Only threads the user has opened are kept in memory; the list summary covers the rest.
        if (!state.threads[message.conversationId]) continue;
        const list = byConversation.get(message.conversationId) ?? [];
        list.push(message);
        byConversation.set(message.conversationId, list);
      }
      if (byConversation.size === 0) return state;
      const threads = { ...state.threads };
      for (const [conversationId, list] of byConversation) {
        threads[conversationId] = applyToThread(threads[conversationId] as ThreadState, list, true);
      }
      return { threads };
    }),
  ensureThread: (conversationId) =>
    set((state) =>
      state.threads[conversationId] ? state : { threads: { ...state.threads, [conversationId]: emptyThread(conversationId) } },
    ),
  applyPage: (conversationId, page, isFirstPage) =>
    set((state) => {
      // The newest page would leave a hole after a stretch far back; its newer pages reach it.
      if (isFirstPage && (state.threads[conversationId]?.newerCursor ?? null) !== null) return state;
      const thread = applyToThread(state.threads[conversationId] ?? emptyThread(conversationId), page.messages);
      // Reloading the newest page (after a reconnect) must not forget how far back the user paged.
      const olderCursor = isFirstPage && thread.hasLoadedFirstPage ? thread.olderCursor : page.olderCursor;
      return {
        threads: {
          ...state.threads,
          [conversationId]: {
            ...thread,
            olderCursor,
            hasLoadedFirstPage: thread.hasLoadedFirstPage || isFirstPage,
            isLoadingOlder: false,
          },
        },
      };
    }),
  setLoadingOlder: (conversationId, isLoading) =>
    set((state) => ({
      threads: {
        ...state.threads,
        [conversationId]: { ...(state.threads[conversationId] ?? emptyThread(conversationId)), isLoadingOlder: isLoading },
      },
    })),
  applyAroundPage: (conversationId, page) =>
    set((state) => {
      const existing = state.threads[conversationId];
      // A stretch that reaches the newest message joins a live thread; any other replaces the
      // thread and pages on both ways from there.
      const base = page.reachesNewest && existing && existing.newerCursor === null ? existing : emptyThread(conversationId);
      const oldestBefore = base.order[0];
      const thread = applyToThread(base, page.messages);
      // Keep the thread's own cursor when it already reaches further back than this page.
      const olderCursor = oldestBefore !== undefined && thread.order[0] === oldestBefore ? base.olderCursor : page.olderCursor;
      const lineage = {};
      return {
        threads: {
          ...state.threads,
          [conversationId]: {
            ...thread,
            olderCursor,
            newerCursor: page.reachesNewest ? null : page.newerCursor,
            hasLoadedFirstPage: true,
            isLoadingOlder: false,
            isLoadingNewer: false,
            lineage,
          },
        },
      };
    }),
  applyNewerPage: (conversationId, page) =>
    set((state) => {
      const existing = state.threads[conversationId];
      // A page for a stretch the thread no longer shows (replaced meanwhile) is dropped.
      if (!existing || existing.newerCursor === null) return state;
      const thread = applyToThread(existing, page.messages);
      return { threads: { ...state.threads, [conversationId]: { ...thread, newerCursor: page.newerCursor, isLoadingNewer: false } } };
    }),
  setLoadingNewer: (conversationId, isLoading) =>
    set((state) => {
      const existing = state.threads[conversationId];
      return existing ? { threads: { ...state.threads, [conversationId]: { ...existing, isLoadingNewer: isLoading } } } : state;
    }),
  dropThread: (conversationId) =>
    set((state) => {
      if (!state.threads[conversationId]) return state;
      const threads = { ...state.threads };
      delete threads[conversationId];
      return { threads };
    }),
  removeMessage: (conversationId, key) =>
    set((state) => {
      const thread = state.threads[conversationId];
      if (!thread || !thread.byKey.has(key)) return state;
      thread.byKey.delete(key);
      return {
        threads: {
          ...state.threads,
          [conversationId]: { ...thread, order: thread.order.filter((k) => k !== key), version: thread.version + 1, lineage: {} },
        },
      };
    }),
});
