import { useEffect, useRef } from 'react';
import { useShallow } from 'zustand/react/shallow';
import type { OutboxItem } from '../../../../shared/contract';
import { cancelMessage, confirmHeld, retryOutbox } from '../../actions';
import { formatDuration, plural } from '../../format';
import { useNow } from '../../hooks/useNow';
import { restoreFocus, useShortcut } from '../../keys';
import { useAppStore } from '../../store';
import { conversationTitle } from '../../store/conversations';
import { MESSAGE_STATE_TEXT } from '../thread/status';

/** The header button that opens the panel; focus returns to it on close. */
export const OUTBOX_BUTTON_ID = 'outbox-button';

/** Every message still waiting, oldest first, with what happened to it and when it goes next. */
export function OutboxPanel(): React.JSX.Element | null {
  const isOpen = useAppStore((s) => s.isOutboxOpen);
  const setOpen = useAppStore((s) => s.setOutboxOpen);
  const items = useAppStore(useShallow((s) => Object.values(s.outbox).sort((a, b) => a.composedAt - b.composedAt)));
  const now = useNow(1_000, isOpen);
  const closeButton = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (!isOpen) return undefined;
    closeButton.current?.focus();
    return () => restoreFocus(OUTBOX_BUTTON_ID);
  }, [isOpen]);
  // Escape closes it wherever focus is, even after the focused row was discarded.
  useShortcut('Escape', () => setOpen(false), { isActive: isOpen });
  if (!isOpen) return null;

  return (
    <aside
      className="outbox-panel"
      role="dialog"
      aria-label="Outbox"
      data-testid="outbox-panel"
    >
      <header className="outbox-header">
        <h2>Outbox</h2>
        <p className="muted">
          {items.length === 0 ? 'Nothing is waiting.' : `${plural(items.length, 'message')} waiting, safe on this computer.`}
        </p>
        <div className="outbox-header-actions">
          <button type="button" className="button" disabled={items.length === 0} onClick={() => void retryOutbox(null)}>
            Retry all
          </button>
          <button ref={closeButton} type="button" className="button button-quiet" onClick={() => setOpen(false)}>
            Close
          </button>
        </div>
      </header>
      <ul className="outbox-list">
        {items.map((item) => (
          <OutboxRow key={item.key} item={item} now={now} />
        ))}
      </ul>
    </aside>
  );
}

function OutboxRow({ item, now }: Readonly<{ item: OutboxItem; now: number }>): React.JSX.Element {
  const state = MESSAGE_STATE_TEXT[item.state];
  const text = useAppStore((s) => s.threads[item.conversationId]?.byKey.get(item.key)?.text);
  const title = useAppStore((s) => item.conversationName || conversationTitle(s.conversations[item.conversationId]));
  return (
    <li className={`outbox-item status-${item.state}`} data-testid="outbox-item" data-key={item.key}>
      <div className="outbox-item-top">
        <strong>{title}</strong>
        <span className={`message-status status-${item.state}`}>
          <span aria-hidden="true">{state.symbol}</span> {state.label}
        </span>
      </div>
      {text !== undefined && <p className="outbox-item-text">{text}</p>}
      <dl className="outbox-facts">
        <dt>Age</dt>
        <dd>{formatDuration(now - item.composedAt)}</dd>
        <dt>Attempts</dt>
        <dd>{item.attempts}</dd>
        <dt>Last error</dt>
        <dd>
          {item.lastError ? (
            <>
              {item.lastError.message} <code>{item.lastError.code}</code> <code>[{item.lastError.id}]</code>
            </>
          ) : (
            'none'
          )}
        </dd>
        <dt>Next try</dt>
        <dd>
          {item.nextAttemptAt === null
            ? item.state === 'failed' || item.state === 'expired' || item.state === 'held'
              ? 'waits for you'
              : 'when connected'
            : item.nextAttemptAt <= now
              ? 'now'
              : `in ${formatDuration(item.nextAttemptAt - now)}`}
        </dd>
      </dl>
      <div className="outbox-item-actions">
        {item.state === 'held' ? (
          <button type="button" className="button button-small button-primary" onClick={() => void confirmHeld(item.key, item.conversationId, true)}>
            Send anyway
          </button>
        ) : item.state === 'cancel_pending' || item.state === 'edit_pending' ? null : (
          <button type="button" className="button button-small" onClick={() => void retryOutbox(item.key)}>
            Send now
          </button>
        )}
        <button
          type="button"
          className="button button-small"
          onClick={() =>
            void (item.state === 'held' ? confirmHeld(item.key, item.conversationId, false) : cancelMessage(item.key, item.conversationId))
          }
        >
          Discard
        </button>
      </div>
    </li>
  );
}
