import { memo } from 'react';
import type { MessageView } from '../../../../shared/contract';
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
  const isJumpTarget = useAppStore((s) => s.jumpTarget?.key === messageKey && s.jumpTarget.conversationId === conversationId);
  if (!message) return null;
  return (
    <div
      className={`message ${message.isOwn ? 'message-own' : 'message-other'}${isJumpTarget ? ' message-jump-target' : ''}`}
      data-jump-target={isJumpTarget ? 'true' : undefined}
      data-testid="message"
      data-key={message.key}
      data-state={message.state}
      data-deleted={message.deleted === true ? 'true' : undefined}
      data-edited={message.editedAt != null ? 'true' : undefined}
    >
      <div className="message-bubble">
        {message.deleted === true ? (
          <p className="message-text message-deleted" data-testid="message-deleted">
            Message deleted
          </p>
        ) : (
          <p className="message-text">{message.text}</p>
        )}
        <span className="message-meta">
          <time>{formatTime(message.composedAt)}</time>
          {message.editedAt != null && message.deleted !== true && (
            <span className="message-edited" data-testid="message-edited" title={`Edited ${formatTime(message.editedAt)}`}>
              edited
            </span>
          )}
          {message.isOwn && <MessageStatus message={message} isOpen={isTimelineOpen} />}
        </span>
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
