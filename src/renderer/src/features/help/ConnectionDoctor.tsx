import { useEffect, useState } from 'react';
import type { NovaApi } from '../../../../shared/contract';
import type { DoctorReport, DoctorStep } from '../../../../shared/support';
import { formatDuration } from './format';

const STATUS_LABELS: Readonly<Record<DoctorStep['status'], string>> = {
  pending: 'Waiting',
  running: 'Checking',
  pass: 'OK',
  warn: 'Warning',
  fail: 'Problem',
  skip: 'Skipped',
};

/**
 * Help → "Check my connection": runs the connection doctor in the main process and shows each
 * step as it starts and ends, with a plain verdict, and for a problem its likely cause and what
 * to try next. The report also goes into the next diagnostics bundle.
 */
export function ConnectionDoctor({ api }: Readonly<{ api: NovaApi }>): React.JSX.Element {
  const [report, setReport] = useState<DoctorReport | null>(null);
  const [isRunning, setRunning] = useState(false);
  const [failure, setFailure] = useState<string | null>(null);

  useEffect(() => api.onDoctorProgress((update) => setReport(update)), [api]);

  const run = async (): Promise<void> => {
    setRunning(true);
    setFailure(null);
    const result = await api.doctorRun({});
    setRunning(false);
    if (result.ok) setReport(result.value);
    else setFailure(`${result.error.message} (error ${result.error.id})`);
  };

  return (
    <section className="help-doctor" aria-label="Connection check">
      <h3>Connection check</h3>
      <p>Checks step by step whether Nova can reach {report ? report.serverUrl : 'its server'}, and says what to try when something fails.</p>
      <div className="help-actions">
        <button type="button" className="button" onClick={() => void run()} disabled={isRunning}>
          {isRunning ? 'Checking…' : report ? 'Check again' : 'Check my connection'}
        </button>
      </div>
      {failure && <p role="alert">Could not run the check: {failure}</p>}
      {report && (
        <>
          <p aria-live="polite" className={`help-doctor-summary help-doctor-${report.outcome}`}>
            {report.outcome === 'running' ? 'Checking your connection…' : report.summary}
          </p>
          <ol className="help-doctor-steps" aria-label="Connection check steps">
            {report.steps.map((step) => (
              <DoctorStepRow key={step.id} step={step} />
            ))}
          </ol>
        </>
      )}
    </section>
  );
}

function DoctorStepRow({ step }: Readonly<{ step: DoctorStep }>): React.JSX.Element {
  return (
    <li className={`help-doctor-step help-doctor-step-${step.status}`} data-step={step.id}>
      <div className="help-doctor-step-head">
        <span className="help-doctor-badge">{STATUS_LABELS[step.status]}</span>
        <strong>{step.title}</strong>
        {step.durationMs !== null && <span className="muted">{formatDuration(step.durationMs)}</span>}
      </div>
      {step.status !== 'pending' && <div>{step.summary}</div>}
      {step.cause && <div className="help-doctor-cause">Likely cause: {step.cause}</div>}
      {step.nextStep && <div className="help-doctor-next">Try: {step.nextStep}</div>}
      {step.details.length > 0 && <div className="help-doctor-details muted">{step.details.join(' · ')}</div>}
    </li>
  );
}
