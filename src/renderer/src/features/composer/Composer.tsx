import { useEffect, useRef, useState } from 'react';
import type { MessageView } from '../../../../shared/contract';
import { editOwnMessage, sendMessage } from '../../actions';
import { reportTyping } from '../../people-actions';
import { formatBytes, utf8Bytes } from '../../format';
import { useAppStore } from '../../store';

/** The core enforces the server's advertised limit; 64 KB is the default it falls back to. */
export const MAX_MESSAGE_BYTES = 64 * 1024;
/** Below this share of the limit the size is not worth showing. */
const SHOW_SIZE_FROM = 0.5;

/** The newest own message of the thread that can still be edited (not deleted). */
function lastOwnMessage(conversationId: string): MessageView | null {
  const thread = useAppStore.getState().threads[conversationId];
  if (!thread) return null;
  for (let i = thread.order.length - 1; i >= 0; i -= 1) {
    const message = thread.byKey.get(thread.order[i] ?? '');
    if (message?.isOwn && message.deleted !== true) return message;
  }
  return null;
}

/**
 * Enter sends, Shift+Enter adds a line. The draft lives in the store per conversation, so
 * switching conversations keeps it; a send that fails puts the text back. While an own message
 * is being edited (its Edit action, or `↑` in an empty composer), Enter saves the new text and
 * Esc leaves the draft as it was.
 */
export function Composer({ conversationId }: Readonly<{ conversationId: string }>): React.JSX.Element {
  const draft = useAppStore((s) => s.drafts[conversationId] ?? '');
  const setDraft = useAppStore((s) => s.setDraft);
  const editingKey = useAppStore((s) => (s.editing?.conversationId === conversationId ? s.editing.key : null));
  const editText = useAppStore((s) => s.editing?.text ?? '');
  const setEditing = useAppStore((s) => s.setEditing);
  const setEditText = useAppStore((s) => s.setEditingText);
  const [isSending, setSending] = useState(false);
  const input = useRef<HTMLTextAreaElement>(null);
  useEffect(() => input.current?.focus(), [conversationId, editingKey]);

  const isEditing = editingKey !== null;
  const text = isEditing ? editText : draft;
  const bytes = utf8Bytes(text);
  const isTooLarge = bytes > MAX_MESSAGE_BYTES;
  const isEmpty = text.trim() === '';
  const showSize = bytes >= MAX_MESSAGE_BYTES * SHOW_SIZE_FROM;

  const saveEdit = async (key: string): Promise<void> => {
    const before = useAppStore.getState().threads[conversationId]?.byKey.get(key)?.text;
    setSending(true);
    const saved = editText === before || (await editOwnMessage(key, editText));
    setSending(false);
    if (saved) setEditing(null);
    input.current?.focus();
  };

  const send = async (): Promise<void> => {
    if (isEmpty || isTooLarge || isSending) return;
    if (editingKey !== null) {
      await saveEdit(editingKey);
      return;
    }
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
    if (event.key === 'Escape' && isEditing) {
      event.preventDefault();
      event.stopPropagation();
      setEditing(null);
      return;
    }
    if (event.key === 'ArrowUp' && !isEditing && draft === '' && !event.shiftKey && !event.altKey && !event.ctrlKey && !event.metaKey) {
      const last = lastOwnMessage(conversationId);
      if (last !== null) {
        event.preventDefault();
        setEditing({ conversationId, key: last.key, text: last.text });
      }
      return;
    }
    if (event.key !== 'Enter' || event.shiftKey || event.nativeEvent.isComposing) return;
    event.preventDefault();
    void send();
  };

  return (
    <form
      className={`composer${isEditing ? ' composer-editing' : ''}`}
      onSubmit={(event) => {
        event.preventDefault();
        void send();
      }}
    >
      {isEditing && (
        <div className="composer-editing-bar" data-testid="composer-editing">
          <span>Editing message — Enter saves, Esc cancels</span>
          <button type="button" className="button button-small button-quiet" onClick={() => setEditing(null)}>
            Cancel edit
          </button>
        </div>
      )}
      <label className="sr-only" htmlFor={`composer-${conversationId}`}>
        {isEditing ? 'Edit message' : 'Message'}
      </label>
      <textarea
        id={`composer-${conversationId}`}
        ref={input}
        className="composer-input"
        rows={2}
        placeholder="Write a message — Enter sends, Shift+Enter adds a line"
        value={text}
        onChange={(event) => {
          if (isEditing) {
            setEditText(event.target.value);
            return;
          }
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
          {isEditing ? 'Save' : 'Send'}
        </button>
      </div>
    </form>
  );
}
