import type { ConnectionState } from '../../../../shared/contract';
import { useAppStore } from '../../store';

const LABELS: Record<ConnectionState, string> = {
  CONNECTING: 'Connecting…',
  CONNECTED: 'Connected',
  DISCONNECTED: 'Disconnected',
  RECONNECTING: 'Reconnecting…',
  ERROR: 'Connection error',
  CLOSED: 'Signed out',
};

export function ConnectionIndicator(): React.JSX.Element {
  const connection = useAppStore((s) => s.connection);
  if (!connection) return <span className="conn conn-unknown">Starting…</span>;
  const rtt = connection.lastRttMs === null ? 'no round trip yet' : `round trip ${connection.lastRttMs} ms`;
  return (
    <span
      className={`conn conn-${connection.state.toLowerCase()}`}
      data-testid="connection-indicator"
      data-state={connection.state}
      title={`${LABELS[connection.state]} — ${rtt}`}
    >
      <span className="conn-dot" aria-hidden="true" />
      <span role="status" aria-live="polite">
        {LABELS[connection.state]}
      </span>
    </span>
  );
}
