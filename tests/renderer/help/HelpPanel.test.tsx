import { act, cleanup, render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it } from 'vitest';
import { HelpPanel } from '../../../src/renderer/src/features/help';
import {
  buildApi,
  type DiagnosticsPreview,
  type EventChannel,
  type InvokeChannel,
  type NovaApi,
} from '../../../src/shared/contract';
import type { IpcResult } from '../../../src/shared/result';

afterEach(cleanup);

const PREVIEW: DiagnosticsPreview = {
  bundleId: 'B-1234ABCD',
  sizeBytes: 48_213,
  files: [
    { name: 'logs/main.log', sizeBytes: 40_000 },
    { name: 'versions.json', sizeBytes: 512 },
    { name: 'manifest.json', sizeBytes: 900 },
  ],
  masked: { email: 3, jwt: 2, phone: 0 },
  reviewText: 'Nova diagnostics bundle B-1234ABCD\n[info] (auth) signed in as [masked:email]',
};

/**
 * A `window.api` built from the contract table, as the preload builds it, over a scripted
 * main process: each channel answers from `answers`, and `emit` sends events to the page.
 */
function fakeApi(answers: Partial<Record<InvokeChannel, (req: unknown) => Promise<IpcResult<unknown>>>>): {
  api: NovaApi;
  calls: Array<[InvokeChannel, unknown]>;
  emit: (channel: EventChannel, payload: unknown) => void;
} {
  const calls: Array<[InvokeChannel, unknown]> = [];
  const listeners = new Map<EventChannel, Set<(payload: unknown) => void>>();
  const api = buildApi({
    invoke: (channel, req) => {
      calls.push([channel, req]);
      const answer = answers[channel];
      return answer ? answer(req) : Promise.resolve({ ok: false, error: { code: 'NOT_IMPLEMENTED', message: 'Not yet.', id: 'E-00000000' } });
    },
    subscribe: (channel, listener) => {
      const set = listeners.get(channel) ?? new Set();
      listeners.set(channel, set);
      set.add(listener);
      return () => set.delete(listener);
    },
  });
  const emit = (channel: EventChannel, payload: unknown): void => {
    act(() => listeners.get(channel)?.forEach((listener) => listener(payload)));
  };
  return { api, calls, emit };
}

function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

describe('HelpPanel', () => {
  it('collects with live progress, previews what was masked, saves and shows the logs folder', async () => {
    const user = userEvent.setup();
    const build = deferred<IpcResult<unknown>>();
    const { api, calls, emit } = fakeApi({
      'diagnostics:collect': () => build.promise,
      'diagnostics:save': () => Promise.resolve({ ok: true, value: { savedPath: '/home/ann/Downloads/nova-diagnostics-20261128-100000.zip' } }),
      'diagnostics:showLogsFolder': () => Promise.resolve({ ok: true, value: null }),
    });
    render(<HelpPanel api={api} />);

    const toggle = screen.getByRole('button', { name: 'Help' });
    expect(toggle.getAttribute('aria-expanded')).toBe('false');
    await user.click(toggle);
    const panel = screen.getByRole('dialog', { name: 'Help and support' });
    expect(toggle.getAttribute('aria-expanded')).toBe('true');

    await user.click(within(panel).getByRole('button', { name: 'Collect diagnostics' }));
    const status = within(panel).getByRole('status');
    expect(status.getAttribute('aria-live')).toBe('polite');
    expect(status.textContent).toContain('Collecting diagnostics… Starting');
    expect((within(panel).getByRole('button', { name: 'Collect diagnostics' }) as HTMLButtonElement).disabled).toBe(true);

    emit('diagnostics:progress', { stage: 'logs', done: 1, total: 9 });
    expect(status.textContent).toContain('Reading and masking logs (1 of 9)');
    const bar = within(panel).getByRole('progressbar', { name: 'Collecting diagnostics' });
    expect(bar.getAttribute('value')).toBe('1');
    expect(bar.getAttribute('max')).toBe('9');

    await act(async () => build.resolve({ ok: true, value: PREVIEW }));
    expect(status.textContent).toContain('Bundle ready: 47.1 KB, 3 files.');
    const masked = within(panel).getByRole('list', { name: 'Masked items by kind' });
    expect(within(masked).getAllByRole('listitem').map((li) => li.textContent)).toEqual(['E-mail addresses: 3', 'Sign-in tokens: 2']);
    expect(within(panel).getByRole('list', { name: 'Files in the bundle' }).textContent).toContain('logs/main.log (39.1 KB)');
    expect(within(panel).getByLabelText('Review what you would share').textContent).toContain('signed in as [masked:email]');

    await user.click(within(panel).getByRole('button', { name: 'Save…' }));
    expect(calls).toContainEqual(['diagnostics:save', { bundleId: 'B-1234ABCD' }]);
    expect(status.textContent).toContain('Saved to /home/ann/Downloads/nova-diagnostics-20261128-100000.zip');

    await user.click(within(panel).getByRole('button', { name: 'Show logs folder' }));
    expect(calls.filter(([channel]) => channel === 'diagnostics:showLogsFolder')).toHaveLength(1);
    expect(within(panel).queryByRole('alert')).toBeNull();

    await user.click(within(panel).getByRole('button', { name: 'Close help' }));
    expect(screen.queryByRole('dialog')).toBeNull();
  });

  it('opens from the Help menu, and "Collect diagnostics…" starts a build at once', async () => {
    const { api, calls, emit } = fakeApi({ 'diagnostics:collect': () => Promise.resolve({ ok: true, value: PREVIEW }) });
    render(<HelpPanel api={api} />);
    expect(screen.queryByRole('dialog')).toBeNull();

    emit('app:command', { command: 'open-help' });
    expect(screen.getByRole('dialog', { name: 'Help and support' })).toBeTruthy();
    // Opening only asks what support offers; it collects nothing.
    const diagnosticsCalls = (): string[] => calls.map(([channel]) => channel).filter((channel) => channel.startsWith('diagnostics:'));
    expect(diagnosticsCalls()).toEqual([]);

    emit('app:command', { command: 'collect-diagnostics' });
    await screen.findByText('Bundle ready: 47.1 KB, 3 files.');
    expect(diagnosticsCalls()).toEqual(['diagnostics:collect']);
  });

  it('shows failures with the error id support can look up, and a cancelled save', async () => {
    const user = userEvent.setup();
    let collectCount = 0;
    const { api, emit } = fakeApi({
      'diagnostics:collect': () => {
        collectCount += 1;
        return Promise.resolve(
          collectCount === 1
            ? { ok: false, error: { code: 'STORAGE_FULL', message: 'The disk is full.', id: 'E-DEADBEEF' } }
            : { ok: true, value: PREVIEW },
        );
      },
      'diagnostics:save': () => Promise.resolve({ ok: true, value: { savedPath: null } }),
    });
    render(<HelpPanel api={api} />);
    emit('app:command', { command: 'collect-diagnostics' });
    expect((await screen.findByRole('alert')).textContent).toBe('Could not collect diagnostics: The disk is full. (error E-DEADBEEF)');

    await user.click(screen.getByRole('button', { name: 'Collect diagnostics' }));
    await user.click(await screen.findByRole('button', { name: 'Save…' }));
    expect(screen.getByRole('status').textContent).toContain('Not saved.');

    await user.click(screen.getByRole('button', { name: 'Show logs folder' }));
    expect((await screen.findByRole('alert')).textContent).toBe('Could not open the logs folder: Not yet. (error E-00000000)');
  });
});
