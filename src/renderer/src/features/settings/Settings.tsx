import { useEffect, useId, useRef, useState } from 'react';
import { useShallow } from 'zustand/react/shallow';
import type { NotificationPreferences, PreferencesPatch, ThemePreference, UpdateChannel } from '../../../../shared/preferences';
import { loadPreferences, updatePreferences } from '../../actions';
import { restoreFocus, useShortcut } from '../../keys';
import { useAppStore } from '../../store';
import { conversationTitle, sortConversations } from '../../store/conversations';
import './settings.css';

const BUTTON_ID = 'settings-button';

/** The header button; the panel gives the focus back to it when it closes. */
export function SettingsButton(): React.JSX.Element {
  const isOpen = useAppStore((s) => s.isSettingsOpen);
  const setOpen = useAppStore((s) => s.setSettingsOpen);
  return (
    <button
      id={BUTTON_ID}
      type="button"
      className="button button-quiet"
      aria-haspopup="dialog"
      aria-expanded={isOpen}
      aria-keyshortcuts="Control+Comma"
      onClick={() => setOpen(!isOpen)}
      data-testid="settings-button"
    >
      Settings
    </button>
  );
}

/** macOS has no tray: the "close to tray" choice does not apply there. */
function hasTray(): boolean {
  return !/Mac/i.test(navigator.platform || navigator.userAgent);
}

/**
 * Notification and window settings. Every change is saved at once by main (preferences:set);
 * the controls show what main stored, so what you see is what applies.
 */
export function SettingsPanel(): React.JSX.Element | null {
  const isOpen = useAppStore((s) => s.isSettingsOpen);
  const setOpen = useAppStore((s) => s.setSettingsOpen);
  const preferences = useAppStore((s) => s.preferences);
  const [status, setStatus] = useState<'idle' | 'saving' | 'saved' | 'failed'>('idle');
  const closeButton = useRef<HTMLButtonElement>(null);
  const titleId = useId();

  useEffect(() => {
    // The start-up read may have failed (or not answered yet): try again when the user looks.
    if (isOpen && useAppStore.getState().preferences === null) void loadPreferences();
  }, [isOpen]);

  useEffect(() => {
    if (!isOpen) return undefined;
    closeButton.current?.focus();
    return () => restoreFocus(BUTTON_ID);
  }, [isOpen]);
  useShortcut('Escape', () => setOpen(false), { isActive: isOpen });

  if (!isOpen) return null;

  const save = async (patch: PreferencesPatch): Promise<void> => {
    setStatus('saving');
    setStatus((await updatePreferences(patch)) ? 'saved' : 'failed');
  };

  return (
    <aside className="settings-panel" role="dialog" aria-modal="false" aria-labelledby={titleId} data-testid="settings-panel">
      <header className="settings-header">
        <h2 id={titleId}>Settings</h2>
        <button ref={closeButton} type="button" className="button button-quiet" onClick={() => setOpen(false)}>
          Close
        </button>
      </header>
      {preferences === null ? (
        <p className="muted">Settings are not available right now.</p>
      ) : (
        <>
          <NotificationSettings notifications={preferences.notifications} save={save} />
          <UpdateSettings channel={preferences.updates.channel} save={save} />
          {hasTray() && (
            <section className="settings-section" aria-labelledby={`${titleId}-window`}>
              <h3 id={`${titleId}-window`}>Window</h3>
              <Option
                label="Keep Nova running in the tray when its window is closed"
                hint="Messages keep arriving and notifying; quit from the tray menu."
                checked={preferences.closeToTray}
                onChange={(closeToTray) => void save({ closeToTray })}
                testId="setting-close-to-tray"
              />
            </section>
          )}
          <AppearanceSettings theme={preferences.theme} save={save} />
        </>
      )}
      <p className="settings-status muted" role="status" aria-live="polite">
        {status === 'saving' ? 'Saving…' : status === 'saved' ? 'Saved.' : status === 'failed' ? 'Not saved.' : ''}
      </p>
    </aside>
  );
}

const THEME_OPTIONS: readonly { theme: ThemePreference; label: string }[] = [
  { theme: 'system', label: 'System' },
  { theme: 'light', label: 'Light' },
  { theme: 'dark', label: 'Dark' },
];

/** System follows the OS's light or dark setting as it changes; Light and Dark stay put. */
function AppearanceSettings({ theme, save }: Readonly<{ theme: ThemePreference; save: (patch: PreferencesPatch) => Promise<void> }>): React.JSX.Element {
  const headingId = useId();
  return (
    <section className="settings-section" aria-labelledby={headingId}>
      <h3 id={headingId}>Appearance</h3>
      <fieldset className="settings-channel settings-theme">
        <legend>Theme</legend>
        {THEME_OPTIONS.map((option) => (
          <label key={option.theme} className="settings-option">
            <input
              type="radio"
              name="theme"
              value={option.theme}
              checked={theme === option.theme}
              onChange={() => void save({ theme: option.theme })}
              data-testid={`setting-theme-${option.theme}`}
            />
            <span className="settings-label">{option.label}</span>
          </label>
        ))}
      </fieldset>
    </section>
  );
}

