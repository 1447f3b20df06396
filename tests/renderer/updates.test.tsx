/**
 * The update prompt, Help's updates section and the channel setting, fed by update:status the
 * way the shell sends it, against a scripted api.
 */
import { act, render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_PREFERENCES, applyPreferencesPatch, type Preferences } from '../../src/shared/preferences';
import type { UpdateStatus } from '../../src/shared/updates';
import { SettingsButton, SettingsPanel } from '../../src/renderer/src/features/settings/Settings';
import { UpdatePrompt, formatCountdown } from '../../src/renderer/src/features/updates/UpdatePrompt';
import { UpdatesHelp } from '../../src/renderer/src/features/updates/UpdatesHelp';
import { ok, setUp, tearDown, type ScriptedApi } from './support';

const BASE: UpdateStatus = {
  availability: 'active',
  unsupportedReason: null,
  currentVersion: '0.1.0',
  channel: 'stable',
  feedHost: 'updates.example.org',
  allowDowngrade: false,
  state: 'idle',
  update: null,
  progress: null,
  lastCheck: null,
  lastFailure: null,
  nextCheckAt: null,
  pendingMessages: 0,
  restartWhenSent: null,
};
const READY: UpdateStatus = { ...BASE, state: 'ready', update: { version: '0.2.0', releaseDate: null, sizeBytes: 90_000_000 } };

let scripted: ScriptedApi;
beforeEach(() => {
  scripted = setUp();
});
afterEach(tearDown);

function send(status: UpdateStatus): void {
  act(() => scripted.emit('update:status', status));
}

describe('the update prompt', () => {
  it('stays away until a version is downloaded, then offers the restart; "Later" puts it off until a newer one', async () => {
    scripted.answer('update:restart', () => ok(null));
    render(<UpdatePrompt />);
    send({ ...BASE, state: 'downloading', update: READY.update });
    expect(screen.queryByTestId('update-prompt')).toBeNull();

    send(READY);
    const prompt = screen.getByRole('region', { name: 'Update' });
    expect(within(prompt).getByText('Nova 0.2.0 is ready')).toBeTruthy();
    await userEvent.click(within(prompt).getByRole('button', { name: 'Restart to update' }));
    expect(scripted.callsTo('update:restart')).toEqual([{}]);

    await userEvent.click(within(prompt).getByRole('button', { name: 'Later' }));
    expect(screen.queryByTestId('update-prompt')).toBeNull();
    send({ ...READY, pendingMessages: 1 });
    expect(screen.queryByTestId('update-prompt')).toBeNull();
    send({ ...READY, update: { version: '0.2.1', releaseDate: null, sizeBytes: null } });
    expect(screen.getByText('Nova 0.2.1 is ready')).toBeTruthy();
  });

  it('with messages waiting, says so and offers to update after they are sent, then shows the bounded wait', async () => {
    const since = Date.now();
    scripted.answer('update:restartWhenSent', () => ok({ ...READY, pendingMessages: 2, restartWhenSent: { since, deadline: since + 120_000 } }));
    scripted.answer('update:cancelRestart', () => ok({ ...READY, pendingMessages: 2 }));
    render(<UpdatePrompt />);
    send({ ...READY, pendingMessages: 2 });
    const prompt = screen.getByRole('region', { name: 'Update' });
    expect(prompt.textContent).toContain('2 messages are still being sent. They are saved on this computer either way.');
    expect(within(prompt).getAllByRole('button').map((button) => button.textContent)).toEqual(['Update after they are sent', 'Restart now', 'Later']);

    await userEvent.click(within(prompt).getByRole('button', { name: 'Update after they are sent' }));
    expect(scripted.callsTo('update:restartWhenSent')).toEqual([{}]);
    expect(prompt.textContent).toContain('Updating once your messages are sent');
    expect(prompt.textContent).toMatch(/2 messages left to send\. Nova restarts into 0\.2\.0 by itself when they are sent, or in (2:00|1:59) at most/);
    expect(within(prompt).getByRole('progressbar', { name: 'Longest wait left' })).toBeTruthy();

    await userEvent.click(within(prompt).getByRole('button', { name: 'Cancel' }));
    expect(scripted.callsTo('update:cancelRestart')).toEqual([{}]);
    expect(within(prompt).getByRole('button', { name: 'Update after they are sent' })).toBeTruthy();
  });

  it('says it is restarting; counts down in minutes and seconds', () => {
    render(<UpdatePrompt />);
    send({ ...READY, state: 'restarting' });
    expect(screen.getByText('Restarting into Nova 0.2.0…')).toBeTruthy();
    expect([formatCountdown(120_000), formatCountdown(61_001), formatCountdown(999), formatCountdown(-5)]).toEqual(['2:00', '1:02', '0:01', '0:00']);
  });
});

