import { useVirtualizer } from '@tanstack/react-virtual';
import { useCallback, useEffect, useMemo, useRef } from 'react';
import { loadOlder } from '../../actions';
import { formatDay } from '../../format';
import { useAppStore } from '../../store';
import { conversationTitle } from '../../store/conversations';
import { Composer } from '../composer/Composer';
import { MessageRow } from './MessageRow';
import { buildRows } from './rows';

/** Start loading the next older page when the first rendered row is this close to the top. */
const LOAD_OLDER_WITHIN_ROWS = 20;

export function Thread({ conversationId }: Readonly<{ conversationId: string }>): React.JSX.Element {
  const name = useAppStore((s) => conversationTitle(s.conversations[conversationId]));
  return (
    <section className="thread" aria-label={name} data-testid="thread">
      <header className="thread-header">
        <h2>{name}</h2>
      </header>
      <MessageList conversationId={conversationId} />
      <Composer conversationId={conversationId} />
    </section>
  );
}

function MessageList({ conversationId }: Readonly<{ conversationId: string }>): React.JSX.Element {
  const order = useAppStore((s) => s.threads[conversationId]?.order);
  const hasLoaded = useAppStore((s) => s.threads[conversationId]?.hasLoadedFirstPage === true);
  const isLoadingOlder = useAppStore((s) => s.threads[conversationId]?.isLoadingOlder === true);
  const hasOlder = useAppStore((s) => (s.threads[conversationId]?.olderCursor ?? null) !== null);
  const built = useRef<ReturnType<typeof buildRows> | undefined>(undefined);
  const rows = useMemo(() => {
    const thread = useAppStore.getState().threads[conversationId];
    if (!order || !thread) return [];
    built.current = buildRows(order, thread.byKey, built.current);
    return built.current.rows;
  }, [order, conversationId]);

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
    followOnAppend: true,
    scrollEndThreshold: 48,
  });

  // Opening a conversation shows its newest messages.
  const hasScrolledToEnd = useRef(false);
  useEffect(() => {
    if (hasScrolledToEnd.current || rows.length === 0) return;
    hasScrolledToEnd.current = true;
    virtualizer.scrollToIndex(rows.length - 1, { align: 'end' });
  }, [rows.length, virtualizer]);

  const items = virtualizer.getVirtualItems();
  const firstIndex = items[0]?.index ?? 0;
  useEffect(() => {
    if (hasLoaded && hasOlder && !isLoadingOlder && hasScrolledToEnd.current && firstIndex < LOAD_OLDER_WITHIN_ROWS) {
      void loadOlder(conversationId);
    }
  }, [firstIndex, hasLoaded, hasOlder, isLoadingOlder, conversationId]);

  const onKeyDown = useCallback(
    (event: React.KeyboardEvent<HTMLDivElement>) => {
      if (event.target !== event.currentTarget) return;
      if (event.key === 'End') {
        virtualizer.scrollToIndex(rows.length - 1, { align: 'end' });
        event.preventDefault();
      } else if (event.key === 'Home') {
        virtualizer.scrollToIndex(0, { align: 'start' });
        event.preventDefault();
      }
    },
    [rows.length, virtualizer],
  );

  const now = Date.now();
  return (
    <div
      ref={scrollRef}
      className="message-scroll"
      tabIndex={0}
      role="log"
      aria-label="Messages"
      aria-busy={!hasLoaded || isLoadingOlder}
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
    </div>
  );
}
