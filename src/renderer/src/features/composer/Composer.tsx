import { useEffect, useRef, useState } from 'react';
import { sendMessage } from '../../actions';
import { reportTyping } from '../../people-actions';
import { formatBytes, utf8Bytes } from '../../format';
import { useAppStore } from '../../store';

/** The core enforces the server's advertised limit; 64 KB is the default it falls back to. */
export const MAX_MESSAGE_BYTES = 64 * 1024;
/** Below this share of the limit the size is not worth showing. */
const SHOW_SIZE_FROM = 0.5;

/**
 * Enter sends, Shift+Enter adds a line. The draft lives in the store per conversation, so
 * switching conversations keeps it; a send that fails puts the text back.
 */
export function Composer({ conversationId }: Readonly<{ conversationId: string }>): React.JSX.Element {
  const draft = useAppStore((s) => s.drafts[conversationId] ?? '');
  const setDraft = useAppStore((s) => s.setDraft);
  const [isSending, setSending] = useState(false);
  const input = useRef<HTMLTextAreaElement>(null);
  useEffect(() => input.current?.focus(), [conversationId]);

  const bytes = utf8Bytes(draft);
  const isTooLarge = bytes > MAX_MESSAGE_BYTES;
  const isEmpty = draft.trim() === '';
  const showSize = bytes >= MAX_MESSAGE_BYTES * SHOW_SIZE_FROM;

  const send = async (): Promise<void> => {
    if (isEmpty || isTooLarge || isSending) return;
    const text = draft;
    setDraft(conversationId, '');
    reportTyping(conversationId, false);
    setSending(true);
    const sent = await sendMessage(conversationId, text);
    setSending(false);
    // Nothing typed meanwhile: give the text back so a failed send loses nothing.
    if (!sent && (useAppStore.getState().drafts[conversationId] ?? '') === '') setDraft(conversationId, text);
    input.current?.focus();
  };

  const onKeyDown = (event: React.KeyboardEvent<HTMLTextAreaElement>): void => {
    if (event.key !== 'Enter' || event.shiftKey || event.nativeEvent.isComposing) return;
    event.preventDefault();
    void send();
  };

  return (
    <form
      className="composer"
      onSubmit={(event) => {
        event.preventDefault();
        void send();
      }}
    >
      <label className="sr-only" htmlFor={`composer-${conversationId}`}>
        Message
      </label>
      <textarea
        id={`composer-${conversationId}`}
        ref={input}
        className="composer-input"
        rows={2}
        placeholder="Write a message — Enter sends, Shift+Enter adds a line"
        value={draft}
        onChange={(event) => {
          setDraft(conversationId, event.target.value);
          reportTyping(conversationId, event.target.value.trim() !== '');
        }}
        onBlur={() => reportTyping(conversationId, false)}
        onKeyDown={onKeyDown}
        aria-invalid={isTooLarge}
        aria-describedby={`composer-size-${conversationId}`}
        data-testid="composer-input"
      />
      <div className="composer-side">
        <span
          id={`composer-size-${conversationId}`}
          className={`composer-size${isTooLarge ? ' composer-size-over' : ''}`}
          data-testid="composer-size"
          aria-live={isTooLarge ? 'polite' : 'off'}
        >
          {isTooLarge
            ? `Too large to send: ${formatBytes(bytes)} of ${formatBytes(MAX_MESSAGE_BYTES)}`
            : showSize
              ? `${formatBytes(bytes)} of ${formatBytes(MAX_MESSAGE_BYTES)}`
              : ''}
        </span>
        <button type="submit" className="button button-primary" disabled={isEmpty || isTooLarge || isSending}>
          Send
        </button>
      </div>
    </form>
  );
}
