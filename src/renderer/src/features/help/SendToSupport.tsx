import { useEffect, useId, useState } from 'react';
import type { NovaApi } from '../../../../shared/contract';
import { SUPPORT_DESCRIPTION_MAX, type SupportProgress, type SupportSendResult } from '../../../../shared/support';
import { copyText } from '../../clipboard';
import { formatBytes } from './format';

type Outcome =
  | Readonly<{ kind: 'editing' }>
  | Readonly<{ kind: 'sending' }>
  | Readonly<{ kind: 'sent'; result: Extract<SupportSendResult, { status: 'sent' }> }>
  | Readonly<{ kind: 'cancelled' }>
  | Readonly<{ kind: 'failed'; message: string; id: string }>;

function secondsUntil(at: number | null, now: number): number {
  return at === null ? 0 : Math.max(0, Math.ceil((at - now) / 1000));
}

function describeProgress(progress: SupportProgress | null, now: number): string {
  if (!progress || progress.stage === 'preparing') return 'Preparing the files…';
  const attempt = progress.maxAttempts > 1 ? ` (attempt ${progress.attempt} of ${progress.maxAttempts})` : '';
  if (progress.stage === 'waiting') {
    return `${progress.lastError ?? 'The upload failed'}. Trying again in ${secondsUntil(progress.retryAt, now)} s${attempt}.`;
  }
  if (progress.stage === 'uploading') return `Uploading… ${formatBytes(progress.sentBytes)} of ${formatBytes(progress.totalBytes)}${attempt}`;
  return '';
}

/**
 * "Send to support": the files are the ones listed above (the preview is what goes), plus the
 * optional description. Sending runs in the main process beside messaging; this shows its
 * progress, lets the user cancel, and keeps Save available whatever happens.
 */
export function SendToSupport({
  api,
  bundleId,
  destination,
  onClose,
}: Readonly<{ api: NovaApi; bundleId: string; destination: string; onClose: () => void }>): React.JSX.Element {
  const [description, setDescription] = useState('');
  const [outcome, setOutcome] = useState<Outcome>({ kind: 'editing' });
  const [progress, setProgress] = useState<SupportProgress | null>(null);
  const [now, setNow] = useState(() => Date.now());
  const [copied, setCopied] = useState(false);
  const descriptionId = useId();
  const isSending = outcome.kind === 'sending';

  useEffect(
    () =>
      api.onSupportProgress((update) => {
        if (update.bundleId !== bundleId) return;
        setNow(Date.now());
        setProgress(update);
      }),
    [api, bundleId],
  );

  // The retry countdown ticks while an attempt is waiting.
  useEffect(() => {
    if (progress?.stage !== 'waiting') return undefined;
    const timer = setInterval(() => setNow(Date.now()), 500);
    return () => clearInterval(timer);
  }, [progress?.stage]);

  const send = async (): Promise<void> => {
    setProgress(null);
    setCopied(false);
    setOutcome({ kind: 'sending' });
    const result = await api.supportSend({ bundleId, description });
    if (!result.ok) setOutcome({ kind: 'failed', message: result.error.message, id: result.error.id });
    else if (result.value.status === 'cancelled') setOutcome({ kind: 'cancelled' });
    else setOutcome({ kind: 'sent', result: result.value });
  };

  const cancel = (): void => {
    void api.supportCancel({ bundleId });
  };

  return (
    <section className="help-send" aria-label="Send to support">
      <h3>Send to support</h3>
      <p>
        Sends the files listed above to <strong>{destination}</strong>, with your description. Nothing
        else leaves this computer. The description is sent as you write it.
      </p>
      <label htmlFor={descriptionId}>What happened? (optional)</label>
      <textarea
        id={descriptionId}
        value={description}
        maxLength={SUPPORT_DESCRIPTION_MAX}
        rows={3}
        disabled={isSending || outcome.kind === 'sent'}
        onChange={(event) => setDescription(event.target.value)}
        placeholder="For example: messages stay grey since this morning."
      />
      <div className="help-actions">
        {outcome.kind !== 'sent' && (
          <button type="button" className="button button-primary" onClick={() => void send()} disabled={isSending}>
            {outcome.kind === 'failed' ? 'Try again' : 'Send'}
          </button>
        )}
        {isSending ? (
          <button type="button" className="button" onClick={cancel}>
            Cancel upload
          </button>
        ) : (
          <button type="button" className="button button-quiet" onClick={onClose}>
            {outcome.kind === 'sent' ? 'Done' : 'Close'}
          </button>
        )}
      </div>
      <div aria-live="polite" className="help-send-status">
        {isSending && (
          <>
            <span>{describeProgress(progress, now)}</span>
            <progress aria-label="Sending to support" max={progress?.totalBytes || 1} value={progress?.stage === 'uploading' ? progress.sentBytes : 0} />
          </>
        )}
        {outcome.kind === 'sent' && (
          <span>
            Sent to support ({formatBytes(outcome.result.sizeBytes)}). Quote bundle <strong>{outcome.result.bundleId}</strong>
            {outcome.result.reportUrl ? (
              <>
                {' '}or the report <span className="help-report-url">{outcome.result.reportUrl}</span>{' '}
                <button type="button" className="button button-small" onClick={() => void copyText(outcome.result.reportUrl ?? '').then(setCopied)}>
                  {copied ? 'Copied' : 'Copy link'}
                </button>
              </>
            ) : null}{' '}
            when you contact support.
          </span>
        )}
        {outcome.kind === 'cancelled' && <span>Not sent. You can send it again or save the file.</span>}
      </div>
      {outcome.kind === 'failed' && (
        <p role="alert">
          Could not send: {outcome.message} (error {outcome.id})
        </p>
      )}
    </section>
  );
}