const CHANNEL_OPTIONS: readonly { channel: UpdateChannel; label: string; hint: string }[] = [
  { channel: 'stable', label: 'Stable', hint: 'Released versions only.' },
  {
    channel: 'beta',
    label: 'Beta',
    hint: 'Early versions as well, before everyone else. Back on Stable, Nova stays on the beta until a newer stable version comes (unless your organisation allows going back).',
  },
];

/** Shown only where Nova updates itself: the organisation named a feed and this copy can replace itself. */
function UpdateSettings({ channel, save }: Readonly<{ channel: UpdateChannel; save: (patch: PreferencesPatch) => Promise<void> }>): React.JSX.Element | null {
  const isActive = useAppStore((s) => s.update?.availability === 'active');
  const headingId = useId();
  if (!isActive) return null;
  return (
    <section className="settings-section" aria-labelledby={headingId}>
      <h3 id={headingId}>Updates</h3>
      <fieldset className="settings-channel">
        <legend>Update channel</legend>
        {CHANNEL_OPTIONS.map((option) => (
          <label key={option.channel} className="settings-option">
            <input
              type="radio"
              name="update-channel"
              value={option.channel}
              checked={channel === option.channel}
              onChange={() => void save({ updates: { channel: option.channel } })}
              data-testid={`setting-channel-${option.channel}`}
            />
            <span>
              <span className="settings-label">{option.label}</span>
              <span className="muted settings-hint">{option.hint}</span>
            </span>
          </label>
        ))}
      </fieldset>
    </section>
  );
}

function NotificationSettings({
  notifications,
  save,
}: Readonly<{ notifications: NotificationPreferences; save: (patch: PreferencesPatch) => Promise<void> }>): React.JSX.Element {
  const headingId = useId();
  const conversations = useAppStore(useShallow((s) => sortConversations(Object.values(s.conversations))));
  const isSignedIn = useAppStore((s) => s.auth?.signedIn === true);
  const muted = new Set(notifications.mutedConversationIds);
  const setMuted = (conversationId: string, isMuted: boolean): void => {
    const next = new Set(muted);
    if (isMuted) next.add(conversationId);
    else next.delete(conversationId);
    void save({ notifications: { mutedConversationIds: [...next] } });
  };
  return (
    <section className="settings-section" aria-labelledby={headingId}>
      <h3 id={headingId}>Notifications</h3>
      <Option
        label="Show notifications for new messages"
        hint="When Nova is not in front, or shows another conversation."
        checked={notifications.enabled}
        onChange={(enabled) => void save({ notifications: { enabled } })}
        testId="setting-notifications"
      />
      <Option
        label="Show the message text"
        hint="Off: a notification says where a message is, not what it says."
        checked={notifications.showPreviews}
        disabled={!notifications.enabled}
        onChange={(showPreviews) => void save({ notifications: { showPreviews } })}
        testId="setting-previews"
      />
      <Option
        label="Do not disturb"
        hint="No notifications at all; the unread count still shows."
        checked={notifications.doNotDisturb}
        disabled={!notifications.enabled}
        onChange={(doNotDisturb) => void save({ notifications: { doNotDisturb } })}
        testId="setting-dnd"
      />
      <fieldset className="settings-muted" disabled={!notifications.enabled}>
        <legend>Muted conversations</legend>
        <p className="muted settings-hint">A muted conversation never notifies and does not count in the unread badge.</p>
        {!isSignedIn ? (
          <p className="muted">Sign in to mute conversations.</p>
        ) : conversations.length === 0 ? (
          <p className="muted">No conversations yet.</p>
        ) : (
          <ul>
            {conversations.map((conversation) => (
              <li key={conversation.id}>
                <label className="settings-mute">
                  <input
                    type="checkbox"
                    checked={muted.has(conversation.id)}
                    onChange={(event) => setMuted(conversation.id, event.currentTarget.checked)}
                    data-testid="setting-mute"
                  />
                  Mute {conversationTitle(conversation)}
                </label>
              </li>
            ))}
          </ul>
        )}
      </fieldset>
    </section>
  );
}

function Option({
  label,
  hint,
  checked,
  disabled = false,
  onChange,
  testId,
}: Readonly<{ label: string; hint: string; checked: boolean; disabled?: boolean; onChange: (checked: boolean) => void; testId: string }>): React.JSX.Element {
  const hintId = useId();
  return (
    <label className="settings-option">
      <input
        type="checkbox"
        checked={checked}
        disabled={disabled}
        aria-describedby={hintId}
        onChange={(event) => onChange(event.currentTarget.checked)}
        data-testid={testId}
      />
      <span>
        <span className="settings-label">{label}</span>
        <span id={hintId} className="muted settings-hint">
          {hint}
        </span>
      </span>
    </label>
  );
}
