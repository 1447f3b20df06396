import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ariaKeys, displayKeys, dispatchShortcut, listShortcuts, matchesKeys, parseKeys, registerShortcut, useShortcut } from '../../src/renderer/src/keys';
import { setUp, tearDown } from './support';

beforeEach(() => {
  setUp();
});
afterEach(tearDown);

function press(key: string, init: KeyboardEventInit = {}, target: EventTarget = document.body): KeyboardEvent {
  const event = new KeyboardEvent('keydown', { key, bubbles: true, cancelable: true, ...init });
  target.dispatchEvent(event);
  return event;
}

describe('the shortcut registry', () => {
  it('matches exact combinations; Mod is Ctrl off macOS and extra modifiers do not match', () => {
    const k = (key: string, init: KeyboardEventInit = {}): KeyboardEvent => new KeyboardEvent('keydown', { key, ...init });
    expect(matchesKeys(k('k', { ctrlKey: true }), 'Mod+K')).toBe(true);
    expect(matchesKeys(k('K', { ctrlKey: true, shiftKey: true }), 'Mod+K')).toBe(false);
    expect(matchesKeys(k('k', { ctrlKey: true, shiftKey: true }), 'Mod+Shift+K')).toBe(true);
    expect(matchesKeys(k('k', { metaKey: true }), 'Mod+K')).toBe(false);
    expect(matchesKeys(k('k'), 'Mod+K')).toBe(false);
    expect(matchesKeys(k('ArrowUp', { altKey: true }), 'Alt+ArrowUp')).toBe(true);
    expect(matchesKeys(k('ArrowUp', { altKey: true, ctrlKey: true }), 'Alt+ArrowUp')).toBe(false);
    expect(() => parseKeys('Hyper+K')).toThrow(/unknown modifier/);
    expect(ariaKeys('Mod+K')).toBe('Control+K');
    expect(ariaKeys('Alt+ArrowDown')).toBe('Alt+ArrowDown');
    expect(displayKeys('Mod+K')).toBe('Ctrl+K');
    expect(displayKeys('Alt+ArrowUp')).toBe('Alt+↑');
    expect(displayKeys('Enter')).toBe('Enter');
    expect(displayKeys('Mod+Shift+O')).toBe('Ctrl+Shift+O');
    expect(ariaKeys('Escape')).toBe('Escape');
  });

  it('asks the newest registration first and falls through when it declines', () => {
    const calls: string[] = [];
    const offOld = registerShortcut('Escape', () => {
      calls.push('old');
    });
    let isNewOpen = true;
    const offNew = registerShortcut('Escape', () => {
      calls.push('new');
      if (!isNewOpen) return false;
      isNewOpen = false;
      return undefined;
    });
    expect(press('Escape').defaultPrevented).toBe(true);
    press('Escape');
    expect(calls).toEqual(['new', 'new', 'old']);
    offNew();
    press('Escape');
    expect(calls).toEqual(['new', 'new', 'old', 'old']);
    offOld();
    expect(press('Escape').defaultPrevented).toBe(false);
  });

  it('plain keys stay with text fields; Ctrl/Alt combinations and Escape work there too', () => {
    const calls: string[] = [];
    const offs = [
      registerShortcut('/', () => void calls.push('slash')),
      registerShortcut('Mod+K', () => void calls.push('mod-k')),
      registerShortcut('Escape', () => void calls.push('escape')),
      registerShortcut('Alt+ArrowDown', () => void calls.push('alt-down')),
    ];
    render(<textarea aria-label="Message" />);
    const field = screen.getByRole('textbox', { name: 'Message' });
    expect(press('/', {}, field).defaultPrevented).toBe(false);
    press('k', { ctrlKey: true }, field);
    press('Escape', {}, field);
    press('ArrowDown', { altKey: true }, field);
    press('/');
    expect(calls).toEqual(['mod-k', 'escape', 'alt-down', 'slash']);
    offs.forEach((off) => off());
  });

  it('ignores keys an input method is still composing, and events already handled', () => {
    const calls: string[] = [];
    const off = registerShortcut('Escape', () => void calls.push('escape'));
    expect(dispatchShortcut(new KeyboardEvent('keydown', { key: 'Escape', isComposing: true }))).toBe(false);
    const handled = new KeyboardEvent('keydown', { key: 'Escape', cancelable: true });
    handled.preventDefault();
    expect(dispatchShortcut(handled)).toBe(false);
    expect(calls).toEqual([]);
    off();
  });

  it('lists described shortcuts once, for Help', () => {
    const offs = [
      registerShortcut('Mod+K', () => undefined, { description: 'Quick switcher' }),
      registerShortcut('Mod+K', () => undefined, { description: 'Quick switcher' }),
      registerShortcut('Escape', () => undefined),
    ];
    expect(listShortcuts()).toEqual([{ keys: 'Mod+K', description: 'Quick switcher' }]);
    offs.forEach((off) => off());
  });

  it('a component shortcut lives as long as the component and calls its latest handler', async () => {
    const seen: number[] = [];
    function Counter({ value }: Readonly<{ value: number }>): React.JSX.Element {
      useShortcut('Alt+N', () => void seen.push(value), { description: 'Count' });
      return <p>{value}</p>;
    }
    const view = render(<Counter value={1} />);
    await userEvent.keyboard('{Alt>}n{/Alt}');
    view.rerender(<Counter value={2} />);
    await userEvent.keyboard('{Alt>}n{/Alt}');
    view.unmount();
    await userEvent.keyboard('{Alt>}n{/Alt}');
    expect(seen).toEqual([1, 2]);
  });
});
