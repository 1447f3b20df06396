import { useEffect, useState } from 'react';
import type { Attempt, MessageView, OutboxItem } from '../../../../shared/contract';
import { getApi } from '../../api';
import { confirmHeld, discardOutbox, retryOutbox } from '../../actions';
import { copyText } from '../../clipboard';
import { formatDateTime, formatDuration } from '../../format';
import { useNow } from '../../hooks/useNow';
import { useAppStore } from '../../store';
import { MESSAGE_STATE_TEXT } from './status';

type Step = Readonly<{ at: number | null; label: string; detail?: string; errorId?: string; tone?: 'bad' | 'ok' }>;

const OUTCOME_LABELS: Record<OutboxItem['history'][number]['outcome'], string> = {
  acked: 'Acknowledged by the server',
  duplicate: 'Acknowledged (the server already had it)',
  retry: 'Attempt failed, will retry',
  failed: 'Refused by the server',
  lost: 'No answer (connection lost)',
};

/**
 * composed → saved → each attempt with its error → acked, from the outbox item's history (or,
 * once delivered, the timeline the core kept).
 */
export function timelineSteps(message: MessageView, item: Readonly<{ history: readonly Attempt[] }> | undefined): Step[] {
  const steps: Step[] = [
    { at: message.composedAt, label: 'Composed' },
    { at: message.composedAt, label: 'Saved on this computer' },
  ];
  for (const attempt of item?.history ?? []) {
    const isAck = attempt.outcome === 'acked' || attempt.outcome === 'duplicate';
    steps.push({
      at: attempt.at,
      label: `${OUTCOME_LABELS[attempt.outcome]} (${attempt.transport === 'ws' ? 'socket' : 'HTTP'})`,
      ...(attempt.error
        ? {
            detail: `${attempt.error.code}: ${attempt.error.message}${attempt.waitMs != null ? ` (the server asked to wait ${formatDuration(attempt.waitMs)})` : ''}`,
            ...(attempt.error.id ? { errorId: attempt.error.id } : {}),
          }
        : {}),
      ...(isAck ? { tone: 'ok' as const } : attempt.error ? { tone: 'bad' as const } : {}),
    });
  }
  const hasAck = steps.some((s) => s.tone === 'ok');
  if (message.state === 'sent' && !hasAck) {
    steps.push({ at: null, label: message.seq !== null ? `Acknowledged by the server (#${message.seq})` : 'Acknowledged by the server', tone: 'ok' });
  }
  return steps;
}

/** The attempts the core kept for a delivered message, fetched when its timeline opens. */
function useKeptTimeline(key: string, wanted: boolean): readonly Attempt[] | null {
  const [kept, setKept] = useState<readonly Attempt[] | null>(null);
  useEffect(() => {
    if (!wanted) return undefined;
    let live = true;
    void getApi()
      .messagesTimeline({ key })
      .then((result) => {
        if (live && result.ok) setKept(result.value);
      });
    return () => {
      live = false;
    };
  }, [key, wanted]);
  return kept;
}

export function MessageTimeline({ message }: Readonly<{ message: MessageView }>): React.JSX.Element {
  const item = useAppStore((s) => s.outbox[message.key]);
  const now = useNow(1_000, item?.nextAttemptAt != null);
  const kept = useKeptTimeline(message.key, item === undefined && message.state === 'sent');
  const steps = timelineSteps(message, item ?? (kept ? { history: kept } : undefined));
  const errorId = message.error?.id ?? item?.lastError?.id ?? null;
  const { key, conversationId, state } = message;
  return (
    <section className="timeline" aria-label="Delivery timeline" data-testid="timeline">
      <p className="timeline-head">{MESSAGE_STATE_TEXT[state].description}</p>
      <ol>
        {steps.map((step, index) => (
          <li key={index} className={step.tone ? `timeline-${step.tone}` : undefined}>
            <span className="timeline-label">{step.label}</span>
            {step.at !== null && <time className="timeline-time">{formatDateTime(step.at)}</time>}
            {step.detail && (
              <span className="timeline-detail">
                {step.detail}
                {step.errorId && <code> [{step.errorId}]</code>}
              </span>
            )}
          </li>
        ))}
        {item?.nextAttemptAt != null && item.nextAttemptAt > now && (
          <li className="timeline-next">Next attempt in {formatDuration(item.nextAttemptAt - now)}</li>
        )}
      </ol>
      <div className="timeline-actions">
        {(state === 'saved' || state === 'confirming') && item?.nextAttemptAt != null && item.nextAttemptAt > now && (
          <button type="button" className="button button-small" onClick={() => void retryOutbox(key)}>
            Send now
          </button>
        )}
        {(state === 'failed' || state === 'expired') && (
          <button type="button" className="button button-small" onClick={() => void retryOutbox(key)}>
            {state === 'expired' ? 'Send again' : 'Retry'}
          </button>
        )}
        {state === 'held' && (
          <button type="button" className="button button-small button-primary" onClick={() => void confirmHeld(key, conversationId, true)}>
            Send anyway
          </button>
        )}
        {(state === 'failed' || state === 'expired' || state === 'held') && (
          <button
            type="button"
            className="button button-small"
            onClick={() => void (state === 'held' ? confirmHeld(key, conversationId, false) : discardOutbox(key, conversationId))}
          >
            Discard
          </button>
        )}
        {errorId && (
          <button type="button" className="button button-small" onClick={() => void copyText(errorId)}>
            Copy error id
          </button>
        )}
      </div>
    </section>
  );
}
