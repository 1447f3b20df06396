import { useAppStore } from '../../store';
import { connectionLabel, connectionTone, roundTripText } from './describe';

/** Always in the header: colour, state and, on hover, the last heartbeat round trip. */
export function ConnectionIndicator(): React.JSX.Element {
  const connection = useAppStore((s) => s.connection);
  if (!connection) {
    return (
      <span className="conn conn-idle" data-testid="connection-indicator">
        <span className="conn-dot" aria-hidden="true" />
        Starting…
      </span>
    );
  }
  const label = connectionLabel(connection);
  const detail = connection.reason ? ` (${connection.reason})` : '';
  return (
    <span
      className={`conn conn-${connectionTone(connection)}`}
      data-testid="connection-indicator"
      data-state={connection.state}
      title={`${label}${detail} — ${roundTripText(connection)}`}
      tabIndex={0}
    >
      <span className="conn-dot" aria-hidden="true" />
      <span role="status" aria-live="polite">
        {label}
      </span>
    </span>
  );
}
