/**
 * Help's support features over a scripted main process: Send to support (shown only with a
 * support address; progress, retry countdown, cancel, failure that keeps Save), the connection
 * check step by step, and fleet metrics (shown only when the organisation configured them).
 */
import { act, cleanup, render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it } from 'vitest';
import { HelpPanel } from '../../../src/renderer/src/features/help';
import type { DiagnosticsPreview, EventChannel, EventPayload } from '../../../src/shared/contract';
import type { IpcResult } from '../../../src/shared/result';
import type { DoctorReport, DoctorStep, FleetStatus, SupportSendResult, SupportStatus } from '../../../src/shared/support';
import { errorData, ok, scriptedApi } from '../support';

afterEach(cleanup);

const PREVIEW: DiagnosticsPreview = {
  bundleId: 'B-5END0001',
  sizeBytes: 20_480,
  files: [
    { name: 'logs/main.log', sizeBytes: 18_000 },
    { name: 'manifest.json', sizeBytes: 900 },
  ],
  masked: { email: 1 },
  reviewText: 'Nova diagnostics bundle B-5END0001',
};

const ORGANIZATION = { path: '/etc/nova/organization.json', source: 'environment' as const, status: 'loaded' as const, problems: [] };

function supportStatus(canSend: boolean): SupportStatus {
  return { canSend, destination: canSend ? 'rageshake.example.org' : null, organization: ORGANIZATION };
}

function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

function setUpHelp(options: { canSend: boolean }): ReturnType<typeof scriptedApi> & { send: (channel: EventChannel, payload: unknown) => void } {
  const scripted = scriptedApi();
  scripted.answer('support:status', () => ok(supportStatus(options.canSend)));
  scripted.answer('diagnostics:collect', () => ok(PREVIEW));
  render(<HelpPanel api={scripted.api} />);
  return { ...scripted, send: (channel, payload) => act(() => scripted.emit(channel as never, payload as never)) };
}

async function openAndCollect(user: ReturnType<typeof userEvent.setup>): Promise<HTMLElement> {
  await user.click(screen.getByRole('button', { name: 'Help' }));
  const panel = screen.getByRole('dialog', { name: 'Help and support' });
  await user.click(within(panel).getByRole('button', { name: 'Collect diagnostics' }));
  await within(panel).findByText('Bundle ready: 20.0 KB, 2 files.');
  return panel;
}

function progress(update: Partial<EventPayload<'support:progress'>>): EventPayload<'support:progress'> {
  return { bundleId: PREVIEW.bundleId, stage: 'uploading', attempt: 1, maxAttempts: 4, sentBytes: 0, totalBytes: 10_240, retryAt: null, lastError: null, ...update };
}

