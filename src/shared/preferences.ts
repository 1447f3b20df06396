/**
 * User preferences: one schema, one set of defaults, one patch shape. The core stores them and
 * answers `preferences:get` / `preferences:set`; the shell and the renderer read them.
 *
 * To add a preference: add its field to a section schema (or a new section), its default to
 * DEFAULT_PREFERENCES, and (for a new section) one line to PreferencesPatchSchema. Stored
 * documents written before the field existed read as the default; an older app keeps fields it
 * does not know when it writes.
 */
import { z } from 'zod';

const ConversationId = z.string().min(1).max(200);

export const NotificationPreferencesSchema = z
  .object({
    /** OS notifications for incoming messages at all. */
    enabled: z.boolean(),
    /** The message text in the notification; off shows only who wrote. */
    showPreviews: z.boolean(),
    /** Nothing pops up; the unread badge still counts. */
    doNotDisturb: z.boolean(),
    /** Conversations that never notify and do not count in the badge. */
    mutedConversationIds: z.array(ConversationId).max(1000),
  })
  .strict();
export type NotificationPreferences = z.infer<typeof NotificationPreferencesSchema>;

/** `stable` follows released versions; `beta` also takes pre-releases (it reads the `beta` feed). */
export const UPDATE_CHANNELS = ['stable', 'beta'] as const;
export type UpdateChannel = (typeof UPDATE_CHANNELS)[number];

export const UpdatePreferencesSchema = z
  .object({
    channel: z.enum(UPDATE_CHANNELS),
  })
  .strict();
export type UpdatePreferences = z.infer<typeof UpdatePreferencesSchema>;

/** `system` follows the OS (prefers-color-scheme); the others pin one. */
export const THEMES = ['system', 'light', 'dark'] as const;
export type ThemePreference = (typeof THEMES)[number];

export const PreferencesSchema = z
  .object({
    notifications: NotificationPreferencesSchema,
    updates: UpdatePreferencesSchema,
    /** Windows and Linux: closing the window keeps Nova running in the tray. */
    closeToTray: z.boolean(),
    theme: z.enum(THEMES),
  })
  .strict();
export type Preferences = z.infer<typeof PreferencesSchema>;

export const DEFAULT_PREFERENCES: Preferences = {
  notifications: { enabled: true, showPreviews: true, doNotDisturb: false, mutedConversationIds: [] },
  updates: { channel: 'stable' },
  closeToTray: true,
  theme: 'system',
};

/** A change: any subset of fields; sections merge field by field. */
export const PreferencesPatchSchema = z
  .object({
    notifications: NotificationPreferencesSchema.partial().strict().optional(),
    updates: UpdatePreferencesSchema.partial().strict().optional(),
    closeToTray: z.boolean().optional(),
    theme: z.enum(THEMES).optional(),
  })
  .strict();
export type PreferencesPatch = z.infer<typeof PreferencesPatchSchema>;

type Section = Record<string, unknown>;

function isSection(value: unknown): value is Section {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `current` with `patch` applied: sections merge field by field, other fields are replaced. */
export function applyPreferencesPatch(current: Preferences, patch: PreferencesPatch): Preferences {
  const next: Record<string, unknown> = { ...current };
  for (const [key, value] of Object.entries(patch)) {
    if (value === undefined) continue;
    const previous = next[key];
    next[key] = isSection(previous) && isSection(value) ? { ...previous, ...value } : value;
  }
  return PreferencesSchema.parse(next);
}

/**
 * Reads whatever was stored (any version, possibly damaged): every field that is valid is kept,
 * every missing or invalid one takes its default. `invalid` names the fields that were dropped.
 */
export function readStoredPreferences(stored: unknown): { preferences: Preferences; invalid: string[] } {
  const invalid: string[] = [];
  const source = isSection(stored) ? stored : {};
  const result: Record<string, unknown> = {};
  for (const [key, schema] of Object.entries(PreferencesSchema.shape) as [string, z.ZodType][]) {
    const fallback = (DEFAULT_PREFERENCES as Record<string, unknown>)[key];
    const value = source[key];
    if (value === undefined) {
      result[key] = fallback;
    } else if (schema instanceof z.ZodObject && isSection(fallback)) {
      const merged: Section = {};
      const storedSection = isSection(value) ? value : {};
      if (!isSection(value)) invalid.push(key);
      for (const [field, fieldSchema] of Object.entries(schema.shape as Record<string, z.ZodType>)) {
        const fieldValue = storedSection[field];
        if (fieldValue === undefined) merged[field] = fallback[field];
        else if (fieldSchema.safeParse(fieldValue).success) merged[field] = fieldValue;
        else {
          merged[field] = fallback[field];
          invalid.push(`${key}.${field}`);
        }
      }
      result[key] = merged;
    } else if (schema.safeParse(value).success) {
      result[key] = value;
    } else {
      result[key] = fallback;
      invalid.push(key);
    }
  }
  return { preferences: PreferencesSchema.parse(result), invalid };
}
