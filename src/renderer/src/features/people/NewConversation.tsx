import { useEffect, useId, useMemo, useRef, useState } from 'react';
import { useShallow } from 'zustand/react/shallow';
import type { AppErrorData } from '../../../../shared/errors';
import { GROUP_NAME_MAX, PERSON_QUERY_MAX, shortUserId, type Person } from '../../../../shared/people';
import { useFocusTrap } from '../../hooks/useFocusTrap';
import { searchPeople, startConversation } from '../../people-actions';
import { useAppStore } from '../../store';
import { Avatar } from './Avatar';
import './people.css';

const SEARCH_DELAY_MS = 200;
const BUTTON_ID = 'new-conversation-button';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/iu;

/** People the user shares a conversation with: known here, so they can be chosen offline too. */
function useKnownPeople(): Person[] {
  const ownId = useAppStore((s) => s.auth?.user?.id ?? null);
  const members = useAppStore(useShallow((s) => Object.values(s.conversations).flatMap((c) => c.members ?? [])));
  return useMemo(() => {
    const byId = new Map<string, Person>();
    for (const m of members) {
      if (m.userId !== ownId && !byId.has(m.userId)) byId.set(m.userId, { id: m.userId, displayName: m.displayName, username: '', email: null });
    }
    return [...byId.values()].sort((a, b) => a.displayName.localeCompare(b.displayName));
  }, [members, ownId]);
}

function matches(person: Person, query: string): boolean {
  const q = query.trim().toLocaleLowerCase();
  return person.displayName.toLocaleLowerCase().split(/\s+/u).some((word) => word.startsWith(q)) || person.displayName.toLocaleLowerCase().startsWith(q);
}

type Search = Readonly<{ query: string; people: Person[]; hasMore: boolean; error: AppErrorData | null; isLoading: boolean }>;

/** The server's people search as the user types (debounced); offline, the people known here. */
function usePeopleSearch(query: string, known: Person[]): Search {
  const [state, setState] = useState<Search>({ query: '', people: [], hasMore: false, error: null, isLoading: false });
  const trimmed = query.trim();
  useEffect(() => {
    if (trimmed === '') return undefined;
    let isCurrent = true;
    const timer = setTimeout(() => {
      setState((s) => ({ ...s, isLoading: true }));
      void searchPeople(trimmed).then((result) => {
        if (!isCurrent) return;
        if (result.ok) setState({ query: trimmed, people: result.value.people, hasMore: result.value.hasMore, error: null, isLoading: false });
        else setState({ query: trimmed, people: [], hasMore: false, error: result.error, isLoading: false });
      });
    }, SEARCH_DELAY_MS);
    return () => {
      isCurrent = false;
      clearTimeout(timer);
    };
  }, [trimmed]);
  if (trimmed === '') return { query: '', people: known, hasMore: false, error: null, isLoading: false };
  // Until the server answers (or when it cannot), the people known here who match.
  if (state.query !== trimmed || state.error !== null) {
    return { ...state, query: trimmed, people: known.filter((p) => matches(p, trimmed)), hasMore: false, isLoading: state.query !== trimmed || state.isLoading };
  }
  return state;
}

/** Ctrl+N (Cmd+N on macOS) opens the dialog from anywhere in the messenger. */
export function useNewConversationShortcut(): void {
  const setOpen = useAppStore((s) => s.setNewConversationOpen);
  useEffect(() => {
    const onKeyDown = (event: KeyboardEvent): void => {
      if (event.key.toLowerCase() !== 'n' || !(event.ctrlKey || event.metaKey) || event.shiftKey || event.altKey) return;
      event.preventDefault();
      setOpen(true);
    };
    window.addEventListener('keydown', onKeyDown);
    return () => window.removeEventListener('keydown', onKeyDown);
  }, [setOpen]);
}

export function NewConversationButton(): React.JSX.Element {
  const setOpen = useAppStore((s) => s.setNewConversationOpen);
  return (
    <button
      id={BUTTON_ID}
      type="button"
      className="button button-small new-conversation-button"
      aria-haspopup="dialog"
      aria-keyshortcuts="Control+N Meta+N"
      onClick={() => setOpen(true)}
      data-testid="new-conversation-button"
    >
      New conversation
    </button>
  );
}

/** Direct (choose one person) or group (a name and people); Esc closes it. */
export function NewConversationDialog(): React.JSX.Element | null {
  const isOpen = useAppStore((s) => s.isNewConversationOpen);
  return isOpen ? <Dialog /> : null;
}