describe('Help: updates', () => {
  it('without a feed: the version, and that the organisation manages updates', () => {
    render(<UpdatesHelp />);
    send({ ...BASE, availability: 'unmanaged', feedHost: null });
    expect(screen.getByTestId('help-updates').textContent).toBe(
      'UpdatesNova 0.1.0. Updates are managed by your organisation: new versions come the way it installs software.',
    );
    expect(screen.queryByRole('button', { name: 'Check for updates' })).toBeNull();
  });

  it('the version, channel, last check and its result, a download’s progress, and a failed step in words', async () => {
    scripted.answer('update:check', () => ok({ ...BASE, lastCheck: { at: Date.UTC(2026, 11, 1, 9, 30), result: 'up_to_date', latestVersion: '0.1.0', message: 'Nova 0.1.0 is the latest version.' } }));
    render(<UpdatesHelp />);
    send({ ...BASE, channel: 'beta' });
    const section = screen.getByTestId('help-updates');
    expect(section.textContent).toContain('Nova 0.1.0, Beta channel, from updates.example.org.');
    expect(screen.getByTestId('update-last-check').textContent).toBe('Not checked yet since Nova started.');

    await userEvent.click(screen.getByRole('button', { name: 'Check for updates' }));
    expect(scripted.callsTo('update:check')).toEqual([{}]);
    expect(screen.getByTestId('update-last-check').textContent).toMatch(/^Last checked .+: up to date\. Nova 0\.1\.0 is the latest version\.$/);

    send({ ...BASE, state: 'downloading', update: READY.update, progress: { transferredBytes: 45_000_000, totalBytes: 90_000_000, percent: 50, bytesPerSecond: 1 } });
    expect(section.textContent).toContain('Downloading Nova 0.2.0: 50 % (42.9 MB of 85.8 MB)');
    expect((screen.getByRole('progressbar', { name: 'Download' }) as HTMLProgressElement).value).toBe(50);
    expect((screen.getByRole('button', { name: 'Check for updates' }) as HTMLButtonElement).disabled).toBe(true);

    send({
      ...BASE,
      lastCheck: { at: 1, result: 'unreachable', latestVersion: null, message: 'The update server could not be reached (net::ERR_NAME_NOT_RESOLVED).' },
      lastFailure: { at: 2, step: 'download', result: 'hash_mismatch', message: 'The download did not match its sha512 checksum in the feed, so it was deleted and not installed.' },
    });
    expect(screen.getByTestId('update-last-check').textContent).toContain(': the update server could not be reached. The update server could not be reached (net::ERR_NAME_NOT_RESOLVED).');
    expect(section.textContent).toContain('The last download failed');
    expect(section.textContent).toContain('sha512 checksum');
  });
});

describe('Help: a downloaded version', () => {
  it('offers the same choice as the prompt: with messages waiting, after they are sent or now', async () => {
    scripted.answer('update:restartWhenSent', () => ok({ ...READY, pendingMessages: 2, restartWhenSent: { since: 1, deadline: 2 } }));
    render(<UpdatesHelp />);
    send(READY);
    const section = screen.getByTestId('help-updates');
    expect(within(section).getByRole('button', { name: 'Restart to update' })).toBeTruthy();
    send({ ...READY, pendingMessages: 2 });
    expect(section.textContent).toContain('Nova 0.2.0 is downloaded and verified. 2 messages are still being sent.');
    await userEvent.click(within(section).getByRole('button', { name: 'Update after they are sent' }));
    expect(scripted.callsTo('update:restartWhenSent')).toEqual([{}]);
    expect(section.textContent).toContain('Nova restarts into it once your messages are sent.');
  });
});

describe('Settings: the update channel', () => {
  let stored: Preferences;
  beforeEach(() => {
    stored = DEFAULT_PREFERENCES;
    scripted.answer('preferences:get', () => ok(stored));
    scripted.answer('preferences:set', (patch) => {
      stored = applyPreferencesPatch(stored, patch);
      return ok(stored);
    });
  });

  it('is offered only where Nova updates itself, and saves the choice', async () => {
    render(
      <>
        <SettingsButton />
        <SettingsPanel />
      </>,
    );
    send({ ...BASE, availability: 'unmanaged' });
    await userEvent.click(screen.getByRole('button', { name: 'Settings' }));
    expect(screen.queryByRole('group', { name: 'Update channel' })).toBeNull();

    send(BASE);
    const channel = screen.getByRole('group', { name: 'Update channel' });
    expect((within(channel).getByRole('radio', { name: /^Stable/ }) as HTMLInputElement).checked).toBe(true);
    await userEvent.click(within(channel).getByRole('radio', { name: /^Beta/ }));
    expect(scripted.callsTo('preferences:set')).toEqual([{ updates: { channel: 'beta' } }]);
    expect((within(channel).getByRole('radio', { name: /^Beta/ }) as HTMLInputElement).checked).toBe(true);
  });
});
