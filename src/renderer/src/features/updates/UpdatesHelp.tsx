import type { UpdateCheckResult, UpdateStatus } from '../../../../shared/updates';
import { checkForUpdates, restartToUpdate, restartToUpdateWhenSent } from '../../actions';
import { formatBytes, formatDateTime } from '../../format';
import { useAppStore } from '../../store';
import './updates.css';

const CHECK_RESULTS: Readonly<Record<UpdateCheckResult, string>> = {
  up_to_date: 'up to date',
  available: 'a new version was found',
  downgrade_refused: 'the feed offers an older version, which is not installed',
  unreachable: 'the update server could not be reached',
  http_error: 'the update server refused',
  malformed: 'the update feed is not valid',
  failed: 'the check failed',
};

const CHANNELS: Readonly<Record<UpdateStatus['channel'], string>> = { stable: 'Stable', beta: 'Beta' };

/**
 * Help → Updates: the running version, the channel, the last check and how it ended, a download's
 * progress, and a failed step in words. Nothing here interrupts anyone: a failure is a line to read.
 */
export function UpdatesHelp(): React.JSX.Element {
  const status = useAppStore((s) => s.update);
  return (
    <section className="help-updates" aria-label="Updates" data-testid="help-updates">
      <h3>Updates</h3>
      {status === null ? <p className="muted">Checking which version this is…</p> : <Details status={status} />}
    </section>
  );
}

function Details({ status }: Readonly<{ status: UpdateStatus }>): React.JSX.Element {
  const version = <strong>Nova {status.currentVersion}</strong>;
  if (status.availability === 'unmanaged') {
    return (
      <p>
        {version}. Updates are managed by your organisation: new versions come the way it installs software.
      </p>
    );
  }
  if (status.availability === 'unsupported') {
    return (
      <p>
        {version}. {status.unsupportedReason}
      </p>
    );
  }
  const isBusy = status.state === 'checking' || status.state === 'downloading';
  return (
    <>
      <p>
        {version}, {CHANNELS[status.channel]} channel{status.feedHost ? `, from ${status.feedHost}` : ''}.{' '}
        <span className="muted">Change the channel in Settings.</span>
      </p>
      <p aria-live="polite" data-testid="update-last-check">
        {status.state === 'checking'
          ? 'Checking for a new version…'
          : status.lastCheck
            ? `Last checked ${formatDateTime(status.lastCheck.at)}: ${CHECK_RESULTS[status.lastCheck.result]}. ${status.lastCheck.message}`
            : 'Not checked yet since Nova started.'}
        {status.nextCheckAt !== null && status.state === 'idle' ? ` Next check ${formatDateTime(status.nextCheckAt)}.` : ''}
      </p>
      {status.state === 'downloading' && status.update && (
        <div className="help-status">
          <span>
            Downloading Nova {status.update.version}
            {status.progress && status.progress.totalBytes > 0
              ? `: ${Math.round(status.progress.percent)} % (${formatBytes(status.progress.transferredBytes)} of ${formatBytes(status.progress.totalBytes)})`
              : '…'}
          </span>
          <progress aria-label="Download" max={100} value={status.progress?.percent ?? 0} />
        </div>
      )}
      {(status.state === 'ready' || status.state === 'restarting') && status.update && (
        <p>
          Nova {status.update.version} is downloaded and verified.{' '}
          {status.state === 'restarting' ? (
            'Restarting…'
          ) : status.restartWhenSent !== null ? (
            'Nova restarts into it once your messages are sent.'
          ) : status.pendingMessages > 0 ? (
            <>
              {status.pendingMessages === 1 ? '1 message is' : `${status.pendingMessages} messages are`} still being sent.{' '}
              <button type="button" className="button button-small" onClick={() => void restartToUpdateWhenSent()}>
                Update after they are sent
              </button>{' '}
              <button type="button" className="button button-small" onClick={() => void restartToUpdate()}>
                Restart now
              </button>
            </>
          ) : (
            <button type="button" className="button button-small" onClick={() => void restartToUpdate()}>
              Restart to update
            </button>
          )}
        </p>
      )}
      {status.lastFailure && (
        <p className="help-updates-problem">
          The last {status.lastFailure.step} failed ({formatDateTime(status.lastFailure.at)}): {status.lastFailure.message} Nova tries again at the next check.
        </p>
      )}
      <div className="help-actions">
        <button type="button" className="button" disabled={isBusy || status.state === 'restarting'} onClick={() => void checkForUpdates()}>
          {status.state === 'checking' ? 'Checking…' : 'Check for updates'}
        </button>
      </div>
    </>
  );
}
