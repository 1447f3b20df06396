import { useState } from 'react';
import type { UpdateStatus } from '../../../../shared/updates';
import { cancelUpdateRestart, restartToUpdate, restartToUpdateWhenSent } from '../../actions';
import { useNow } from '../../hooks/useNow';
import { useAppStore } from '../../store';
import './updates.css';

function messages(count: number): string {
  return count === 1 ? '1 message' : `${count} messages`;
}

/** "1:45": what is left of the bounded wait, to the second. */
export function formatCountdown(ms: number): string {
  const seconds = Math.max(0, Math.ceil(ms / 1000));
  return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}`;
}

/**
 * "Restart to update", once a new version is downloaded and verified: a card in the corner, not
 * a dialog, that the user can put off. With messages still on their way it says so and offers
 * to update once they are sent, and then shows what is left and how long Nova waits at most.
 */
export function UpdatePrompt(): React.JSX.Element | null {
  const status = useAppStore((s) => s.update);
  const dismissedFor = useAppStore((s) => s.updatePromptDismissedFor);
  const dismiss = useAppStore((s) => s.dismissUpdatePrompt);
  const [isBusy, setBusy] = useState(false);
  const waiting = status?.restartWhenSent ?? null;
  const now = useNow(1000, waiting !== null);

  if (status === null || status.update === null) return null;
  if (status.state !== 'ready' && status.state !== 'restarting') return null;
  const version = status.update.version;
  if (status.state === 'ready' && waiting === null && dismissedFor === version) return null;

  const act = (action: () => Promise<void>): void => {
    setBusy(true);
    void action().finally(() => setBusy(false));
  };

  return (
    <section className="update-prompt" aria-label="Update" aria-live="polite" data-testid="update-prompt">
      {status.state === 'restarting' ? (
        <p className="update-prompt-title">Restarting into Nova {version}…</p>
      ) : waiting !== null ? (
        <Waiting status={status} waiting={waiting} now={now} isBusy={isBusy} act={act} />
      ) : (
        <>
          <p className="update-prompt-title">Nova {version} is ready</p>
          {status.pendingMessages > 0 ? (
            <>
              <p className="update-prompt-text">
                {messages(status.pendingMessages)} {status.pendingMessages === 1 ? 'is' : 'are'} still being sent. {status.pendingMessages === 1 ? 'It is' : 'They are'} saved
                on this computer either way.
              </p>
              <div className="update-prompt-actions">
                <button type="button" className="button button-primary" disabled={isBusy} onClick={() => act(restartToUpdateWhenSent)}>
                  Update after they are sent
                </button>
                <button type="button" className="button" disabled={isBusy} onClick={() => act(restartToUpdate)}>
                  Restart now
                </button>
                <button type="button" className="button button-quiet" onClick={() => dismiss(version)}>
                  Later
                </button>
              </div>
              <p className="update-prompt-hint muted">Restart now: unsent messages go out after the restart.</p>
            </>
          ) : (
            <>
              <p className="update-prompt-text">Restart Nova to use it; it takes a few seconds. It is also installed the next time you quit.</p>
              <div className="update-prompt-actions">
                <button type="button" className="button button-primary" disabled={isBusy} onClick={() => act(restartToUpdate)}>
                  Restart to update
                </button>
                <button type="button" className="button button-quiet" onClick={() => dismiss(version)}>
                  Later
                </button>
              </div>
            </>
          )}
        </>
      )}
    </section>
  );
}

function Waiting({
  status,
  waiting,
  now,
  isBusy,
  act,
}: Readonly<{
  status: UpdateStatus;
  waiting: NonNullable<UpdateStatus['restartWhenSent']>;
  now: number;
  isBusy: boolean;
  act: (action: () => Promise<void>) => void;
}>): React.JSX.Element {
  const total = waiting.deadline - waiting.since;
  const left = Math.max(0, waiting.deadline - now);
  return (
    <>
      <p className="update-prompt-title">Updating once your messages are sent</p>
      <p className="update-prompt-text">
        {status.pendingMessages > 0 ? `${messages(status.pendingMessages)} left to send. ` : 'Everything is sent. '}
        Nova restarts into {status.update?.version} by itself when they are sent, or in <strong>{formatCountdown(left)}</strong> at most; anything unsent by
        then stays saved and goes out after the restart.
      </p>
      <progress className="update-prompt-wait" aria-label="Longest wait left" max={total} value={total - left} />
      <div className="update-prompt-actions">
        <button type="button" className="button" disabled={isBusy} onClick={() => act(restartToUpdate)}>
          Restart now
        </button>
        <button type="button" className="button button-quiet" disabled={isBusy} onClick={() => act(cancelUpdateRestart)}>
          Cancel
        </button>
      </div>
    </>
  );
}
