import { useCallback, useEffect, useId, useRef, useState } from 'react';
import type { DiagnosticsPreview, EventPayload, NovaApi } from '../../../../shared/contract';
import type { IpcResult } from '../../../../shared/result';
import type { SupportStatus } from '../../../../shared/support';
import { ConnectionDoctor } from './ConnectionDoctor';
import { FleetMetrics } from './FleetMetrics';
import { KeyboardHelp } from './KeyboardHelp';
import { formatBytes } from './format';
import { SendToSupport } from './SendToSupport';
import { UpdatesHelp } from '../updates/UpdatesHelp';
import { restoreFocus, useShortcut } from '../../keys';
import './help.css';

/** Words for what the bundle masked; the keys are the main process's mask kinds. */
const MASK_LABELS: Readonly<Record<string, string>> = {
  jwt: 'Sign-in tokens',
  bearer_token: 'Bearer tokens',
  authorization: 'Authorization headers',
  cookie: 'Cookies',
  password: 'Passwords',
  token: 'Other tokens',
  secret: 'Secrets and keys',
  code: 'Sign-in and backup codes',
  email: 'E-mail addresses',
  phone: 'Phone numbers',
  url_credentials: 'Credentials in web addresses',
  message_text: 'Message text',
  home_path: 'Your home folder in file paths',
};

const STAGE_LABELS: Readonly<Record<string, string>> = {
  logs: 'Reading and masking logs',
  parts: 'Adding app details',
  done: 'Finishing',
};

const HELP_BUTTON_ID = 'help-button';

type Progress = EventPayload<'diagnostics:progress'>;
type Failure = Readonly<{ message: string; id: string }>;

type Phase =
  | Readonly<{ kind: 'idle' }>
  | Readonly<{ kind: 'collecting'; progress: Progress | null }>
  | Readonly<{ kind: 'ready'; preview: DiagnosticsPreview }>
  | Readonly<{ kind: 'failed'; failure: Failure }>;

function failureOf(result: IpcResult<unknown>): Failure | null {
  return result.ok ? null : { message: result.error.message, id: result.error.id };
}

/**
 * Help and support: collects a diagnostics bundle, shows what it holds and what was masked, and
 * saves it where the user chooses or, when the organisation configured a support address, sends
 * it there. Nothing leaves the computer unless the user saves and shares the file or presses Send.
 * Also: the connection check, updates (version, channel, last check), and fleet metrics when
 * the organisation configured them.
 */
