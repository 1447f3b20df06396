import { useVirtualizer } from '@tanstack/react-virtual';
import { useCallback, useEffect, useLayoutEffect, useMemo, useReducer, useRef } from 'react';
import { loadNewer, loadOlder, showLatest } from '../../actions';
import { formatDay, plural } from '../../format';
import { useAppStore } from '../../store';
import { conversationTitle } from '../../store/conversations';
import { Composer } from '../composer/Composer';
import { Avatar } from '../people/Avatar';
import { TypingIndicator } from '../people/Typing';
import { RefusedCreationActions } from '../people/Discarded';
import { MessageRow } from './MessageRow';
import { buildRows, type BuiltRows } from './rows';

/** Start loading the next older (newer) page when the first (last) rendered row is this close to the top (end). */
const LOAD_OLDER_WITHIN_ROWS = 20;
/**
 * While the user follows the newest messages, the virtualizer sees only this many of the newest
 * loaded rows. It rebuilds the position of every row it is given whenever rows are added, so a
 * burst into a thread with 100,000 loaded messages would otherwise cost the whole thread per frame.
 */
const FOLLOW_WINDOW_ROWS = 200;
/** Rows revealed at a time when the user scrolls up to the top of the window. */
const WINDOW_STEP_ROWS = 200;
const SCROLL_END_THRESHOLD_PX = 48;

type RowWindow = Readonly<{ built: BuiltRows | undefined; size: number }>;

/** How many of the newest rows the virtualizer sees after the rows change. */
export function nextWindowSize(previous: RowWindow, built: BuiltRows, isFollowing: boolean): number {
  const total = built.rows.length;
  const previousTotal = previous.built?.rows.length ?? 0;
  if (built.appended === null) {
    // Built again (an older page, a message moved): a window that showed everything still does.
    return previous.size >= previousTotal ? total : Math.min(total, previous.size);
  }
  const grown = previous.size + built.appended;
  // Reading older messages: the rows above stay where they are.
  return Math.min(total, isFollowing ? Math.min(grown, FOLLOW_WINDOW_ROWS) : grown);
}

/**
 * A scroll command the thread issued (opening at the end or at "New messages", a jump, "Jump to
 * latest") is still steering: the virtualizer keeps moving to the row it was given by index until
 * the list has settled there, frames later. Rows added above meanwhile (an older page, rows revealed
 * above the window) shift every index, and the command lands on another row, up to a page away
 * from the one asked for. So nothing is added above until it has landed. The virtualizer keeps
 * this state to itself; it is null when no command is under way.
 */
function isSteering(virtualizer: object): boolean {
  return ((virtualizer as { scrollState?: unknown }).scrollState ?? null) !== null;
}

export function Thread({ conversationId }: Readonly<{ conversationId: string }>): React.JSX.Element {
  const name = useAppStore((s) => conversationTitle(s.conversations[conversationId]));
  const isCatchingUp = useAppStore((s) => s.catchingUp.includes(conversationId));
  const type = useAppStore((s) => s.conversations[conversationId]?.type ?? 'direct');
  const memberCount = useAppStore((s) => s.conversations[conversationId]?.memberCount);
  const creation = useAppStore((s) => s.conversations[conversationId]?.creation ?? null);
  return (
    <section className="thread" aria-label={name} data-testid="thread">
      <header className="thread-header">
        <div className="thread-title">
          <Avatar name={name} isGroup={type === 'group'} />
          <div>
            <h2 data-testid="thread-title">{name}</h2>
            {type === 'group' && memberCount !== undefined && (
              <span className="thread-subtitle muted" data-testid="thread-members">
                {plural(memberCount, 'member')}
              </span>
            )}
          </div>
        </div>
        {isCatchingUp && (
          <span className="thread-catching-up muted" role="status" data-testid="catching-up">
            catching up…
          </span>
        )}
      </header>
      {creation !== null && (
        <p className="creation-note muted" role="status" data-testid="creation-note" data-creation={creation}>
          {creation === 'pending'
            ? 'This conversation will be created when the connection returns; what you write here waits for it.'
            : 'The server did not create this conversation, so its messages were not sent.'}
          {creation === 'failed' && <RefusedCreationActions conversationId={conversationId} />}
        </p>
      )}
      <MessageList conversationId={conversationId} />
      <TypingIndicator conversationId={conversationId} />
      <Composer conversationId={conversationId} />
    </section>
  );
}

