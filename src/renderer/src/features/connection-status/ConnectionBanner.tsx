import { retryConnectionNow } from '../../actions';
import { useNow } from '../../hooks/useNow';
import { useAppStore } from '../../store';
import { connectionHeadline, waitingText } from './describe';

/** Short blips stay quiet: the banner waits this long before saying the link is down. */
export const BANNER_GRACE_MS = 5_000;

/**
 * Says what is happening when the link has been down a while (or the server signed us out), that
 * waiting messages are safe, and offers "Retry now". The header indicator carries the aria-live
 * announcement, so this one does not repeat every countdown tick to screen readers.
 */
export function ConnectionBanner(): React.JSX.Element | null {
  const connection = useAppStore((s) => s.connection);
  const notConnectedSince = useAppStore((s) => s.notConnectedSince);
  const isSignedIn = useAppStore((s) => s.auth?.signedIn === true);
  const isSignedOutByServer = useAppStore((s) => s.isSignedOutByServer);
  const isDown = connection !== null && connection.state !== 'CONNECTED';
  const now = useNow(1_000, isDown);
  if (!connection || !isDown) return null;

  const isSignedOut = connection.state === 'CLOSED' || !isSignedIn;
  if (isSignedOut && !isSignedOutByServer) return null;
  const isPastGrace = notConnectedSince !== null && now - notConnectedSince > BANNER_GRACE_MS;
  if (!isSignedOut && !isPastGrace) return null;

  const headline = isSignedOut ? 'Signed out' : connectionHeadline(connection, now);
  return (
    <section
      className={`banner banner-${isSignedOut ? 'signed-out' : connection.isOsOffline ? 'offline' : 'down'}`}
      aria-label="Connection problem"
      data-testid="connection-banner"
    >
      <div className="banner-text">
        <strong className="banner-headline">{headline}</strong>
        <span className="banner-detail">
          {isSignedOut
            ? `Sign in again to continue. ${connection.pendingCount > 0 ? waitingText(connection.pendingCount) : ''}`
            : waitingText(connection.pendingCount)}
        </span>
      </div>
      {!isSignedOut && (
        <button type="button" className="button" onClick={() => void retryConnectionNow()}>
          Retry now
        </button>
      )}
    </section>
  );
}