function Dialog(): React.JSX.Element {
  const setOpen = useAppStore((s) => s.setNewConversationOpen);
  const [kind, setKind] = useState<'direct' | 'group'>('direct');
  const [query, setQuery] = useState('');
  const [groupName, setGroupName] = useState('');
  const [chosen, setChosen] = useState<Person[]>([]);
  const [failure, setFailure] = useState<AppErrorData | null>(null);
  const [isStarting, setStarting] = useState(false);
  const known = useKnownPeople();
  const search = usePeopleSearch(query, known);
  const titleId = useId();
  const searchInput = useRef<HTMLInputElement>(null);
  const dialog = useRef<HTMLElement>(null);
  useFocusTrap(dialog);

  useEffect(() => {
    // What opened the dialog: the button, or whatever had the focus when Ctrl+N was pressed.
    const opener = document.activeElement;
    searchInput.current?.focus();
    const onKeyDown = (event: KeyboardEvent): void => {
      if (event.key === 'Escape') setOpen(false);
    };
    window.addEventListener('keydown', onKeyDown);
    return () => {
      window.removeEventListener('keydown', onKeyDown);
      // Closed without opening a conversation (whose composer takes the focus): back to the opener.
      const active = document.activeElement;
      if (active === null || active === document.body || active.closest('[data-testid="new-conversation"]') !== null) {
        const back = opener instanceof HTMLElement && opener.isConnected && opener !== document.body ? opener : document.getElementById(BUTTON_ID);
        back?.focus();
      }
    };
  }, [setOpen]);

  const start = async (request: Parameters<typeof startConversation>[0]): Promise<void> => {
    setStarting(true);
    setFailure(await startConversation(request));
    setStarting(false);
  };
  const choose = (person: Person): void => {
    if (kind === 'direct') void start({ type: 'direct', person });
    else setChosen((list) => (list.some((p) => p.id === person.id) ? list.filter((p) => p.id !== person.id) : [...list, person]));
  };
  const pastedId = search.error?.code === 'NOT_IMPLEMENTED' && UUID.test(query.trim()) ? query.trim() : null;
  const people = pastedId ? [{ id: pastedId, displayName: shortUserId(pastedId), username: '', email: null }] : search.people;

  return (
    <div className="dialog-backdrop" onMouseDown={(event) => event.target === event.currentTarget && setOpen(false)}>
      <section ref={dialog} className="dialog new-conversation" role="dialog" aria-modal="true" aria-labelledby={titleId} data-testid="new-conversation">
        <header className="dialog-header">
          <h2 id={titleId}>New conversation</h2>
          <button type="button" className="button button-quiet" onClick={() => setOpen(false)}>
            Close
          </button>
        </header>
        <div className="segmented" role="radiogroup" aria-label="Kind of conversation">
          {(['direct', 'group'] as const).map((k) => (
            <label key={k} className={`segment${kind === k ? ' segment-on' : ''}`}>
              <input type="radio" name="conversation-kind" value={k} checked={kind === k} onChange={() => setKind(k)} />
              {k === 'direct' ? 'Direct message' : 'Group'}
            </label>
          ))}
        </div>
        {kind === 'group' && (
          <label className="field">
            <span>Group name</span>
            <input className="input" value={groupName} maxLength={GROUP_NAME_MAX} onChange={(e) => setGroupName(e.target.value)} placeholder="Optional" data-testid="group-name" />
          </label>
        )}
        <label className="field">
          <span>{kind === 'direct' ? 'Find a person' : 'Add people'}</span>
          <input
            ref={searchInput}
            className="input"
            type="search"
            value={query}
            maxLength={PERSON_QUERY_MAX}
            onChange={(e) => setQuery(e.target.value)}
            placeholder="Name or e-mail"
            aria-describedby={`${titleId}-status`}
            data-testid="people-search"
          />
        </label>
        {kind === 'group' && chosen.length > 0 && (
          <ul className="chips" aria-label="Chosen people">
            {chosen.map((p) => (
              <li key={p.id}>
                <button type="button" className="chip" onClick={() => choose(p)} aria-label={`Remove ${p.displayName}`}>
                  {p.displayName} ×
                </button>
              </li>
            ))}
          </ul>
        )}
        <p id={`${titleId}-status`} className="people-status muted" role="status" data-testid="people-status" data-code={search.error?.code ?? ''}>
          {search.error ? search.error.message : search.isLoading ? 'Searching…' : query.trim() === '' ? 'People you share a conversation with' : people.length === 0 ? 'Nobody found.' : search.hasMore ? 'More people match: type more of the name.' : ''}
        </p>
        <ul className="people-results" aria-label="People">
          {people.map((p) => {
            const isChosen = chosen.some((c) => c.id === p.id);
            return (
              <li key={p.id}>
                <button
                  type="button"
                  className={`person${isChosen ? ' person-chosen' : ''}`}
                  aria-pressed={kind === 'group' ? isChosen : undefined}
                  disabled={isStarting}
                  onClick={() => choose(p)}
                  data-testid="person"
                >
                  <Avatar name={p.displayName} />
                  <span className="person-text">
                    <span className="person-name">{p.displayName}</span>
                    <span className="person-detail muted">{p.email ?? (p.username !== '' ? `@${p.username}` : '')}</span>
                  </span>
                </button>
              </li>
            );
          })}
        </ul>
        {failure && (
          <p className="form-error" role="alert" data-code={failure.code}>
            {failure.message}
          </p>
        )}
        {kind === 'group' && (
          <footer className="dialog-footer">
            <button
              type="button"
              className="button button-primary"
              disabled={chosen.length === 0 || isStarting}
              onClick={() => void start({ type: 'group', name: groupName.trim(), people: chosen })}
              data-testid="create-group"
            >
              Create group
            </button>
          </footer>
        )}
      </section>
    </div>
  );
}
