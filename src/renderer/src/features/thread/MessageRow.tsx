import { memo } from 'react';
import type { MessageView } from '../../../../shared/contract';
import { cancelMessage, deleteOwnMessage } from '../../actions';
import { formatTime } from '../../format';
import { useAppStore } from '../../store';
import { MessageTimeline } from './MessageTimeline';
import { MESSAGE_STATE_TEXT } from './status';

export const MessageRow = memo(function MessageRow({
  conversationId,
  messageKey,
}: Readonly<{ conversationId: string; messageKey: string }>): React.JSX.Element | null {
  const message = useAppStore((s) => s.threads[conversationId]?.byKey.get(messageKey));
  const isTimelineOpen = useAppStore((s) => s.timelineKey === messageKey);
  const isEditing = useAppStore((s) => s.editing?.key === messageKey);
  if (!message) return null;
  const isDeleted = message.deleted === true;
  return (
    <div
      className={`message ${message.isOwn ? 'message-own' : 'message-other'}${isEditing ? ' message-editing' : ''}`}
      data-testid="message"
      data-key={message.key}
      data-state={message.state}
      data-deleted={isDeleted ? 'true' : undefined}
    >
      <div className="message-bubble">
        {isDeleted ? (
          <p className="message-text message-deleted" data-testid="message-deleted">
            Message deleted
          </p>
        ) : (
          <p className="message-text">{message.text}</p>
        )}
        <span className="message-meta">
          <time>{formatTime(message.composedAt)}</time>
          {message.editedAt != null && !isDeleted && (
            <span className="message-edited" data-testid="message-edited">
              edited
            </span>
          )}
          {message.isOwn && <MessageStatus message={message} isOpen={isTimelineOpen} />}
        </span>
        {message.isOwn && !isDeleted && <OwnMessageActions message={message} />}
      </div>
      {message.isOwn && isTimelineOpen && <MessageTimeline message={message} />}
    </div>
  );
});

function MessageStatus({ message, isOpen }: Readonly<{ message: MessageView; isOpen: boolean }>): React.JSX.Element {
  const setTimelineKey = useAppStore((s) => s.setTimelineKey);
  const text = MESSAGE_STATE_TEXT[message.state];
  const reason = message.error && (message.state === 'failed' || message.state === 'expired') ? ` — ${message.error.message}` : '';
  return (
    <button
      type="button"
      className={`message-status status-${message.state}`}
      data-testid="message-status"
      aria-expanded={isOpen}
      title={`${text.description} Click for its delivery timeline.`}
      onClick={() => setTimelineKey(isOpen ? null : message.key)}
    >
      <span aria-hidden="true">{text.symbol}</span> {text.label}
      {reason && <span className="message-status-reason">{reason}</span>}
    </button>
  );
}

/** Edit, and Cancel (not sent yet) or Delete (sent): the user's own messages only. */
function OwnMessageActions({ message }: Readonly<{ message: MessageView }>): React.JSX.Element {
  const setEditing = useAppStore((s) => s.setEditing);
  const isSent = message.state === 'sent';
  return (
    <span className="message-actions">
      <button
        type="button"
        className="message-action"
        aria-label="Edit message"
        onClick={() => setEditing({ conversationId: message.conversationId, key: message.key, text: message.text })}
      >
        Edit
      </button>
      {isSent ? (
        <button type="button" className="message-action" aria-label="Delete message" onClick={() => void deleteOwnMessage(message)}>
          Delete
        </button>
      ) : (
        <button
          type="button"
          className="message-action"
          aria-label="Cancel sending"
          onClick={() => void cancelMessage(message.key, message.conversationId)}
        >
          Cancel
        </button>
      )}
    </span>
  );
}
