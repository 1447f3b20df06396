/**
 * User preferences, stored as one JSON document in the `settings` table. Reading never fails: a
 * damaged or older document reads field by field over the defaults (src/shared/preferences.ts).
 * Writing keeps fields this version does not know, so a newer version's choices survive an
 * older one. Every change is announced as `preferences:changed`.
 */
import {
  applyPreferencesPatch,
  readStoredPreferences,
  type Preferences,
  type PreferencesPatch,
} from '../../../shared/preferences';
import type { CoreEventBus } from '../events';
import type { Logger } from '../logging';
import { getSetting, setSetting, type DB } from '../store/database';

const SETTINGS_KEY = 'preferences';

export type PreferencesService = Readonly<{
  get(): Preferences;
  set(patch: PreferencesPatch): Preferences;
  handlers: Readonly<{
    'preferences:get': () => Promise<Preferences>;
    'preferences:set': (patch: PreferencesPatch) => Promise<Preferences>;
  }>;
}>;

export function createPreferences(o: Readonly<{ db: DB; events: CoreEventBus; log: Logger }>): PreferencesService {
  function readRaw(): Record<string, unknown> {
    const text = getSetting(o.db, SETTINGS_KEY);
    if (text === null) return {};
    try {
      const parsed: unknown = JSON.parse(text);
      return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : {};
    } catch {
      o.log.warn('preferences: stored document is not JSON; using defaults');
      return {};
    }
  }

  let current = (() => {
    const { preferences, invalid } = readStoredPreferences(readRaw());
    if (invalid.length > 0) o.log.warn(`preferences: invalid fields reset to defaults: ${invalid.join(', ')}`);
    return preferences;
  })();

  function set(patch: PreferencesPatch): Preferences {
    const next = applyPreferencesPatch(current, patch);
    const raw = readRaw();
    const stored: Record<string, unknown> = { ...raw };
    for (const [key, value] of Object.entries(next)) {
      const previous = raw[key];
      // Unknown fields inside a section (a newer version's) are kept too.
      stored[key] =
        typeof previous === 'object' && previous !== null && !Array.isArray(previous) && typeof value === 'object' && !Array.isArray(value)
          ? { ...(previous as Record<string, unknown>), ...value }
          : value;
    }
    setSetting(o.db, SETTINGS_KEY, JSON.stringify(stored));
    current = next;
    o.log.info(`preferences: changed ${Object.keys(patch).join(', ') || '(nothing)'}`);
    o.events.emit('preferences:changed', current);
    return current;
  }

  return {
    get: () => current,
    set,
    handlers: {
      'preferences:get': () => Promise.resolve(current),
      'preferences:set': (patch) => Promise.resolve(set(patch)),
    },
  };
}
