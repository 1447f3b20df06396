import { useEffect, useState } from 'react';
import type { NovaApi } from '../../../../shared/contract';
import type { FleetStatus } from '../../../../shared/support';

function describeTime(at: number): string {
  return new Date(at).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

/**
 * Fleet metrics, shown only when the organisation configured them: whether they are on, who
 * decided, where they go and exactly which families, the install id and a way to reset it.
 */
export function FleetMetrics({ api }: Readonly<{ api: NovaApi }>): React.JSX.Element | null {
  const [status, setStatus] = useState<FleetStatus | null>(null);
  const [failure, setFailure] = useState<string | null>(null);

  useEffect(() => {
    let isCurrent = true;
    void api.fleetStatus({}).then((result) => {
      if (isCurrent && result.ok) setStatus(result.value);
    });
    return () => {
      isCurrent = false;
    };
  }, [api]);

  if (!status?.configured) return null;

  const apply = async (call: Promise<Awaited<ReturnType<NovaApi['fleetStatus']>>>): Promise<void> => {
    const result = await call;
    if (result.ok) {
      setStatus(result.value);
      setFailure(null);
    } else {
      setFailure(`${result.error.message} (error ${result.error.id})`);
    }
  };

  const minutes = status.intervalMs !== null ? Math.max(1, Math.round(status.intervalMs / 60_000)) : 1;
  return (
    <section className="help-fleet" aria-label="Usage statistics for your organisation">
      <h3>Usage statistics for your organisation</h3>
      <p>
        <strong>{status.enabled ? 'On' : 'Off'}</strong>
        {' — '}
        {status.decidedBy === 'user' ? 'your choice.' : status.enabled ? 'turned on by your organisation.' : 'your organisation left it off.'}{' '}
        {status.enabled
          ? `Every ${minutes === 1 ? 'minute' : `${minutes} minutes`} Nova sends connection and delivery counts to ${status.destination ?? 'your organisation'}: no names, no messages, no conversations.`
          : `When on, Nova sends connection and delivery counts to ${status.destination ?? 'your organisation'}: no names, no messages, no conversations.`}
      </p>
      <details>
        <summary>What is sent</summary>
        <ul aria-label="Metrics sent">
          {status.families.map((family) => (
            <li key={family}>
              <code>{family}</code>
            </li>
          ))}
        </ul>
        <p className="muted">
          Each is labelled with a random install id, not linked to you or this computer: <code>{status.installId}</code>
        </p>
      </details>
      {status.enabled && (
        <p className="muted" aria-live="polite">
          {status.lastError
            ? `Not sent lately: ${status.lastError}. ${status.bufferedPushes} waiting.`
            : status.lastPushAt !== null
              ? `Last sent at ${describeTime(status.lastPushAt)}.`
              : 'Nothing sent yet.'}
        </p>
      )}
      <div className="help-actions">
        {status.userMayChoose && (
          <button type="button" className="button" onClick={() => void apply(api.fleetSetEnabled({ enabled: !status.enabled }))}>
            {status.enabled ? 'Turn off' : 'Turn on'}
          </button>
        )}
        <button type="button" className="button button-quiet" onClick={() => void apply(api.fleetResetInstallId({}))}>
          Reset install id
        </button>
      </div>
      {failure && <p role="alert">{failure}</p>}
    </section>
  );
}
