/**
 * Light or dark: the user's choice in preferences (`theme`), where `system` follows the OS's
 * prefers-color-scheme, live. The result is `data-theme` on <html>; styles.css maps it to
 * color-scheme, which picks every colour's light or dark value.
 */
import type { ThemePreference } from '../../shared/preferences';
import { useAppStore } from './store';

export type Theme = 'light' | 'dark';

const DARK_QUERY = '(prefers-color-scheme: dark)';

export function resolveTheme(preference: ThemePreference, isSystemDark: boolean): Theme {
  if (preference === 'system') return isSystemDark ? 'dark' : 'light';
  return preference;
}

/**
 * Keeps <html data-theme> in step with the preference and the OS. Before main answered with the
 * preferences, the OS decides. Returns the function that stops it.
 */
export function installTheme(target: Window = window): () => void {
  const root = target.document.documentElement;
  const media = typeof target.matchMedia === 'function' ? target.matchMedia(DARK_QUERY) : null;
  const apply = (): void => {
    const preference = useAppStore.getState().preferences?.theme ?? 'system';
    const theme = resolveTheme(preference, media?.matches === true);
    root.dataset['theme'] = theme;
    root.dataset['themeSource'] = preference;
  };
  apply();
  media?.addEventListener('change', apply);
  const stopWatching = useAppStore.subscribe((state, previous) => {
    if (state.preferences?.theme !== previous.preferences?.theme) apply();
  });
  return () => {
    media?.removeEventListener('change', apply);
    stopWatching();
  };
}
