import { useId } from 'react';
import { displayKeys, listShortcuts } from '../../keys';

/** Keys handled elsewhere than the registry: the composer's own, and the app menu's accelerators. */
const FIXED: ReadonlyArray<Readonly<{ keys: string; description: string }>> = [
  { keys: 'Enter', description: 'Send the message (Shift+Enter adds a line)' },
  { keys: 'Escape', description: 'Close the open panel or dialog' },
  { keys: 'Mod+,', description: 'Settings' },
  { keys: 'Mod+Shift+O', description: 'Outbox' },
];

/** What the keyboard does, read from the shortcut registry when Help opens. */
export function KeyboardHelp(): React.JSX.Element {
  const headingId = useId();
  const shortcuts = [...listShortcuts(), ...FIXED];
  return (
    <section className="help-keys" aria-labelledby={headingId}>
      <h3 id={headingId}>Keyboard shortcuts</h3>
      <dl className="help-keys-list" data-testid="keyboard-shortcuts">
        {shortcuts.map((shortcut) => (
          <div key={shortcut.keys} className="help-keys-row">
            <dt>
              <kbd>{displayKeys(shortcut.keys)}</kbd>
            </dt>
            <dd>{shortcut.description}</dd>
          </div>
        ))}
      </dl>
    </section>
  );
}
