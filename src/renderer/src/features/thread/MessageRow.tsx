import { memo } from 'react';
import type { MessageView } from '../../../../shared/contract';
import { cancelMessage, deleteOwnMessage, undoIntent } from '../../actions';
import { formatTime } from '../../format';
import { readersOf, shortUserId } from '../../../../shared/people';
import { useAppStore } from '../../store';
import { MessageTimeline } from './MessageTimeline';
import { MESSAGE_STATE_TEXT } from './status';

export const MessageRow = memo(function MessageRow({
  conversationId,
  messageKey,
}: Readonly<{ conversationId: string; messageKey: string }>): React.JSX.Element | null {
  const message = useAppStore((s) => s.threads[conversationId]?.byKey.get(messageKey));
  const isTimelineOpen = useAppStore((s) => s.timelineKey === messageKey);
  const isJumpTarget = useAppStore((s) => s.jumpTarget?.key === messageKey && s.jumpTarget.conversationId === conversationId);
  const isEditing = useAppStore((s) => s.editing?.key === messageKey);
  const hasDivider = useAppStore((s) => s.unreadDivider[conversationId] === messageKey);
  const isGroup = useAppStore((s) => s.conversations[conversationId]?.type === 'group');
  const readers = useAppStore((s) =>
    message?.isOwn === true && message.state === 'sent' ? readersOf(s.conversations[conversationId]?.members, message.senderId, message.seq) : 0,
  );
  const senderName = useAppStore((s) =>
    isGroup && message && !message.isOwn
      ? (s.conversations[conversationId]?.members?.find((m) => m.userId === message.senderId)?.displayName ?? shortUserId(message.senderId))
      : null,
  );
  const wasAlreadyDelivered = useAppStore((s) => s.alreadyDeliveredKey === messageKey);
  if (!message) return null;
  const isDeleted = message.deleted === true;
  return (
    <div
      className={`message ${message.isOwn ? 'message-own' : 'message-other'}${isEditing ? ' message-editing' : ''}${isJumpTarget ? ' message-jump-target' : ''}`}
      data-jump-target={isJumpTarget ? 'true' : undefined}
      data-testid="message"
      data-key={message.key}
      data-state={message.state}
      data-deleted={isDeleted ? 'true' : undefined}
      data-edited={message.editedAt != null && !isDeleted ? 'true' : undefined}
      data-readers={message.isOwn ? readers : undefined}
    >
      {hasDivider && (
        <div className="unread-divider" role="separator" data-testid="unread-divider">
          New messages
        </div>
      )}
      <div className="message-bubble">
        {senderName !== null && <span className="message-sender">{senderName}</span>}
        {isDeleted ? (
          <p className="message-text message-deleted" data-testid="message-deleted">
            Message deleted
          </p>
        ) : (
          <p className="message-text">{message.text}</p>
        )}
        <span className="message-meta">
          {message.isOwn && !isDeleted && <OwnMessageActions message={message} />}
          <time>{formatTime(message.composedAt)}</time>
          {message.editedAt != null && !isDeleted && (
            <span className="message-edited" data-testid="message-edited" title={`Edited ${formatTime(message.editedAt)}`}>
              edited
            </span>
          )}
          {/* A deleted message is only its placeholder: how it was once delivered no longer applies. */}
          {message.isOwn && !isDeleted && <MessageStatus message={message} isOpen={isTimelineOpen} readers={readers} isGroup={isGroup} />}
        </span>
        {wasAlreadyDelivered && !isDeleted && (
          <p className="message-notice" role="status" data-testid="already-delivered">
            Too late to cancel: it was already delivered. Delete removes it for everyone.
          </p>
        )}
      </div>
      {message.isOwn && isTimelineOpen && !isDeleted && <MessageTimeline message={message} />}
    </div>
  );
});

/** "Seen" (direct) or "Seen by N" (group) replaces "Sent" once others have read that far. */
function seenText(readers: number, isGroup: boolean): Readonly<{ symbol: string; label: string; description: string }> | null {
  if (readers === 0) return null;
  const label = isGroup ? `Seen by ${readers}` : 'Seen';
  return { symbol: '✓✓', label, description: isGroup ? `${readers} of the others have read it.` : 'They have read it.' };
}

function MessageStatus({
  message,
  isOpen,
  readers,
  isGroup,
}: Readonly<{ message: MessageView; isOpen: boolean; readers: number; isGroup: boolean }>): React.JSX.Element {
  const setTimelineKey = useAppStore((s) => s.setTimelineKey);
  const seen = message.state === 'sent' ? seenText(readers, isGroup) : null;
  const text = seen ?? MESSAGE_STATE_TEXT[message.state];
  const reason = message.error && (message.state === 'failed' || message.state === 'expired') ? ` — ${message.error.message}` : '';
  return (
    <button
      type="button"
      className={`message-status status-${message.state}${seen ? ' message-seen' : ''}`}
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

/**
 * Edit, and Cancel (not sent yet) or Delete (sent): the user's own messages only. A cancel saved
 * offline offers only Undo; an edit saved offline can be edited again, cancelled or undone.
 */
function OwnMessageActions({ message }: Readonly<{ message: MessageView }>): React.JSX.Element {
  const setEditing = useAppStore((s) => s.setEditing);
  const isSent = message.state === 'sent';
  const isCancelPending = message.state === 'cancel_pending';
  return (
    <span className="message-actions">
      {!isCancelPending && (
        <button
          type="button"
          className="message-action"
          aria-label="Edit message"
          onClick={() => setEditing({ conversationId: message.conversationId, key: message.key, text: message.text })}
        >
          Edit
        </button>
      )}
      {isSent ? (
        <button type="button" className="message-action" aria-label="Delete message" onClick={() => void deleteOwnMessage(message)}>
          Delete
        </button>
      ) : (
        !isCancelPending && (
          <button
            type="button"
            className="message-action"
            aria-label="Cancel sending"
            onClick={() => void cancelMessage(message.key, message.conversationId)}
          >
            Cancel
          </button>
        )
      )}
      {(isCancelPending || message.state === 'edit_pending') && (
        <button
          type="button"
          className="message-action"
          aria-label={isCancelPending ? 'Undo cancel' : 'Undo edit'}
          onClick={() => void undoIntent(message.key)}
        >
          Undo
        </button>
      )}
    </span>
  );
}
