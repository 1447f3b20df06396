import { act, render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_PREFERENCES, applyPreferencesPatch, type Preferences } from '../../src/shared/preferences';
import { SettingsButton, SettingsPanel } from '../../src/renderer/src/features/settings/Settings';
import { useAppStore } from '../../src/renderer/src/store';
import { installTheme, resolveTheme } from '../../src/renderer/src/theme';
import { ok, setUp, tearDown, type ScriptedApi } from './support';

/** jsdom has no matchMedia: a stand-in whose answer the test flips, as the OS setting would. */
function fakeSystemScheme(isDark: boolean): { setDark: (isDark: boolean) => void; restore: () => void } {
  const listeners = new Set<() => void>();
  const media = {
    matches: isDark,
    media: '(prefers-color-scheme: dark)',
    addEventListener: (_type: string, listener: () => void) => listeners.add(listener),
    removeEventListener: (_type: string, listener: () => void) => listeners.delete(listener),
  };
  const original = window.matchMedia;
  window.matchMedia = ((query: string) => {
    if (query !== media.media) throw new Error(`unexpected media query ${query}`);
    return media;
  }) as unknown as typeof window.matchMedia;
  return {
    setDark: (dark) => {
      media.matches = dark;
      listeners.forEach((listener) => listener());
    },
    restore: () => {
      window.matchMedia = original;
    },
  };
}

let scripted: ScriptedApi;
let stored: Preferences;
let system: ReturnType<typeof fakeSystemScheme>;
let uninstall: () => void;
beforeEach(() => {
  stored = DEFAULT_PREFERENCES;
  system = fakeSystemScheme(false);
  scripted = setUp();
  scripted.answer('preferences:get', () => ok(stored));
  scripted.answer('preferences:set', (patch) => {
    stored = applyPreferencesPatch(stored, patch);
    return ok(stored);
  });
  uninstall = installTheme(window);
});
afterEach(() => {
  uninstall();
  system.restore();
  tearDown();
  delete document.documentElement.dataset['theme'];
});

const theme = (): string | undefined => document.documentElement.dataset['theme'];

describe('themes', () => {
  it('resolves a preference against the OS setting', () => {
    expect(resolveTheme('system', true)).toBe('dark');
    expect(resolveTheme('system', false)).toBe('light');
    expect(resolveTheme('light', true)).toBe('light');
    expect(resolveTheme('dark', false)).toBe('dark');
  });

  it('follows the OS while set to System, live', () => {
    expect(theme()).toBe('light');
    act(() => system.setDark(true));
    expect(theme()).toBe('dark');
    act(() => system.setDark(false));
    expect(theme()).toBe('light');
  });

  it('a choice in Settings is saved by main and applied; it then ignores the OS until System is chosen again', async () => {
    render(
      <>
        <SettingsButton />
        <SettingsPanel />
      </>,
    );
    await userEvent.click(screen.getByRole('button', { name: 'Settings' }));
    const group = await screen.findByRole('group', { name: 'Theme' });
    expect(group).toBeTruthy();
    expect((screen.getByRole('radio', { name: 'System' }) as HTMLInputElement).checked).toBe(true);

    await userEvent.click(screen.getByRole('radio', { name: 'Dark' }));
    expect(scripted.callsTo('preferences:set')).toEqual([{ theme: 'dark' }]);
    expect(stored.theme).toBe('dark');
    expect(theme()).toBe('dark');
    act(() => system.setDark(false));
    expect(theme()).toBe('dark');

    await userEvent.click(screen.getByRole('radio', { name: 'Light' }));
    expect(stored.theme).toBe('light');
    expect(theme()).toBe('light');
    act(() => system.setDark(true));
    expect(theme()).toBe('light');

    await userEvent.click(screen.getByRole('radio', { name: 'System' }));
    expect(stored.theme).toBe('system');
    expect(theme()).toBe('dark');
  });

  it('applies a change made elsewhere (another window, the stored document at start-up)', () => {
    act(() => scripted.emit('preferences:changed', { ...DEFAULT_PREFERENCES, theme: 'dark' }));
    expect(useAppStore.getState().preferences?.theme).toBe('dark');
    expect(theme()).toBe('dark');
    expect(document.documentElement.dataset['themeSource']).toBe('dark');
  });
});