function MessageList({ conversationId }: Readonly<{ conversationId: string }>): React.JSX.Element {
  const order = useAppStore((s) => s.threads[conversationId]?.order);
  const hasLoaded = useAppStore((s) => s.threads[conversationId]?.hasLoadedFirstPage === true);
  const isLoadingOlder = useAppStore((s) => s.threads[conversationId]?.isLoadingOlder === true);
  const hasOlder = useAppStore((s) => (s.threads[conversationId]?.olderCursor ?? null) !== null);
  const lineage = useAppStore((s) => s.threads[conversationId]?.lineage);
  // A stretch far back: newer pages load as the user reaches its end; nothing follows the end.
  const hasNewer = useAppStore((s) => (s.threads[conversationId]?.newerCursor ?? null) !== null);
  const isLoadingNewer = useAppStore((s) => s.threads[conversationId]?.isLoadingNewer === true);
  const wasDetached = useRef(hasNewer);
  const built = useRef<BuiltRows | undefined>(undefined);
  const current = useMemo(() => {
    const thread = useAppStore.getState().threads[conversationId];
    if (!order || !thread) return undefined;
    built.current = buildRows(order, thread.byKey, built.current, lineage);
    return built.current;
  }, [order, lineage, conversationId]);

  // The newest `size` rows are what the virtualizer sees (see FOLLOW_WINDOW_ROWS). Worked out while
  // rendering when the rows change, so the virtualizer never sees a stale window; revealing rows
  // above changes it from effects and renders again through `reveal`.
  const virtualizerRef = useRef<ReturnType<typeof useVirtualizer<HTMLDivElement, Element>> | null>(null);
  const rowWindow = useRef<RowWindow>({ built: undefined, size: 0 });
  const [, reveal] = useReducer((count: number) => count + 1, 0);
  // Set when the window dropped rows while following: the virtualizer follows an append that keeps
  // some of the rows it had, but not one that replaced them all (a batch longer than the window),
  // and a scroll command still under way (End, just before) may name a row no longer there.
  const isTrimPending = useRef(false);
  if (current && rowWindow.current.built !== current) {
    const previous = rowWindow.current;
    // Rows a newer page added below a stretch are read, not followed (and not trimmed away).
    const isFollowing = current.appended !== null && !wasDetached.current && (virtualizerRef.current?.isAtEnd(SCROLL_END_THRESHOLD_PX) ?? true);
    const size = nextWindowSize(previous, current, isFollowing);
    if (isFollowing && current.appended !== null && (size < previous.size || current.appended >= size)) {
      isTrimPending.current = true;
    }
    rowWindow.current = { built: current, size };
  }
  // The render that appends a stretch's last newer page does not follow it either.
  const isDetached = hasNewer || wasDetached.current;
  wasDetached.current = hasNewer;
  const shown = rowWindow.current;
  const allRows = current?.rows;
  const rows = useMemo(
    () => (allRows ? allRows.slice(allRows.length - shown.size) : []),
    [allRows, shown.size],
  );
  const hiddenAbove = (allRows?.length ?? 0) - rows.length;

  const scrollRef = useRef<HTMLDivElement>(null);
  // The virtualizer rebuilds every row's position whenever getItemKey changes, so it changes only
  // with the rows: a render for a scroll or a row's resize must not cost the whole thread.
  const getItemKey = useCallback((index: number) => rows[index]?.key ?? index, [rows]);
  const estimateSize = useCallback((index: number) => (rows[index]?.kind === 'day' ? 40 : 64), [rows]);
  const getScrollElement = useCallback(() => scrollRef.current, []);
  // We do not use the React Compiler; the virtualizer re-renders this component through its own state.
  // eslint-disable-next-line react-hooks/incompatible-library
  const virtualizer = useVirtualizer({
    count: rows.length,
    getScrollElement,
    estimateSize,
    getItemKey,
    overscan: 8,
    // A chat: older pages arrive above without moving what the user reads, new messages follow
    // the bottom while the user is there.
    anchorTo: 'end',
    followOnAppend: !isDetached,
    scrollEndThreshold: SCROLL_END_THRESHOLD_PX,
  });
  virtualizerRef.current = virtualizer;

  // Opening a conversation shows its newest messages, or where "New messages" begins.
  const hasScrolledToEnd = useRef(false);
  useEffect(() => {
    if (hasScrolledToEnd.current || rows.length === 0) return;
    hasScrolledToEnd.current = true;
    const divider = useAppStore.getState().unreadDivider[conversationId] ?? null;
    const at = divider === null ? -1 : rows.findIndex((row) => row.kind === 'message' && row.key === divider);
    if (at > 0) virtualizer.scrollToIndex(at, { align: 'start' });
    else virtualizer.scrollToIndex(rows.length - 1, { align: 'end' });
  }, [rows, virtualizer, conversationId]);

  useLayoutEffect(() => {
    if (!isTrimPending.current || rows.length === 0) return;
    isTrimPending.current = false;
    virtualizer.scrollToIndex(rows.length - 1, { align: 'end' });
  }, [rows, virtualizer]);

  // A search result picked: reveal the rows down to it, then bring it to the middle, once per pick.
  const jump = useAppStore((s) => (s.jumpTarget?.conversationId === conversationId ? s.jumpTarget : null));
  const handledJump = useRef<object | null>(null);
  useEffect(() => {
    if (!jump || handledJump.current === jump || !allRows) return;
    const index = allRows.findIndex((row) => row.kind === 'message' && row.key === jump.key);
    if (index < 0) return;
    const needed = allRows.length - index + 10;
    if (rowWindow.current.size < needed && rowWindow.current.size < allRows.length) {
      rowWindow.current = { ...rowWindow.current, size: Math.min(allRows.length, needed) };
      reveal();
      return;
    }
    handledJump.current = jump;
    hasScrolledToEnd.current = true;
    virtualizer.scrollToIndex(index - (allRows.length - rowWindow.current.size), { align: 'center' });
  }, [jump, allRows, shown.size, virtualizer]);

  // Home shows the oldest loaded row: the whole window first, then the scroll.
  const isHomePending = useRef(false);
  useEffect(() => {
    if (!isHomePending.current || hiddenAbove > 0) return;
    isHomePending.current = false;
    virtualizer.scrollToIndex(0, { align: 'start' });
  }, [hiddenAbove, virtualizer]);

  // "Jump to latest" from a stretch far back loads the newest page, then shows its end. Declared
  // before the paging effects: in the commit that shows the newest page the list still sits where
  // the stretch was read, and the command must be under way before they look (see isSteering).
  const isLatestPending = useRef(false);
  useEffect(() => {
    if (!isLatestPending.current || hasNewer || rows.length === 0) return;
    isLatestPending.current = false;
    virtualizer.scrollToEnd();
  }, [hasNewer, rows, virtualizer]);

  const items = virtualizer.getVirtualItems();
  const firstIndex = items[0]?.index ?? 0;
  useEffect(() => {
    if (!hasScrolledToEnd.current || firstIndex >= LOAD_OLDER_WITHIN_ROWS || isSteering(virtualizer)) return;
    if (hiddenAbove > 0) {
      // Loaded rows above the window come first; the virtualizer keeps the reader's row in place.
      const w = rowWindow.current;
      rowWindow.current = { ...w, size: Math.min(w.built?.rows.length ?? 0, w.size + WINDOW_STEP_ROWS) };
      reveal();
    } else if (hasLoaded && hasOlder && !isLoadingOlder) {
      void loadOlder(conversationId);
    }
    // isScrolling: looked at again once a scroll command has landed and the list is still.
  }, [firstIndex, hiddenAbove, hasLoaded, hasOlder, isLoadingOlder, conversationId, virtualizer, virtualizer.isScrolling]);

  const lastIndex = items[items.length - 1]?.index ?? 0;
  useEffect(() => {
    if (!hasScrolledToEnd.current || !hasNewer || isLoadingNewer || lastIndex < rows.length - LOAD_OLDER_WITHIN_ROWS) return;
    void loadNewer(conversationId);
  }, [lastIndex, rows.length, hasNewer, isLoadingNewer, conversationId]);

  const jumpToLatest = useCallback(() => {
    if (!hasNewer) {
      virtualizer.scrollToEnd();
      return;
    }
    isLatestPending.current = true;
    void showLatest(conversationId);
  }, [hasNewer, virtualizer, conversationId]);

  const onKeyDown = useCallback(
    (event: React.KeyboardEvent<HTMLDivElement>) => {
      if (event.target !== event.currentTarget) return;
      if (event.key === 'End') {
        virtualizer.scrollToIndex(rows.length - 1, { align: 'end' });
        event.preventDefault();
      } else if (event.key === 'Home') {
        if (hiddenAbove > 0) {
          isHomePending.current = true;
          const w = rowWindow.current;
          rowWindow.current = { ...w, size: w.built?.rows.length ?? 0 };
          reveal();
        } else virtualizer.scrollToIndex(0, { align: 'start' });
        event.preventDefault();
      }
    },
    [rows.length, hiddenAbove, virtualizer],
  );

  const now = Date.now();
  const isAwayFromEnd = rows.length > 0 && hasScrolledToEnd.current && (hasNewer || !virtualizer.isAtEnd(SCROLL_END_THRESHOLD_PX));
  return (
    <div className="message-area">
    <div
      ref={scrollRef}
      className="message-scroll"
      tabIndex={0}
      role="log"
      aria-label="Messages"
      // Rows come and go as the list scrolls (it is virtualised): the Announcer speaks new messages.
      aria-live="off"
      aria-busy={!hasLoaded || isLoadingOlder || isLoadingNewer}
      onKeyDown={onKeyDown}
      data-testid="message-scroll"
    >
      {!hasLoaded && <p className="muted list-note">Loading messages…</p>}
      {hasLoaded && rows.length === 0 && <p className="muted list-note">No messages yet. Say hello.</p>}
      <div className="message-canvas" style={{ height: virtualizer.getTotalSize() }}>
        {items.map((item) => {
          const row = rows[item.index];
          if (!row) return null;
          return (
            <div
              key={item.key}
              ref={virtualizer.measureElement}
              data-index={item.index}
              className="message-slot"
              style={{ transform: `translateY(${item.start}px)` }}
            >
              {row.kind === 'day' ? (
                <div className="day-separator" role="separator">
                  <span>{formatDay(row.at, now)}</span>
                </div>
              ) : (
                <MessageRow conversationId={conversationId} messageKey={row.key} />
              )}
            </div>
          );
        })}
      </div>
      {isLoadingOlder && <p className="loading-older">Loading older messages…</p>}
      {isLoadingNewer && <p className="loading-older">Loading newer messages…</p>}
    </div>
      {isAwayFromEnd && (
        <button
          type="button"
          className="button button-small jump-latest"
          onClick={jumpToLatest}
          data-testid="jump-latest"
        >
          Jump to latest ↓
        </button>
      )}
    </div>
  );
}
