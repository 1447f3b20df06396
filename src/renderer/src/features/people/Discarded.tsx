import { useEffect, useId, useRef, useState } from 'react';
import { copyText } from '../../clipboard';
import { plural } from '../../format';
import { discardCreation, retryCreation } from '../../people-actions';
import { useAppStore } from '../../store';

/** Try again, or Discard after a confirm: what a conversation the server refused to create offers. */
export function RefusedCreationActions({ conversationId }: Readonly<{ conversationId: string }>): React.JSX.Element {
  const unsent = useAppStore((s) => s.conversations[conversationId]?.pendingCount ?? 0);
  const [isConfirming, setConfirming] = useState(false);
  const keep = useRef<HTMLButtonElement>(null);
  const discard = useRef<HTMLButtonElement>(null);
  const wasConfirming = useRef(false);
  useEffect(() => {
    // The confirm opens on its safe answer; Keep goes back to the button that asked.
    if (isConfirming) keep.current?.focus();
    else if (wasConfirming.current) discard.current?.focus();
    wasConfirming.current = isConfirming;
  }, [isConfirming]);
  if (!isConfirming) {
    return (
      <span className="creation-actions">
        <button type="button" className="button button-small" onClick={() => void retryCreation(conversationId)}>
          Try again
        </button>
        <button ref={discard} type="button" className="button button-small" onClick={() => setConfirming(true)} data-testid="discard-creation">
          Discard…
        </button>
      </span>
    );
  }
  return (
    <span className="creation-actions creation-confirm" role="group" aria-label="Discard this conversation?" data-testid="discard-creation-confirm">
      <span>
        Discard it{unsent > 0 ? ` and its ${plural(unsent, 'unsent message')}` : ''}? What was written in it stays on screen for you to copy.
      </span>
      <button type="button" className="button button-small button-danger" onClick={() => void discardCreation(conversationId)}>
        Discard
      </button>
      <button ref={keep} type="button" className="button button-small" onClick={() => setConfirming(false)}>
        Keep
      </button>
    </span>
  );
}

/** Where the thread goes when none is open: the text a discarded conversation left, or the hint. */
export function NoConversationOpen(): React.JSX.Element {
  const discarded = useAppStore((s) => s.discarded);
  return discarded === null ? <p className="muted empty-thread">Choose a conversation.</p> : <DiscardedNotice name={discarded.name} texts={discarded.texts} />;
}

function DiscardedNotice({ name, texts }: Readonly<{ name: string; texts: readonly string[] }>): React.JSX.Element {
  const dismiss = useAppStore((s) => s.dismissDiscarded);
  const [copied, setCopied] = useState<boolean | null>(null);
  const titleId = useId();
  const title = useRef<HTMLHeadingElement>(null);
  const text = texts.join('\n\n');
  // The thread the user acted in is gone: the focus goes to what replaced it.
  useEffect(() => title.current?.focus(), []);
  return (
    <section className="discarded-notice" aria-labelledby={titleId} data-testid="discarded-notice" data-unsent={texts.length}>
      <h2 id={titleId} ref={title} tabIndex={-1}>
        “{name}” was discarded
      </h2>
      {texts.length === 0 ? (
        <p>Nothing had been written in it.</p>
      ) : (
        <>
          <p>
            {plural(texts.length, 'message')} written in it {texts.length === 1 ? 'was never sent. Its text is' : 'were never sent. Their text is'} below, to copy.
          </p>
          <textarea className="input discarded-text" readOnly value={text} rows={Math.min(8, texts.length * 2 + 1)} aria-label="Unsent text" data-testid="discarded-text" />
        </>
      )}
      <div className="discarded-actions">
        {texts.length > 0 && (
          <button type="button" className="button" onClick={() => void copyText(text).then(setCopied)} data-testid="copy-discarded">
            Copy text
          </button>
        )}
        <button type="button" className="button button-quiet" onClick={dismiss}>
          Close
        </button>
        <span role="status" className="muted" data-copied={copied === null ? undefined : String(copied)}>
          {copied === true ? 'Copied.' : copied === false ? 'Copying was not allowed: select the text and copy it.' : ''}
        </span>
      </div>
    </section>
  );
}
