import { act, render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ConversationSummary } from '../../src/shared/contract';
import { DEFAULT_PREFERENCES, applyPreferencesPatch, type Preferences } from '../../src/shared/preferences';
import { SettingsButton, SettingsPanel } from '../../src/renderer/src/features/settings/Settings';
import { useAppStore } from '../../src/renderer/src/store';
import { ok, setUp, signedIn, tearDown, type ScriptedApi } from './support';

function conversation(id: string, name: string): ConversationSummary {
  return { id, type: 'group', name, lastMessage: null, unreadCount: 0, pendingCount: 0, lastSeq: 0 };
}

let scripted: ScriptedApi;
let stored: Preferences;
beforeEach(() => {
  stored = DEFAULT_PREFERENCES;
  scripted = setUp();
  scripted.answer('preferences:get', () => ok(stored));
  scripted.answer('preferences:set', (patch) => {
    stored = applyPreferencesPatch(stored, patch);
    return ok(stored);
  });
  scripted.answer('conversations:view', () => ok(null));
});
afterEach(tearDown);

function renderSettings(): void {
  render(
    <>
      <SettingsButton />
      <SettingsPanel />
    </>,
  );
}

describe('Settings', () => {
  it('opens from the header, shows what main stored, saves each change, and closes with Escape back to the button', async () => {
    act(() => {
      scripted.emit('auth:changed', signedIn());
      useAppStore.getState().setConversations([conversation('c-team', 'Team'), conversation('c-ops', 'Ops')]);
    });
    renderSettings();
    await act(async () => {
      await Promise.resolve();
    });
    await userEvent.click(screen.getByRole('button', { name: 'Settings' }));
    const dialog = screen.getByRole('dialog', { name: 'Settings' });
    expect(dialog).toBeTruthy();
    expect(screen.getByRole('button', { name: 'Close' })).toBe(document.activeElement);

    const previews = screen.getByRole('checkbox', { name: /Show the message text/ }) as HTMLInputElement;
    expect(previews.checked).toBe(true);
    await userEvent.click(previews);
    expect(scripted.callsTo('preferences:set')).toEqual([{ notifications: { showPreviews: false } }]);
    expect(previews.checked).toBe(false);
    expect(screen.getByRole('status').textContent).toBe('Saved.');

    // Keyboard only: tab to "Do not disturb" and toggle it with Space.
    const dnd = screen.getByRole('checkbox', { name: /Do not disturb/ }) as HTMLInputElement;
    dnd.focus();
    await userEvent.keyboard(' ');
    expect(dnd.checked).toBe(true);

    await userEvent.click(screen.getByRole('checkbox', { name: 'Mute Team' }));
    expect(scripted.callsTo('preferences:set').at(-1)).toEqual({ notifications: { mutedConversationIds: ['c-team'] } });
    await userEvent.click(screen.getByRole('checkbox', { name: /Keep Nova running in the tray/ }));
    expect(stored).toEqual({
      notifications: { enabled: true, showPreviews: false, doNotDisturb: true, mutedConversationIds: ['c-team'] },
      updates: { channel: 'stable' },
      closeToTray: false,
      theme: 'system',
    });

    // Turning notifications off greys out the options that depend on them.
    await userEvent.click(screen.getByRole('checkbox', { name: /Show notifications for new messages/ }));
    expect((screen.getByRole('checkbox', { name: /Show the message text/ }) as HTMLInputElement).disabled).toBe(true);

    await userEvent.keyboard('{Escape}');
    expect(screen.queryByRole('dialog')).toBeNull();
    expect(document.activeElement).toBe(screen.getByRole('button', { name: 'Settings' }));
  });

  it('follows changes made elsewhere, and opens from the menu command', async () => {
    renderSettings();
    act(() => scripted.emit('app:command', { command: 'open-settings' }));
    await act(async () => {
      await Promise.resolve();
    });
    expect(screen.getByRole('dialog', { name: 'Settings' })).toBeTruthy();
    act(() => scripted.emit('preferences:changed', { ...DEFAULT_PREFERENCES, notifications: { ...DEFAULT_PREFERENCES.notifications, doNotDisturb: true } }));
    expect((screen.getByRole('checkbox', { name: /Do not disturb/ }) as HTMLInputElement).checked).toBe(true);
    expect(screen.getByText('Sign in to mute conversations.')).toBeTruthy();
  });

  it('says so when main has no settings to give', async () => {
    scripted.answer('preferences:get', () => ({ ok: false, error: { code: 'INTERNAL', message: 'no', id: 'e-1' } }));
    useAppStore.setState({ preferences: null, isSettingsOpen: true });
    renderSettings();
    expect(screen.getByText('Settings are not available right now.')).toBeTruthy();
  });
});

describe('what the page tells main', () => {
  it('reports the conversation it shows, and opens one when a notification was clicked', async () => {
    scripted.answer('messages:list', () => ok({ messages: [], olderCursor: null }));
    act(() => scripted.emit('app:command', { command: 'open-conversation', conversationId: 'c-team' }));
    await act(async () => {
      await Promise.resolve();
    });
    expect(useAppStore.getState().selectedConversationId).toBe('c-team');
    expect(scripted.callsTo('conversations:view')).toEqual([{ conversationId: null }, { conversationId: 'c-team' }]);
    expect(scripted.callsTo('messages:list')).toEqual([{ conversationId: 'c-team', limit: 100 }]);
  });
});
