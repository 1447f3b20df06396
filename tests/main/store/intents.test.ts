import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { migrate, schemaVersion, type DB } from '../../../src/main/core/store/database';
import { dropIntent, getIntent, listIntents, releaseIntent, saveIntent } from '../../../src/main/core/store/intents';
import { MIGRATIONS } from '../../../src/main/core/store/migrations';
import { conversationsWithDeliverable, countWaiting, enqueueMessage, getOutboxItem, loadLane, outboxDepth } from '../../../src/main/core/store/outbox';

let db: DB | null = null;
afterEach(() => db?.close());

/** A cache as 0009 left it: one row that may be on the server (confirming) and one plain saved. */
function existingCache(): DB {
  const store = new Database(':memory:');
  migrate(store, MIGRATIONS, 9);
  enqueueMessage(store, { ownerId: 'u', conversationId: 'c', key: 'maybe', text: 'old text', sizeBytes: 8, composedAt: 1 });
  enqueueMessage(store, { ownerId: 'u', conversationId: 'c', key: 'next', text: 'next', sizeBytes: 4, composedAt: 2 });
  store.prepare("UPDATE outbox SET state = 'confirming' WHERE key = 'maybe'").run();
  return store;
}

const base = { ownerId: 'u', key: 'maybe', conversationId: 'c', currentText: 'old text', currentState: 'confirming' as const };

describe('message intents (migration 0010) on an existing cache', () => {
  it('adds the table, keeps every row; a saved intent parks the row where no lane loads it', () => {
    db = existingCache();
    migrate(db, MIGRATIONS, 10);
    expect(schemaVersion(db)).toBe(10);
    expect(getOutboxItem(db, 'maybe')).toMatchObject({ state: 'confirming', text: 'old text' });
    expect(listIntents(db, 'u')).toEqual([]);

    expect(saveIntent(db, { ...base, kind: 'edit', text: 'new text', at: 10 })).toBe(true);
    expect(getOutboxItem(db, 'maybe')).toMatchObject({ state: 'edit_pending', text: 'new text', sizeBytes: 8 });
    expect(loadLane(db, 'u', 'c', 0, 10).map((r) => r.key)).toEqual(['next']);
    // Still waiting (the quit guard and banner count it), but nothing to deliver by itself.
    expect(countWaiting(db, 'u')).toBe(2);
    expect(outboxDepth(db).byState).toMatchObject({ saved: 1, edit_pending: 1, confirming: 0 });

    // A cancel replaces the edit; what came before the first intent is kept for an undo.
    expect(saveIntent(db, { ...base, currentText: 'new text', currentState: 'edit_pending', kind: 'cancel', text: null, at: 11 })).toBe(true);
    expect(getIntent(db, 'u', 'maybe')).toMatchObject({ kind: 'cancel', text: null, previousText: 'old text', previousState: 'confirming', createdAt: 10 });
    expect(getOutboxItem(db, 'maybe')).toMatchObject({ state: 'cancel_pending', text: 'old text' });

    // Undone: as it was before any intent, and loaded by the lane again.
    expect(releaseIntent(db, 'u', 'maybe', 'old text')).toBe(true);
    expect(getOutboxItem(db, 'maybe')).toMatchObject({ state: 'confirming', text: 'old text' });
    expect(listIntents(db, 'u')).toEqual([]);
    expect(releaseIntent(db, 'u', 'maybe', 'old text')).toBe(false);
    expect(loadLane(db, 'u', 'c', 0, 10).map((r) => r.key)).toEqual(['maybe', 'next']);
  });

  it('an intent for a row that left the outbox is not saved; one ended by its settlement goes without a trace', () => {
    db = existingCache();
    migrate(db, MIGRATIONS, 10);
    db.prepare("DELETE FROM outbox WHERE key = 'maybe'").run();
    expect(saveIntent(db, { ...base, kind: 'cancel', text: null, at: 10 })).toBe(false);
    expect(listIntents(db, 'u')).toEqual([]);
    expect(saveIntent(db, { ...base, key: 'next', currentText: 'next', currentState: 'saved', kind: 'cancel', text: null, at: 12 })).toBe(true);
    expect(conversationsWithDeliverable(db, 'u')).toEqual([]);
    dropIntent(db, 'u', 'next');
    expect(listIntents(db, 'u')).toEqual([]);
  });
});
