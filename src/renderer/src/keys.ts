/**
 * The window's keyboard shortcuts, in one registry with one keydown listener, so two features
 * never fight over a key and Help can list them all.
 *
 * A combination is written as modifiers then a key, joined by `+`: `Mod+K`, `Alt+ArrowUp`,
 * `Escape`, `Mod+Shift+O`. `Mod` is Cmd on macOS and Ctrl elsewhere; the key is
 * `KeyboardEvent.key` (letters case-insensitive).
 *
 * When several shortcuts share a combination, the one registered last is asked first and the
 * next one only if it returns `false`: an open dialog's Escape wins over the panel under it, and
 * gives way once it has closed.
 *
 * To add a shortcut: `useShortcut('Mod+N', handler, { description: 'New conversation' })` in the
 * component that owns the action, and `aria-keyshortcuts={ariaKeys('Mod+N')}` on its button.
 */
import { useEffect, useRef } from 'react';

export type ShortcutHandler = (event: KeyboardEvent) => boolean | void;

export type ShortcutOptions = Readonly<{
  /** Shown in Help's list of shortcuts; leave out for keys that only close something. */
  description?: string;
  /**
   * Also while typing in a text field. Combinations with Ctrl/Cmd or Alt default to true (they
   * type nothing); plain keys default to false, except Escape.
   */
  inTextFields?: boolean;
}>;

type Entry = Readonly<{ combo: Combo; keys: string; handler: ShortcutHandler; options: ShortcutOptions }>;

/** `key` lower-cased for matching; `name` as written, for showing. */
type Combo = Readonly<{ key: string; name: string; mod: boolean; alt: boolean; shift: boolean }>;

const entries: Entry[] = [];

export function isMacPlatform(): boolean {
  return typeof navigator !== 'undefined' && /Mac|iPhone|iPad/i.test(navigator.platform || navigator.userAgent);
}

export function parseKeys(keys: string): Combo {
  const parts = keys.split('+');
  const key = parts.pop();
  if (!key) throw new Error(`Shortcut "${keys}" names no key`);
  const combo = { key: key.toLowerCase(), name: key, mod: false, alt: false, shift: false };
  for (const part of parts) {
    if (part === 'Mod') combo.mod = true;
    else if (part === 'Alt') combo.alt = true;
    else if (part === 'Shift') combo.shift = true;
    else throw new Error(`Shortcut "${keys}": unknown modifier "${part}"`);
  }
  return combo;
}

/** Whether the event is exactly this combination (extra modifiers do not match). */
export function matchesKeys(event: KeyboardEvent, keys: string | Combo): boolean {
  const combo = typeof keys === 'string' ? parseKeys(keys) : keys;
  const isMac = isMacPlatform();
  const mod = isMac ? event.metaKey : event.ctrlKey;
  const other = isMac ? event.ctrlKey : event.metaKey;
  return (
    event.key.toLowerCase() === combo.key &&
    mod === combo.mod &&
    event.altKey === combo.alt &&
    event.shiftKey === combo.shift &&
    !other
  );
}

/** The combination as `aria-keyshortcuts` spells it on this platform. */
export function ariaKeys(keys: string): string {
  const combo = parseKeys(keys);
  const names = [
    combo.mod ? (isMacPlatform() ? 'Meta' : 'Control') : null,
    combo.alt ? 'Alt' : null,
    combo.shift ? 'Shift' : null,
    combo.name.length === 1 ? combo.name.toUpperCase() : combo.name,
  ];
  return names.filter((name) => name !== null).join('+');
}

const SHOWN_KEYS: Readonly<Record<string, string>> = { arrowup: '↑', arrowdown: '↓', arrowleft: '←', arrowright: '→', escape: 'Esc' };

