import { afterEach, describe, expect, it } from 'vitest';
import { invokeChannels } from '../../src/shared/contract';
import {
  DEFAULT_PREFERENCES,
  applyPreferencesPatch,
  readStoredPreferences,
} from '../../src/shared/preferences';
import { openDatabase, getSetting, setSetting } from '../../src/main/core/store/database';
import { makeTempDir, makeTestCore } from '../support/core';
import path from 'node:path';
import fs from 'node:fs';

describe('preferences schema', () => {
  it('starts on the stable update channel, and a patch moves it alone', () => {
    expect(DEFAULT_PREFERENCES.updates).toEqual({ channel: 'stable' });
    const beta = applyPreferencesPatch(DEFAULT_PREFERENCES, { updates: { channel: 'beta' } });
    expect(beta).toEqual({ ...DEFAULT_PREFERENCES, updates: { channel: 'beta' } });
  });

  it('merges a patch section by section', () => {
    const next = applyPreferencesPatch(DEFAULT_PREFERENCES, { notifications: { doNotDisturb: true } });
    expect(next).toEqual({ ...DEFAULT_PREFERENCES, notifications: { ...DEFAULT_PREFERENCES.notifications, doNotDisturb: true } });
    expect(applyPreferencesPatch(next, { closeToTray: false }).notifications.doNotDisturb).toBe(true);
  });

  it('reads any stored document: valid fields kept, missing and invalid ones defaulted and named', () => {
    expect(readStoredPreferences(undefined)).toEqual({ preferences: DEFAULT_PREFERENCES, invalid: [] });
    const { preferences, invalid } = readStoredPreferences({
      notifications: { showPreviews: false, mutedConversationIds: 'team', futureField: 1 },
      closeToTray: 'yes',
      theme: 'dark',
      fontScale: 1.2,
    });
    expect(preferences).toEqual({
      notifications: { ...DEFAULT_PREFERENCES.notifications, showPreviews: false },
      updates: { channel: 'stable' },
      closeToTray: true,
      theme: 'dark',
    });
    expect(invalid).toEqual(['notifications.mutedConversationIds', 'closeToTray']);
    expect(readStoredPreferences({ theme: 'sepia' })).toEqual({ preferences: DEFAULT_PREFERENCES, invalid: ['theme'] });
    expect(readStoredPreferences({ updates: { channel: 'nightly' } })).toEqual({ preferences: DEFAULT_PREFERENCES, invalid: ['updates.channel'] });
    expect(readStoredPreferences({ notifications: [] }).invalid).toEqual(['notifications']);
  });

  it('accepts only known fields of the right type over IPC', () => {
    const schema = invokeChannels['preferences:set'].req;
    expect(schema.safeParse({ notifications: { enabled: false } }).success).toBe(true);
    expect(schema.safeParse({}).success).toBe(true);
    expect(schema.safeParse({ notifications: { enabled: 'no' } }).success).toBe(false);
    expect(schema.safeParse({ notifications: { sound: true } }).success).toBe(false);
    expect(schema.safeParse({ fontScale: 1.2 }).success).toBe(false);
    expect(schema.safeParse({ theme: 'dark' }).success).toBe(true);
    expect(schema.safeParse({ theme: 'sepia' }).success).toBe(false);
    expect(schema.safeParse({ notifications: { mutedConversationIds: [''] } }).success).toBe(false);
    expect(schema.safeParse({ updates: { channel: 'beta' } }).success).toBe(true);
    expect(schema.safeParse({ updates: { channel: 'nightly' } }).success).toBe(false);
  });
});

describe('preferences in the core', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0)) await cleanup();
  });

  it('stores preferences in settings, announces changes, and keeps them across restarts', async () => {
    const dataDir = makeTempDir();
    const first = makeTestCore({ dataDir });
    const changes: unknown[] = [];
    first.core.events.on('preferences:changed', (p) => changes.push(p));
    expect(await first.core.handlers['preferences:get']({})).toEqual(DEFAULT_PREFERENCES);
    const saved = await first.core.handlers['preferences:set']({ notifications: { mutedConversationIds: ['c-1'] }, closeToTray: false });
    expect(saved.notifications.mutedConversationIds).toEqual(['c-1']);
    expect(changes).toEqual([saved]);
    await first.core.stop();

    const second = makeTestCore({ dataDir });
    cleanups.push(second.cleanup);
    expect(second.core.preferences.get()).toEqual(saved);
  });

  it('survives a damaged document and keeps fields a newer version wrote', async () => {
    const dataDir = makeTempDir();
    fs.mkdirSync(dataDir, { recursive: true });
    const db = openDatabase(path.join(dataDir, 'nova.db'));
    setSetting(db, 'preferences', JSON.stringify({ closeToTray: 7, fontScale: 1.2, notifications: { enabled: false, sound: 'ding' } }));
    db.close();
    const { core, cleanup } = makeTestCore({ dataDir });
    cleanups.push(cleanup);
    expect(core.preferences.get()).toEqual({ ...DEFAULT_PREFERENCES, notifications: { ...DEFAULT_PREFERENCES.notifications, enabled: false } });
    // The damaged field alone fell back to its default; its damaged value is not kept.
    expect(core.preferences.get().closeToTray).toBe(DEFAULT_PREFERENCES.closeToTray);
    core.preferences.set({ notifications: { showPreviews: false } });
    await core.stop();
    const reopened = openDatabase(path.join(dataDir, 'nova.db'));
    expect(JSON.parse(getSetting(reopened, 'preferences') ?? '{}')).toEqual({
      closeToTray: true,
      theme: 'system',
      fontScale: 1.2,
      notifications: { enabled: false, showPreviews: false, doNotDisturb: false, mutedConversationIds: [], sound: 'ding' },
      updates: { channel: 'stable' },
    });
    reopened.close();
  });

  it('tracks the conversation the window shows', async () => {
    const { core, cleanup } = makeTestCore();
    cleanups.push(cleanup);
    const seen: (string | null)[] = [];
    core.view.on((id) => seen.push(id));
    await core.handlers['conversations:view']({ conversationId: 'c-1' });
    await core.handlers['conversations:view']({ conversationId: 'c-1' });
    await core.handlers['conversations:view']({ conversationId: null });
    expect(seen).toEqual(['c-1', null]);
    expect(core.view.current()).toBeNull();
  });
});
