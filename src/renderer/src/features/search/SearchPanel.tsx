import { useEffect, useRef, useState } from 'react';
import type { SearchHit, SearchResult } from '../../../../shared/search';
import { formatDateTime, plural } from '../../format';
import { useAppStore } from '../../store';
import { conversationTitle } from '../../store/conversations';
import { jumpToMessage, loadSearchStatus, runSearch, type SearchOrder } from './actions';

/** Typing pauses this long before the query runs: one search per word, not per key. */
const TYPING_PAUSE_MS = 150;

function isSearchShortcut(event: KeyboardEvent): boolean {
  return (event.ctrlKey || event.metaKey) && !event.shiftKey && !event.altKey && event.key.toLowerCase() === 'f';
}

/** The header button; Ctrl/Cmd+F opens the panel too. */
export function SearchButton(): React.JSX.Element {
  const setOpen = useAppStore((s) => s.setSearchOpen);
  useEffect(() => {
    const onKeyDown = (event: KeyboardEvent): void => {
      if (!isSearchShortcut(event)) return;
      event.preventDefault();
      setOpen(true);
    };
    window.addEventListener('keydown', onKeyDown);
    return () => window.removeEventListener('keydown', onKeyDown);
  }, [setOpen]);
  return (
    <button type="button" className="button button-quiet" onClick={() => setOpen(true)} aria-keyshortcuts="Control+F Meta+F" data-testid="search-button">
      Search
    </button>
  );
}

/** Search over every message on this computer: works offline, highlights the matched words. */
export function SearchPanel(): React.JSX.Element | null {
  const isOpen = useAppStore((s) => s.isSearchOpen);
  if (!isOpen) return null;
  return <OpenSearchPanel />;
}

function OpenSearchPanel(): React.JSX.Element {
  const setOpen = useAppStore((s) => s.setSearchOpen);
  const selected = useAppStore((s) => s.selectedConversationId);
  const selectedName = useAppStore((s) => (selected ? conversationTitle(s.conversations[selected]) : null));
  const index = useAppStore((s) => s.searchIndex);
  const [query, setQuery] = useState('');
  const [isThisConversation, setThisConversation] = useState(false);
  const [order, setOrder] = useState<SearchOrder>('best');
  const [answer, setAnswer] = useState<Readonly<{ query: string; scope: string | null; order: SearchOrder; result: SearchResult | null }> | null>(null);
  const input = useRef<HTMLInputElement>(null);
  const scope = isThisConversation && selected ? selected : null;
  const isEmpty = query.trim() === '';
  // The last answer stays on screen while the next one is on its way.
  const result = isEmpty ? null : (answer?.result ?? null);
  const isSearching = !isEmpty && (answer === null || answer.query !== query || answer.scope !== scope || answer.order !== order);

  useEffect(() => {
    input.current?.focus();
    void loadSearchStatus();
    const onKeyDown = (event: KeyboardEvent): void => {
      if (event.key === 'Escape') setOpen(false);
      // Ctrl/Cmd+F again goes back to the query.
      if (isSearchShortcut(event)) input.current?.select();
    };
    window.addEventListener('keydown', onKeyDown);
    return () => window.removeEventListener('keydown', onKeyDown);
  }, [setOpen]);

  useEffect(() => {
    if (isEmpty) return undefined;
    let isCurrent = true;
    const timer = setTimeout(() => {
      void runSearch(query, scope, order).then((found) => {
        if (isCurrent) setAnswer({ query, scope, order, result: found });
      });
    }, TYPING_PAUSE_MS);
    return () => {
      isCurrent = false;
      clearTimeout(timer);
    };
  }, [query, scope, order, isEmpty]);

  const onPick = (hit: SearchHit): void => {
    void jumpToMessage(hit.conversationId, hit.key).then((jumped) => {
      if (jumped) setOpen(false);
    });
  };

  return (
    <aside className="search-panel" role="dialog" aria-label="Search messages" data-testid="search-panel">
      <header className="search-header">
        <div className="search-header-top">
          <h2>Search</h2>
          <button type="button" className="button button-quiet" onClick={() => setOpen(false)}>
            Close
          </button>
        </div>
        <input
          ref={input}
          type="search"
          className="search-input"
          placeholder='Words, prefixes or "a phrase"'
          aria-label="Search messages"
          value={query}
          maxLength={200}
          onChange={(event) => setQuery(event.target.value)}
          data-testid="search-input"
        />
        {selected && (
          <label className="search-scope">
            <input type="checkbox" checked={isThisConversation} onChange={(event) => setThisConversation(event.target.checked)} data-testid="search-scope" />
            Only in {selectedName}
          </label>
        )}
        <label className="search-order">
          Sort by{' '}
          <select value={order} onChange={(event) => setOrder(event.target.value === 'newest' ? 'newest' : 'best')} data-testid="search-order">
            <option value="best">Best match</option>
            <option value="newest">Newest</option>
          </select>
        </label>
        {index && !index.done && <IndexProgress indexed={index.indexed} total={index.total} />}
      </header>
      <div className="search-results" aria-live="polite" aria-busy={isSearching}>
        {result && result.hits.length === 0 && !isSearching && (
          <p className="muted list-note" data-testid="search-empty">
            No messages on this computer match.
          </p>
        )}
        {result && result.hits.length > 0 && (
          <p className="muted search-count" data-testid="search-count">
            {result.hasMore
              ? `The ${order === 'best' ? 'best' : 'newest'} ${result.hits.length} matches`
              : plural(result.hits.length, 'match', 'matches')}
          </p>
        )}
        <ul className="search-list">
          {result?.hits.map((hit) => (
            <li key={hit.key}>
              <SearchHitRow hit={hit} onPick={onPick} />
            </li>
          ))}
        </ul>
      </div>
    </aside>
  );
}

function IndexProgress({ indexed, total }: Readonly<{ indexed: number; total: number }>): React.JSX.Element {
  const percent = total > 0 ? Math.floor((indexed / total) * 100) : 0;
  return (
    <div className="search-indexing" data-testid="search-indexing">
      <progress max={total} value={indexed} aria-label="Indexing messages for search" />
      <span className="muted">
        Indexing older messages for search: {percent}% ({indexed.toLocaleString()} of {total.toLocaleString()}). Results may be incomplete until it is done.
      </span>
    </div>
  );
}

function SearchHitRow({ hit, onPick }: Readonly<{ hit: SearchHit; onPick: (hit: SearchHit) => void }>): React.JSX.Element {
  const name = useAppStore((s) => conversationTitle(s.conversations[hit.conversationId]));
  return (
    <button type="button" className="search-hit" onClick={() => onPick(hit)} data-testid="search-hit" data-key={hit.key}>
      <span className="search-hit-top">
        <span className="search-hit-name">{name}</span>
        <time className="muted">{formatDateTime(hit.composedAt)}</time>
      </span>
      <span className="search-hit-text">
        {hit.isOwn && <span className="muted">You: </span>}
        {hit.snippet.map((part, index) => (part.hit ? <mark key={index}>{part.text}</mark> : <span key={index}>{part.text}</span>))}
      </span>
    </button>
  );
}
