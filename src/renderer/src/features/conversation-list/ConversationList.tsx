import { useShallow } from 'zustand/react/shallow';
import { openConversation } from '../../actions';
import { formatListTime, plural } from '../../format';
import { useNow } from '../../hooks/useNow';
import { useAppStore } from '../../store';
import { conversationTitle, sortConversations } from '../../store/conversations';
import { Avatar } from '../people/Avatar';
import { NewConversationButton } from '../people/NewConversation';

/** Arrow keys move between conversations; Enter or Space opens one (they are buttons). */
function moveFocus(event: React.KeyboardEvent<HTMLUListElement>): void {
  // Alt+↑/↓ are the window's next/previous conversation (keys.ts), not a focus move.
  if (event.altKey || event.ctrlKey || event.metaKey) return;
  if (event.key !== 'ArrowDown' && event.key !== 'ArrowUp' && event.key !== 'Home' && event.key !== 'End') return;
  const buttons = [...event.currentTarget.querySelectorAll<HTMLButtonElement>('button.conversation')];
  const index = buttons.indexOf(document.activeElement as HTMLButtonElement);
  const next =
    event.key === 'Home' ? 0
    : event.key === 'End' ? buttons.length - 1
    : event.key === 'ArrowDown' ? Math.min(buttons.length - 1, index + 1)
    : Math.max(0, index - 1);
  buttons[next]?.focus();
  event.preventDefault();
}

export function ConversationList(): React.JSX.Element {
  const ids = useAppStore(useShallow((s) => sortConversations(Object.values(s.conversations)).map((c) => c.id)));
  const status = useAppStore((s) => s.conversationsStatus);
  const now = useNow(60_000);
  return (
    <nav className="conversation-list" aria-label="Conversations">
      <NewConversationButton />
      {status === 'loading' && ids.length === 0 && <p className="muted list-note">Loading conversations…</p>}
      {status === 'unavailable' && ids.length === 0 && (
        <p className="muted list-note" data-testid="conversations-unavailable">
          Conversations are not available yet.
        </p>
      )}
      {status === 'loaded' && ids.length === 0 && <p className="muted list-note">No conversations yet.</p>}
      <ul onKeyDown={moveFocus}>
        {ids.map((id) => (
          <ConversationRow key={id} id={id} now={now} />
        ))}
      </ul>
    </nav>
  );
}

function ConversationRow({ id, now }: Readonly<{ id: string; now: number }>): React.JSX.Element | null {
  const conversation = useAppStore((s) => s.conversations[id]);
  const isSelected = useAppStore((s) => s.selectedConversationId === id);
  if (!conversation) return null;
  const { lastMessage, unreadCount, pendingCount } = conversation;
  return (
    <li>
      <button
        type="button"
        className={`conversation${isSelected ? ' conversation-selected' : ''}`}
        aria-current={isSelected ? 'true' : undefined}
        data-testid="conversation"
        onClick={() => void openConversation(id)}
      >
        <span className="conversation-avatar-row">
          <Avatar name={conversationTitle(conversation)} isGroup={conversation.type === 'group'} size={36} />
          <span className="conversation-text">
            <span className="conversation-top">
              <span className="conversation-name">{conversationTitle(conversation)}</span>
              {conversation.type === 'group' && conversation.memberCount !== undefined && (
                <span className="conversation-members muted" data-testid="member-count">
                  {plural(conversation.memberCount, 'member')}
                </span>
              )}
              {lastMessage && <time className="conversation-time">{formatListTime(lastMessage.at, now)}</time>}
            </span>
            <span className="conversation-bottom">
              <span className="conversation-preview">
                {conversation.creation === 'pending'
                  ? 'Will be created when the connection returns'
                  : conversation.creation === 'failed'
                    ? 'Could not be created'
                    : lastMessage
                      ? `${lastMessage.isOwn ? 'You: ' : ''}${lastMessage.preview}`
                      : 'No messages yet'}
              </span>
              {pendingCount > 0 && (
                <span className="badge badge-pending" title={`${plural(pendingCount, 'message')} waiting to be sent`}>
                  {pendingCount} waiting
                </span>
              )}
              {unreadCount > 0 && (
                <span className="badge badge-unread" data-testid="unread-count">
                  {unreadCount}
                  <span className="sr-only"> unread</span>
                </span>
              )}
            </span>
          </span>
        </span>
      </button>
    </li>
  );
}