describe('Send to support', () => {
  it('is not offered without a support address: Save stays the only way out', async () => {
    const user = userEvent.setup();
    setUpHelp({ canSend: false });
    const panel = await openAndCollect(user);
    expect(within(panel).getByRole('button', { name: 'Save…' })).toBeTruthy();
    expect(within(panel).queryByRole('button', { name: 'Send to support…' })).toBeNull();
    expect(panel.textContent).toContain('Nothing is sent anywhere: you save the file');
  });

  it('sends the previewed bundle with a description, showing progress, the retry wait and the report', async () => {
    const user = userEvent.setup();
    const { answer, callsTo, send } = setUpHelp({ canSend: true });
    const upload = deferred<IpcResult<SupportSendResult>>();
    answer('support:send', () => upload.promise);
    const panel = await openAndCollect(user);

    await user.click(within(panel).getByRole('button', { name: 'Send to support…' }));
    const form = within(panel).getByRole('region', { name: 'Send to support' });
    expect(form.textContent).toContain('Sends the files listed above to rageshake.example.org');
    await user.type(within(form).getByLabelText('What happened? (optional)'), 'Grey ticks since 9');
    await user.click(within(form).getByRole('button', { name: 'Send' }));
    expect(callsTo('support:send')).toEqual([{ bundleId: 'B-5END0001', description: 'Grey ticks since 9' }]);
    expect(form.textContent).toContain('Preparing the files…');
    expect((within(form).getByLabelText('What happened? (optional)') as HTMLTextAreaElement).disabled).toBe(true);

    send('support:progress', progress({ sentBytes: 4_096 }));
    expect(form.textContent).toContain('Uploading… 4.0 KB of 10.0 KB (attempt 1 of 4)');
    expect(within(form).getByRole('progressbar', { name: 'Sending to support' }).getAttribute('value')).toBe('4096');
    send('support:progress', progress({ stage: 'waiting', retryAt: Date.now() + 4_000, lastError: 'the support server answered 503' }));
    expect(form.textContent).toMatch(/the support server answered 503\. Trying again in [34] s \(attempt 1 of 4\)\./);
    // Another bundle's progress is not this one's.
    send('support:progress', progress({ bundleId: 'B-OTHER', sentBytes: 1 }));
    expect(form.textContent).toContain('Trying again in');

    await act(async () => upload.resolve(ok({ status: 'sent', bundleId: PREVIEW.bundleId, reportUrl: 'https://rageshake.example.org/api/listing/2026-12-01/101500-ab12cd34/', sizeBytes: 10_240 })));
    expect(form.textContent).toContain('Sent to support (10.0 KB). Quote bundle B-5END0001 or the report https://rageshake.example.org/api/listing/2026-12-01/101500-ab12cd34/');
    expect(within(form).getByRole('button', { name: 'Copy link' })).toBeTruthy();
    expect(within(form).queryByRole('button', { name: 'Send' })).toBeNull();
  });

  it('cancels on request, and after a failure says why and keeps Save and a retry', async () => {
    const user = userEvent.setup();
    const { answer, callsTo } = setUpHelp({ canSend: true });
    const first = deferred<IpcResult<SupportSendResult>>();
    let sends = 0;
    answer('support:send', () => {
      sends += 1;
      return sends === 1 ? first.promise : { ok: false, error: { ...errorData('NETWORK_ERROR', 'Could not send the bundle after 4 attempts: the support server could not be reached (ECONNREFUSED). The bundle is kept: use Save… to send the file another way.'), id: 'E-0FF11E00' } };
    });
    answer('support:cancel', () => ok(null));
    const panel = await openAndCollect(user);
    await user.click(within(panel).getByRole('button', { name: 'Send to support…' }));
    const form = within(panel).getByRole('region', { name: 'Send to support' });

    await user.click(within(form).getByRole('button', { name: 'Send' }));
    await user.click(within(form).getByRole('button', { name: 'Cancel upload' }));
    expect(callsTo('support:cancel')).toEqual([{ bundleId: 'B-5END0001' }]);
    await act(async () => first.resolve(ok({ status: 'cancelled', bundleId: PREVIEW.bundleId })));
    expect(form.textContent).toContain('Not sent. You can send it again or save the file.');

    await user.click(within(form).getByRole('button', { name: 'Send' }));
    const alert = await within(form).findByRole('alert');
    expect(alert.textContent).toBe(
      'Could not send: Could not send the bundle after 4 attempts: the support server could not be reached (ECONNREFUSED). The bundle is kept: use Save… to send the file another way. (error E-0FF11E00)',
    );
    expect(within(form).getByRole('button', { name: 'Try again' })).toBeTruthy();
    expect(within(panel).getByRole('button', { name: 'Save…' })).toBeTruthy();
  });

  it('says when the organisation file could not be used', async () => {
    const user = userEvent.setup();
    const scripted = scriptedApi();
    scripted.answer('support:status', () =>
      ok({ canSend: false, destination: null, organization: { ...ORGANIZATION, status: 'invalid', problems: ['supportUrl: must be an https URL'] } }),
    );
    render(<HelpPanel api={scripted.api} />);
    await user.click(screen.getByRole('button', { name: 'Help' }));
    expect(await screen.findByText(/could not be used, so none of its settings apply: supportUrl: must be an https URL\. Tell your administrator\./)).toBeTruthy();
  });
});

function doctorStep(id: DoctorStep['id'], title: string, status: DoctorStep['status'], extra: Partial<DoctorStep> = {}): DoctorStep {
  return { id, title, status, summary: status === 'pending' ? 'Waiting' : status === 'running' ? 'Checking…' : `${title} ${status}`, details: [], cause: null, nextStep: null, durationMs: null, ...extra };
}

function doctorReport(steps: DoctorStep[], outcome: DoctorReport['outcome'], summary = 'Checking…'): DoctorReport {
  return { runId: 'D-1', serverUrl: 'https://nova.example.org', startedAt: 0, finishedAt: outcome === 'running' ? null : 1, outcome, summary, steps };
}