export function HelpPanel({ api }: Readonly<{ api: NovaApi }>): React.JSX.Element {
  const [isOpen, setOpen] = useState(false);
  const [phase, setPhase] = useState<Phase>({ kind: 'idle' });
  const [saveNote, setSaveNote] = useState<string | null>(null);
  const [folderFailure, setFolderFailure] = useState<Failure | null>(null);
  const [support, setSupport] = useState<SupportStatus | null>(null);
  const [sendingBundle, setSendingBundle] = useState<string | null>(null);
  const titleId = useId();
  const panelId = useId();
  const panelRef = useRef<HTMLElement>(null);
  const isCollecting = phase.kind === 'collecting';

  const collect = useCallback(async () => {
    setSaveNote(null);
    setSendingBundle(null);
    setPhase({ kind: 'collecting', progress: null });
    const result = await api.diagnosticsCollect({});
    setPhase(result.ok ? { kind: 'ready', preview: result.value } : { kind: 'failed', failure: failureOf(result) ?? { message: '', id: '' } });
  }, [api]);

  useEffect(() => {
    const offCommand = api.onAppCommand(({ command }) => {
      if (command === 'open-help') setOpen(true);
      if (command === 'collect-diagnostics') {
        setOpen(true);
        void collect();
      }
    });
    const offProgress = api.onDiagnosticsProgress((progress) => {
      setPhase((current) => (current.kind === 'collecting' ? { kind: 'collecting', progress } : current));
    });
    return () => {
      offCommand();
      offProgress();
    };
  }, [api, collect]);

  useEffect(() => {
    if (!isOpen) return undefined;
    panelRef.current?.focus();
    return () => restoreFocus(HELP_BUTTON_ID);
  }, [isOpen]);
  useShortcut('Escape', () => setOpen(false), { isActive: isOpen });

  // Asked each time Help opens: the organisation file is read at start, but this stays cheap.
  useEffect(() => {
    if (!isOpen) return undefined;
    let isCurrent = true;
    void api.supportStatus({}).then((result) => {
      if (isCurrent) setSupport(result.ok ? result.value : null);
    });
    return () => {
      isCurrent = false;
    };
  }, [api, isOpen]);

  const save = async (bundleId: string): Promise<void> => {
    setSaveNote('Choose where to save the file…');
    const result = await api.diagnosticsSave({ bundleId });
    if (!result.ok) setSaveNote(`Could not save: ${result.error.message} (error ${result.error.id})`);
    else if (result.value.savedPath === null) setSaveNote('Not saved.');
    else setSaveNote(`Saved to ${result.value.savedPath}`);
  };

  const showLogsFolder = async (): Promise<void> => {
    setFolderFailure(failureOf(await api.diagnosticsShowLogsFolder({})));
  };

  return (
    <div className="help">
      <button
        id={HELP_BUTTON_ID}
        type="button"
        className="button button-quiet help-toggle"
        aria-haspopup="dialog"
        aria-expanded={isOpen}
        aria-controls={isOpen ? panelId : undefined}
        onClick={() => setOpen((open) => !open)}
      >
        Help
      </button>
      {isOpen && (
        <section id={panelId} className="help-panel" role="dialog" aria-modal="false" aria-labelledby={titleId} tabIndex={-1} ref={panelRef}>
          <header className="help-header">
            <h2 id={titleId}>Help and support</h2>
            <button type="button" className="help-close" aria-label="Close help" onClick={() => setOpen(false)}>
              ×
            </button>
          </header>
          {support?.organization.status === 'invalid' && (
            <p className="help-org-problem">
              Your organisation’s settings file ({support.organization.path}) could not be used, so none of its
              settings apply: {support.organization.problems.join('; ')}. Tell your administrator.
            </p>
          )}
          <p>
            A diagnostics bundle is one file for support: recent logs, versions, connection and outbox
            state, and recent errors. Passwords, tokens, e-mail addresses, phone numbers and message
            text are masked first.{' '}
            {support?.canSend
              ? 'Nothing is sent anywhere unless you choose Send to support; you can also save the file and choose whom to give it to.'
              : 'Nothing is sent anywhere: you save the file and choose whom to give it to.'}
          </p>
          <div className="help-actions">
            <button type="button" onClick={() => void collect()} disabled={isCollecting}>
              {phase.kind === 'ready' ? 'Collect again' : 'Collect diagnostics'}
            </button>
            <button type="button" onClick={() => void showLogsFolder()}>
              Show logs folder
            </button>
          </div>
          {folderFailure && (
            <p role="alert">
              Could not open the logs folder: {folderFailure.message} (error {folderFailure.id})
            </p>
          )}

          <div role="status" aria-live="polite" className="help-status">
            {phase.kind === 'collecting' && <CollectingStatus progress={phase.progress} />}
            {phase.kind === 'ready' && `Bundle ready: ${formatBytes(phase.preview.sizeBytes)}, ${phase.preview.files.length} files.`}
            {saveNote && <span className="help-save-note"> {saveNote}</span>}
          </div>
          {phase.kind === 'failed' && (
            <p role="alert">
              Could not collect diagnostics: {phase.failure.message} (error {phase.failure.id})
            </p>
          )}

          {phase.kind === 'ready' && (
            <BundlePreview
              preview={phase.preview}
              onSave={() => void save(phase.preview.bundleId)}
              {...(support?.canSend ? { onSend: () => setSendingBundle(phase.preview.bundleId) } : {})}
            />
          )}
          {phase.kind === 'ready' && support?.canSend && sendingBundle === phase.preview.bundleId && (
            <SendToSupport
              key={phase.preview.bundleId}
              api={api}
              bundleId={phase.preview.bundleId}
              destination={support.destination ?? 'support'}
              onClose={() => setSendingBundle(null)}
            />
          )}

          <ConnectionDoctor api={api} />
          <UpdatesHelp />
          <FleetMetrics api={api} />
          <KeyboardHelp />
        </section>
      )}
    </div>
  );
}

function CollectingStatus({ progress }: Readonly<{ progress: Progress | null }>): React.JSX.Element {
  const label = progress ? (STAGE_LABELS[progress.stage] ?? progress.stage) : 'Starting';
  return (
    <>
      <span>
        Collecting diagnostics… {label}
        {progress ? ` (${progress.done} of ${progress.total})` : ''}
      </span>
      <progress aria-label="Collecting diagnostics" max={progress?.total ?? 1} value={progress?.done ?? 0} />
    </>
  );
}

function BundlePreview({
  preview,
  onSave,
  onSend,
}: Readonly<{ preview: DiagnosticsPreview; onSave: () => void; onSend?: () => void }>): React.JSX.Element {
  const masked = Object.entries(preview.masked).filter(([, count]) => count > 0);
  const reviewId = useId();
  return (
    <div className="help-preview">
      <h3>Masked before anything was written</h3>
      {masked.length === 0 ? (
        <p>Nothing needed masking.</p>
      ) : (
        <ul aria-label="Masked items by kind">
          {masked.map(([kind, count]) => (
            <li key={kind}>
              {MASK_LABELS[kind] ?? kind}: {count}
            </li>
          ))}
        </ul>
      )}
      <h3>Files</h3>
      <ul aria-label="Files in the bundle">
        {preview.files.map((file) => (
          <li key={file.name}>
            {file.name} ({formatBytes(file.sizeBytes)})
          </li>
        ))}
      </ul>
      <h3 id={reviewId}>Review what you would share</h3>
      <pre className="help-review" tabIndex={0} aria-labelledby={reviewId}>
        {preview.reviewText}
      </pre>
      <div className="help-actions">
        <button type="button" onClick={onSave}>
          Save…
        </button>
        {onSend && (
          <button type="button" onClick={onSend}>
            Send to support…
          </button>
        )}
      </div>
    </div>
  );
}
