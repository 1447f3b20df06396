/**
 * Migration 0007 and the people store on real SQLite: an existing cache gains members and
 * creations with its messages untouched, and a resolved creation moves everything queued under
 * its local id in one step.
 */
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { migrate, schemaVersion, type DB } from '../../../src/main/core/store/database';
import { MIGRATIONS } from '../../../src/main/core/store/migrations';
import { enqueueMessage, listOutbox } from '../../../src/main/core/store/outbox';
import { listConversations, listMessagePage } from '../../../src/main/core/store/messages';
import {
  conversationPeople,
  findDirectWith,
  getCreation,
  insertCreation,
  raiseMemberReadSeq,
  raiseOwnReadSeq,
  resolveCreation,
  saveServerConversation,
} from '../../../src/main/core/people/store';

let db: DB | null = null;
afterEach(() => db?.close());

function open(): DB {
  db = new Database(':memory:');
  return db;
}

describe('migration 0007 (people)', () => {
  it('adds members and creations to a version-6 cache, keeping its conversations and messages', () => {
    const store = open();
    migrate(store, MIGRATIONS, 6);
    enqueueMessage(store, { ownerId: 'u', conversationId: 'c', key: 'k', text: 'kept', sizeBytes: 4, composedAt: 1 });
    migrate(store, MIGRATIONS, 7);
    expect(schemaVersion(store)).toBe(7);
    expect(listMessagePage(store, 'u', 'c', null, 10).messages.map((m) => m.text)).toEqual(['kept']);
    expect(conversationPeople(store, 'u', 'c')).toEqual({ members: [], memberCount: null, creation: null });
  });
});

describe('people store', () => {
  it('stores members from the server, moves read markers forward only, and finds the direct conversation', () => {
    const store = open();
    migrate(store, MIGRATIONS);
    saveServerConversation(store, 'u', {
      id: 'd1',
      member_count: 2,
      last_message_id: null,
      type: 'direct',
      members: [
        { user_id: 'u', display_name: 'Alice', last_read_seq: 3 },
        { user_id: 'b', display_name: 'Bob', last_read_seq: 2 },
      ],
      last_read_seq: 3,
    });
    expect(findDirectWith(store, 'u', 'b')).toBe('d1');
    expect(findDirectWith(store, 'u', 'nobody')).toBeNull();
    expect(raiseMemberReadSeq(store, 'u', 'd1', 'b', 5)).toBe(true);
    expect(raiseMemberReadSeq(store, 'u', 'd1', 'b', 4)).toBe(false);
    expect(raiseOwnReadSeq(store, 'u', 'd1', 2)).toBe(false);
    expect(raiseOwnReadSeq(store, 'u', 'd1', 7)).toBe(true);
    expect(listConversations(store, 'u').find((c) => c.id === 'd1')?.readSeq).toBe(7);
    expect(conversationPeople(store, 'u', 'd1').members.map((m) => [m.userId, m.lastReadSeq])).toEqual([['u', 3], ['b', 5]]);
  });

  it('a resolved creation moves its queued messages and outbox rows to the server id at once', () => {
    const store = open();
    migrate(store, MIGRATIONS);
    insertCreation(store, 'u', { localId: 'local:1', clientKey: 'key', type: 'group', name: 'G', people: [{ id: 'b', displayName: 'Bob' }], createdAt: 1 });
    expect(conversationPeople(store, 'u', 'local:1')).toMatchObject({ memberCount: 2, creation: 'pending' });
    for (const key of ['m1', 'm2']) {
      enqueueMessage(store, { ownerId: 'u', conversationId: 'local:1', key, text: key, sizeBytes: 2, composedAt: 2 }, true);
    }
    resolveCreation(store, 'u', 'local:1', { id: 'srv', member_count: 2, last_message_id: null, type: 'group', name: 'G' });
    expect(getCreation(store, 'u', 'local:1')).toBeNull();
    expect(listConversations(store, 'u').map((c) => c.id)).toEqual(['srv']);
    expect(listOutbox(store, 'u').map((r) => [r.key, r.conversationId])).toEqual([['m1', 'srv'], ['m2', 'srv']]);
    expect(listMessagePage(store, 'u', 'srv', null, 10).messages.map((m) => m.key)).toEqual(['m1', 'm2']);
    // The server named nobody (legacy Nova): the people picked keep naming it.
    expect(conversationPeople(store, 'u', 'srv').members.map((m) => m.displayName)).toEqual(['Bob']);
  });
});