describe('Check my connection', () => {
  it('shows each step as it runs, then the verdict with cause and next step', async () => {
    const user = userEvent.setup();
    const { answer, send } = setUpHelp({ canSend: false });
    const run = deferred<IpcResult<DoctorReport>>();
    answer('doctor:run', () => run.promise);
    await user.click(screen.getByRole('button', { name: 'Help' }));
    const section = screen.getByRole('region', { name: 'Connection check' });
    await user.click(within(section).getByRole('button', { name: 'Check my connection' }));
    expect((within(section).getByRole('button', { name: 'Checking…' }) as HTMLButtonElement).disabled).toBe(true);

    send('doctor:progress', doctorReport([doctorStep('network', 'Network on this computer', 'running'), doctorStep('dns', 'Find the server (DNS)', 'pending')], 'running'));
    const steps = (): string[] => within(section).getAllByRole('listitem').map((li) => li.textContent ?? '');
    expect(within(section).getByText('Checking your connection…')).toBeTruthy();
    expect(steps()).toEqual(['CheckingNetwork on this computerChecking…', 'WaitingFind the server (DNS)']);

    const finalReport = doctorReport(
      [
        doctorStep('network', 'Network on this computer', 'pass', { durationMs: 2 }),
        doctorStep('dns', 'Find the server (DNS)', 'fail', {
          summary: 'The name nova.example.org could not be found (ENOTFOUND).',
          cause: 'A typo in the server address.',
          nextStep: 'Check the server address.',
          durationMs: 1_250,
        }),
      ],
      'fail',
      'Problem found at “Find the server (DNS)”: The name nova.example.org could not be found (ENOTFOUND).',
    );
    await act(async () => run.resolve(ok(finalReport)));
    expect(within(section).getByText(finalReport.summary)).toBeTruthy();
    expect(steps()[1]).toBe(
      'ProblemFind the server (DNS)1.3 sThe name nova.example.org could not be found (ENOTFOUND).Likely cause: A typo in the server address.Try: Check the server address.',
    );
    expect(within(section).getByRole('button', { name: 'Check again' })).toBeTruthy();
  });
});

function fleetStatus(overrides: Partial<FleetStatus>): FleetStatus {
  return {
    configured: true,
    enabled: true,
    decidedBy: 'organization',
    userMayChoose: false,
    destination: 'mimir.example.org',
    intervalMs: 60_000,
    installId: '6f1c2b9e-0d3a-4c55-9a1e-3b7d2f8e4c10',
    lastPushAt: null,
    lastError: null,
    bufferedPushes: 0,
    droppedPushes: 0,
    families: ['ws_connection_state', 'ws_reconnections_total'],
    ...overrides,
  };
}

describe('Usage statistics for the organisation', () => {
  it('are not mentioned when the organisation configured none', async () => {
    const user = userEvent.setup();
    const { answer } = setUpHelp({ canSend: false });
    answer('fleet:status', () => ok(fleetStatus({ configured: false, enabled: false, decidedBy: null, installId: null })));
    await user.click(screen.getByRole('button', { name: 'Help' }));
    await screen.findByRole('region', { name: 'Connection check' });
    expect(screen.queryByRole('region', { name: 'Usage statistics for your organisation' })).toBeNull();
  });

  it('say they are on and who decided; the user turns them off when allowed and resets the id', async () => {
    const user = userEvent.setup();
    const { answer, callsTo } = setUpHelp({ canSend: false });
    answer('fleet:status', () => ok(fleetStatus({ userMayChoose: true, decidedBy: 'organization', lastError: 'the metrics store answered 503', bufferedPushes: 3 })));
    answer('fleet:setEnabled', (req) => ok(fleetStatus({ userMayChoose: true, enabled: req.enabled, decidedBy: 'user' })));
    answer('fleet:resetInstallId', () => ok(fleetStatus({ userMayChoose: true, enabled: false, decidedBy: 'user', installId: 'a-new-id' })));
    await user.click(screen.getByRole('button', { name: 'Help' }));
    const section = await screen.findByRole('region', { name: 'Usage statistics for your organisation' });
    expect(section.textContent).toContain('On — turned on by your organisation. Every minute Nova sends connection and delivery counts to mimir.example.org');
    expect(section.textContent).toContain('Not sent lately: the metrics store answered 503. 3 waiting.');
    expect(within(section).getByRole('list', { name: 'Metrics sent' }).textContent).toContain('ws_reconnections_total');

    await user.click(within(section).getByRole('button', { name: 'Turn off' }));
    expect(callsTo('fleet:setEnabled')).toEqual([{ enabled: false }]);
    expect(section.textContent).toContain('Off — your choice.');
    await user.click(within(section).getByRole('button', { name: 'Reset install id' }));
    expect(section.textContent).toContain('a-new-id');
  });

  it('offer no switch when the organisation decides alone', async () => {
    const user = userEvent.setup();
    const { answer } = setUpHelp({ canSend: false });
    answer('fleet:status', () => ok(fleetStatus({})));
    await user.click(screen.getByRole('button', { name: 'Help' }));
    const section = await screen.findByRole('region', { name: 'Usage statistics for your organisation' });
    expect(within(section).queryByRole('button', { name: /Turn (on|off)/ })).toBeNull();
    expect(section.textContent).toContain('Nothing sent yet.');
  });
});
