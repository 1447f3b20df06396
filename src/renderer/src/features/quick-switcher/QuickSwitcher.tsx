import { useEffect, useId, useMemo, useRef, useState } from 'react';
import { useShallow } from 'zustand/react/shallow';
import type { ConversationSummary } from '../../../../shared/contract';
import { openConversation } from '../../actions';
import { ariaKeys, displayKeys, useShortcut } from '../../keys';
import { useAppStore } from '../../store';
import { conversationTitle, sortConversations } from '../../store/conversations';
import { rankConversations } from './rank';

export const QUICK_SWITCHER_KEYS = 'Mod+K';
const NEXT_KEYS = 'Alt+ArrowDown';
const PREVIOUS_KEYS = 'Alt+ArrowUp';

/** Opens the conversation and puts the cursor in its composer (a new thread focuses its own). */
function goTo(conversationId: string): void {
  const wasOpen = useAppStore.getState().selectedConversationId === conversationId;
  void openConversation(conversationId);
  if (wasOpen) document.getElementById(`composer-${conversationId}`)?.focus();
}

/** The conversation `step` places away from the open one in list order; stops at the ends. */
export function neighbour(ordered: readonly string[], current: string | null, step: 1 | -1): string | null {
  if (ordered.length === 0) return null;
  const index = current === null ? -1 : ordered.indexOf(current);
  if (index < 0) return step === 1 ? (ordered[0] ?? null) : (ordered.at(-1) ?? null);
  return ordered[Math.min(ordered.length - 1, Math.max(0, index + step))] ?? null;
}

/**
 * The signed-in window's keyboard way around: Ctrl/Cmd+K finds a conversation by name, Alt+↑/↓
 * open the previous and next one in the list.
 */
export function ConversationKeys(): React.JSX.Element | null {
  const [isOpen, setOpen] = useState(false);
  useShortcut(QUICK_SWITCHER_KEYS, () => setOpen((open) => !open), { description: 'Go to a conversation by name' });
  const step = (direction: 1 | -1): void => {
    const state = useAppStore.getState();
    const ordered = sortConversations(Object.values(state.conversations)).map((c) => c.id);
    const next = neighbour(ordered, state.selectedConversationId, direction);
    if (next !== null && next !== state.selectedConversationId) goTo(next);
  };
  useShortcut(NEXT_KEYS, () => step(1), { description: 'Next conversation' });
  useShortcut(PREVIOUS_KEYS, () => step(-1), { description: 'Previous conversation' });
  return isOpen ? <QuickSwitcher onClose={() => setOpen(false)} /> : null;
}

function QuickSwitcher({ onClose }: Readonly<{ onClose: () => void }>): React.JSX.Element {
  const [query, setQuery] = useState('');
  const [active, setActive] = useState(0);
  const conversations = useAppStore(useShallow((s) => sortConversations(Object.values(s.conversations))));
  const results = useMemo(() => rankConversations(conversations, query), [conversations, query]);
  const input = useRef<HTMLInputElement>(null);
  const opener = useRef<Element | null>(null);
  const titleId = useId();
  const listId = useId();
  const optionId = (index: number): string => `${listId}-option-${index}`;
  const activeIndex = Math.min(active, results.length - 1);

  useEffect(() => {
    // Escape gives the focus back to where it was; choosing a conversation moves it to its composer.
    opener.current = document.activeElement;
    input.current?.focus();
    return () => {
      const previous = opener.current;
      if ((document.activeElement === null || document.activeElement === document.body) && previous instanceof HTMLElement && previous.isConnected) {
        previous.focus();
      }
    };
  }, []);
  useShortcut('Escape', onClose);

  const choose = (conversation: ConversationSummary | undefined): void => {
    if (!conversation) return;
    opener.current = null;
    onClose();
    goTo(conversation.id);
  };

  const onKeyDown = (event: React.KeyboardEvent<HTMLInputElement>): void => {
    if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
      event.preventDefault();
      if (results.length === 0) return;
      const delta = event.key === 'ArrowDown' ? 1 : -1;
      setActive((activeIndex + delta + results.length) % results.length);
    } else if (event.key === 'Enter' && !event.nativeEvent.isComposing) {
      event.preventDefault();
      choose(results[activeIndex]);
    }
  };

  return (
    <div className="quick-switcher-backdrop" onMouseDown={(event) => event.target === event.currentTarget && onClose()}>
      <div className="quick-switcher" role="dialog" aria-modal="true" aria-labelledby={titleId} data-testid="quick-switcher">
        <h2 id={titleId} className="sr-only">
          Go to conversation
        </h2>
        <input
          ref={input}
          className="quick-switcher-input"
          type="text"
          role="combobox"
          aria-label="Conversation name"
          aria-expanded="true"
          aria-controls={listId}
          aria-autocomplete="list"
          aria-activedescendant={activeIndex >= 0 ? optionId(activeIndex) : undefined}
          aria-keyshortcuts={ariaKeys(QUICK_SWITCHER_KEYS)}
          placeholder="Go to conversation…"
          autoComplete="off"
          spellCheck={false}
          value={query}
          onChange={(event) => {
            setQuery(event.target.value);
            setActive(0);
          }}
          onKeyDown={onKeyDown}
          data-testid="quick-switcher-input"
        />
        <ul id={listId} className="quick-switcher-list" role="listbox" aria-label="Conversations">
          {results.map((conversation, index) => (
            <li
              key={conversation.id}
              id={optionId(index)}
              role="option"
              aria-selected={index === activeIndex}
              className={`quick-switcher-option${index === activeIndex ? ' quick-switcher-option-active' : ''}`}
              onMouseDown={(event) => event.preventDefault()}
              onClick={() => choose(conversation)}
              onMouseMove={() => index !== activeIndex && setActive(index)}
              data-testid="quick-switcher-option"
              data-conversation-id={conversation.id}
            >
              <span className="quick-switcher-name">{conversationTitle(conversation)}</span>
              {conversation.unreadCount > 0 && (
                <span className="badge badge-unread">
                  {conversation.unreadCount}
                  <span className="sr-only"> unread</span>
                </span>
              )}
            </li>
          ))}
        </ul>
        <p className="quick-switcher-status muted" role="status" aria-live="polite" data-testid="quick-switcher-status">
          {results.length === 0 ? 'No conversation matches.' : `${results.length} ${results.length === 1 ? 'conversation' : 'conversations'}`}
        </p>
        <p className="quick-switcher-hint muted">
          ↑ ↓ to choose, Enter to open, Esc to close · {displayKeys(PREVIOUS_KEYS)} / {displayKeys(NEXT_KEYS)} previous / next conversation
        </p>
      </div>
    </div>
  );
}