/** The combination as a person reads it on this platform: `Ctrl+K`, `⌘K`, `Alt+↑`. */
export function displayKeys(keys: string): string {
  const combo = parseKeys(keys);
  const isMac = isMacPlatform();
  const key = SHOWN_KEYS[combo.key] ?? (combo.name.length === 1 ? combo.name.toUpperCase() : combo.name);
  const mods = [combo.mod ? (isMac ? '⌘' : 'Ctrl') : null, combo.alt ? (isMac ? '⌥' : 'Alt') : null, combo.shift ? (isMac ? '⇧' : 'Shift') : null];
  const present = mods.filter((m) => m !== null);
  return isMac ? `${present.join('')}${key}` : [...present, key].join('+');
}

function isTextField(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  if (target.isContentEditable) return true;
  if (target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement) return true;
  return target instanceof HTMLInputElement && !['checkbox', 'radio', 'button', 'submit', 'reset', 'range', 'color'].includes(target.type);
}

function worksInTextFields(entry: Entry): boolean {
  if (entry.options.inTextFields !== undefined) return entry.options.inTextFields;
  return entry.combo.mod || entry.combo.alt || entry.combo.key === 'escape';
}

/** Adds a shortcut; returns the function that removes it. */
export function registerShortcut(keys: string, handler: ShortcutHandler, options: ShortcutOptions = {}): () => void {
  const entry: Entry = { combo: parseKeys(keys), keys, handler, options };
  entries.push(entry);
  return () => {
    const index = entries.indexOf(entry);
    if (index >= 0) entries.splice(index, 1);
  };
}

/** Runs the newest matching shortcut that takes the event; true when one did. */
export function dispatchShortcut(event: KeyboardEvent): boolean {
  if (event.defaultPrevented || event.isComposing) return false;
  const inField = isTextField(event.target);
  for (let index = entries.length - 1; index >= 0; index -= 1) {
    const entry = entries[index];
    if (!entry || !matchesKeys(event, entry.combo)) continue;
    if (inField && !worksInTextFields(entry)) continue;
    if (entry.handler(event) === false) continue;
    event.preventDefault();
    event.stopPropagation();
    return true;
  }
  return false;
}

/** The one window listener; `main.tsx` installs it (tests install their own). */
export function installShortcuts(target: Window = window): () => void {
  const listener = (event: KeyboardEvent): void => {
    dispatchShortcut(event);
  };
  target.addEventListener('keydown', listener);
  return () => target.removeEventListener('keydown', listener);
}

/** The shortcuts that have a description, for Help. */
export function listShortcuts(): ReadonlyArray<Readonly<{ keys: string; description: string }>> {
  const seen = new Set<string>();
  const list: Array<{ keys: string; description: string }> = [];
  for (const entry of entries) {
    const description = entry.options.description;
    if (!description || seen.has(entry.keys)) continue;
    seen.add(entry.keys);
    list.push({ keys: entry.keys, description });
  }
  return list;
}

/**
 * Registers `keys` while the component is mounted and `isActive` holds. The latest handler is
 * always called, so it may close over fresh state without re-registering (which would change
 * its place in the Escape order).
 */
export function useShortcut(keys: string, handler: ShortcutHandler, options: ShortcutOptions & { isActive?: boolean } = {}): void {
  const latest = useRef(handler);
  useEffect(() => {
    latest.current = handler;
  });
  const { isActive = true, description, inTextFields } = options;
  useEffect(() => {
    if (!isActive) return undefined;
    return registerShortcut(keys, (event) => latest.current(event), {
      ...(description === undefined ? {} : { description }),
      ...(inTextFields === undefined ? {} : { inTextFields }),
    });
  }, [keys, isActive, description, inTextFields]);
}

/**
 * After a panel closes: focus goes back to the control that opened it, unless the user already
 * put it somewhere else (closing by clicking another control keeps that one focused). Run it
 * when the panel's content is gone, e.g. from an effect's cleanup.
 */
export function restoreFocus(openerId: string): void {
  const active = document.activeElement;
  if (active !== null && active !== document.body) return;
  document.getElementById(openerId)?.focus();
}
