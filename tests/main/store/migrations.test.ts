import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { migrate, schemaVersion, type DB } from '../../../src/main/core/store/database';
import { MIGRATIONS } from '../../../src/main/core/store/migrations';
import {
  advanceContiguous,
  getConversation,
  listMessagePage,
  upsertIncoming,
  PENDING_SORT_SEQ,
} from '../../../src/main/core/store/messages';
import {
  completeDelivery,
  countWaiting,
  enqueueMessage,
  getAckedClientSeq,
  listOutbox,
  setAckedClientSeq,
  summarizeOutbox,
} from '../../../src/main/core/store/outbox';

let db: DB | null = null;
afterEach(() => db?.close());

function tables(database: DB): string[] {
  return (database.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").pluck().all() as string[]);
}

describe('migrations', () => {
  it('0002 adds conversations and messages with their keyset index, keeping settings', () => {
    db = new Database(':memory:');
    migrate(db, MIGRATIONS, 1);
    db.prepare("INSERT INTO settings (key, value) VALUES ('device_id', 'd1')").run();
    migrate(db, MIGRATIONS, 2);
    expect(schemaVersion(db)).toBe(2);
    expect(tables(db)).toEqual(['conversations', 'messages', 'settings', 'sqlite_sequence']);
    expect(db.prepare('SELECT value FROM settings').pluck().get()).toBe('d1');
    const plan = db
      .prepare("EXPLAIN QUERY PLAN SELECT id FROM messages WHERE owner_id = 'u' AND conversation_id = 'c' AND (sort_seq, id) < (5, 9) ORDER BY sort_seq DESC, id DESC LIMIT 10")
      .all() as { detail: string }[];
    expect(plan.map((row) => row.detail).join(' ')).toMatch(/USING (COVERING )?INDEX messages_page/);
    expect(plan.map((row) => row.detail).join(' ')).not.toMatch(/TEMP B-TREE/);
    // one row per server id per user
    db.prepare("INSERT INTO messages (owner_id, conversation_id, key, server_id, seq, sort_seq, sender_id, text, composed_at) VALUES ('u','c','k1','s1',1,1,'u','a',0)").run();
    expect(() =>
      db?.prepare("INSERT INTO messages (owner_id, conversation_id, key, server_id, seq, sort_seq, sender_id, text, composed_at) VALUES ('u','c','k2','s1',1,1,'u','a',0)").run(),
    ).toThrow(/UNIQUE/);
  });

  it('0003 adds the outbox and client_seq counters; a message and its outbox row are written together', () => {
    db = new Database(':memory:');
    migrate(db, MIGRATIONS, 2);
    migrate(db, MIGRATIONS, 3);
    expect(schemaVersion(db)).toBe(3);
    expect(tables(db)).toEqual(['client_seqs', 'conversations', 'messages', 'outbox', 'settings', 'sqlite_sequence']);
    enqueueMessage(db, { ownerId: 'u', conversationId: 'c', key: 'k1', text: 'hello', sizeBytes: 5, composedAt: 10 });
    expect(() =>
      enqueueMessage(db as DB, { ownerId: 'u', conversationId: 'c', key: 'k1', text: 'again', sizeBytes: 5, composedAt: 11 }),
    ).toThrow(/UNIQUE/);
    // the failed second enqueue left nothing half-written
    expect(db.prepare('SELECT COUNT(*) FROM messages').pluck().get()).toBe(1);
    expect(listOutbox(db, 'u').map((r) => [r.key, r.state, r.text])).toEqual([['k1', 'saved', 'hello']]);
    // compose order never goes backwards, even after the newest row left the outbox
    enqueueMessage(db, { ownerId: 'u', conversationId: 'c', key: 'k2', text: 'b', sizeBytes: 1, composedAt: 12 });
    const secondId = listOutbox(db, 'u')[1]?.id ?? 0;
    db.prepare("DELETE FROM outbox WHERE key = 'k2'").run();
    enqueueMessage(db, { ownerId: 'u', conversationId: 'c', key: 'k3', text: 'c', sizeBytes: 1, composedAt: 13 });
    expect(listOutbox(db, 'u')[1]?.id).toBeGreaterThan(secondId);
    setAckedClientSeq(db, 'u', 'c', 4);
    setAckedClientSeq(db, 'u', 'c', 2);
    expect(getAckedClientSeq(db, 'u', 'c')).toBe(4);
  });
});

describe('store', () => {
  it('an ack, a live frame and a sync page for one message end in one row, whatever the order', () => {
    db = new Database(':memory:');
    migrate(db);
    enqueueMessage(db, { ownerId: 'u', conversationId: 'c', key: 'k1', text: 'mine', sizeBytes: 4, composedAt: 1 });
    const incoming = { conversationId: 'c', serverId: 's1', senderId: 'u', seq: 1, text: 'mine', createdAt: 5, idempotencyKey: 'k1' };
    expect(upsertIncoming(db, 'u', incoming, 0)).toEqual({ changedKey: 'k1', delivered: true, outcome: 'matched' });
    expect(upsertIncoming(db, 'u', incoming, 0)).toEqual({ changedKey: null, delivered: false, outcome: 'duplicate' });
    completeDelivery(db, 'u', 'k1', 's1', 1);
    const page = listMessagePage(db, 'u', 'c', null, 10);
    expect(page.messages.map((m) => [m.key, m.serverId, m.seq, m.outboxState])).toEqual([['k1', 's1', 1, null]]);
  });

  it('legacy echoes without the key are folded into the own row when the ack names the same server id', () => {
    db = new Database(':memory:');
    migrate(db);
    enqueueMessage(db, { ownerId: 'u', conversationId: 'c', key: 'k1', text: 'mine', sizeBytes: 4, composedAt: 1 });
    upsertIncoming(db, 'u', { conversationId: 'c', serverId: 's9', senderId: 'u', seq: 9, text: null, createdAt: null, idempotencyKey: null }, 0);
    expect(db.prepare('SELECT COUNT(*) FROM messages').pluck().get()).toBe(2);
    completeDelivery(db, 'u', 'k1', 's9', 9);
    const page = listMessagePage(db, 'u', 'c', null, 10);
    expect(page.messages.map((m) => [m.key, m.text, m.seq])).toEqual([['k1', 'mine', 9]]);
  });

  it('pending messages sort after numbered ones; the contiguous cursor stops at a hole', () => {
    db = new Database(':memory:');
    migrate(db);
    enqueueMessage(db, { ownerId: 'u', conversationId: 'c', key: 'k1', text: 'pending', sizeBytes: 7, composedAt: 1 });
    for (const seq of [1, 2, 4]) {
      upsertIncoming(db, 'u', { conversationId: 'c', serverId: `s${seq}`, senderId: 'b', seq, text: `t${seq}`, createdAt: 1, idempotencyKey: null }, 0);
    }
    expect(advanceContiguous(db, 'u', 'c')).toBe(2);
    expect(getConversation(db, 'u', 'c')?.contiguousSeq).toBe(2);
    const page = listMessagePage(db, 'u', 'c', null, 10);
    expect(page.messages.map((m) => m.sortSeq)).toEqual([1, 2, 4, PENDING_SORT_SEQ]);
  });

  it('summarizes the outbox without text or ids', () => {
    db = new Database(':memory:');
    migrate(db);
    enqueueMessage(db, { ownerId: 'u', conversationId: 'c', key: 'secret-key', text: 'secret text', sizeBytes: 11, composedAt: 1_000 });
    const summary = summarizeOutbox(db, 5_000);
    expect(summary).toMatchObject({ total: 1, byState: { saved: 1 }, oldestComposedAgeMs: 4_000, bytes: 11 });
    expect(JSON.stringify(summary)).not.toMatch(/secret/);
  });

  it('0004 counts waiting messages from indexes only: other owners and failed or expired rows excluded', () => {
    db = new Database(':memory:');
    migrate(db, MIGRATIONS, 3);
    const store = db;
    const add = (owner: string, key: string, state: string): void => {
      enqueueMessage(store, { ownerId: owner, conversationId: 'c', key, text: key, sizeBytes: 1, composedAt: 0 });
      store.prepare('UPDATE outbox SET state = ? WHERE key = ?').run(state, key);
    };
    for (const [owner, key, state] of [
      ['u', 'a', 'saved'], ['u', 'b', 'confirming'], ['u', 'c', 'held'], ['u', 'd', 'failed'], ['u', 'e', 'expired'],
      ['a-before', 'f', 'saved'], ['z-after', 'g', 'held'], ['z-after', 'h', 'failed'],
    ] as const) add(owner, key, state);
    migrate(db, MIGRATIONS, 4);
    expect(schemaVersion(db)).toBe(4);
    expect(countWaiting(db, 'u')).toBe(3);
    expect(countWaiting(db, 'a-before')).toBe(1);
    expect(countWaiting(db, 'z-after')).toBe(1);
    expect(countWaiting(db, 'nobody')).toBe(0);
    expect(countWaiting(db, null)).toBe(5);
    const plan = (db.prepare("EXPLAIN QUERY PLAN SELECT COUNT(*) FROM outbox WHERE owner_id = 'u' AND state IN ('failed', 'expired')").all() as { detail: string }[])
      .map((row) => row.detail)
      .join(' ');
    expect(plan).toMatch(/outbox_stopped/);
  });

  it('0005 indexes only the outbox rows that are not plain saved, and counts by state read from it', () => {
    db = new Database(':memory:');
    migrate(db, MIGRATIONS, 4);
    const store = db;
    for (const [key, state] of [['a', 'saved'], ['b', 'saved'], ['c', 'failed'], ['d', 'held']] as const) {
      enqueueMessage(store, { ownerId: 'u', conversationId: 'c', key, text: key, sizeBytes: 1, composedAt: 0 });
      store.prepare('UPDATE outbox SET state = ? WHERE key = ?').run(state, key);
    }
    migrate(db, MIGRATIONS, 5);
    expect(schemaVersion(db)).toBe(5);
    const counted = db.prepare("SELECT state, COUNT(*) AS n FROM outbox INDEXED BY outbox_unsettled WHERE state <> 'saved' GROUP BY state ORDER BY state").all();
    expect(counted).toEqual([{ state: 'failed', n: 1 }, { state: 'held', n: 1 }]);
  });
});

