import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase, type DB } from '../../../src/main/core/store/database';
import { WriteQueue } from '../../../src/main/core/store/write-queue';

let db: DB | null = null;
afterEach(() => {
  db?.close();
  db = null;
});

describe('batched writes', () => {
  it('a failing write loses only itself: the rest of the batch commits, and only committed writes react', () => {
    db = openDatabase(':memory:');
    const store = db;
    store.exec('CREATE TABLE t (id INTEGER PRIMARY KEY)');
    const errors: unknown[] = [];
    const reactions: string[] = [];
    const writes = new WriteQueue(store, (error) => errors.push(error));
    const insert = (id: number): void => {
      writes.push(() => {
        store.prepare('INSERT INTO t (id) VALUES (?)').run(id);
        writes.afterCommit(() => reactions.push(`inserted ${id}`));
      });
    };
    insert(1);
    insert(2);
    insert(1); // a primary-key clash: this write, and only this one, fails
    insert(3);
    writes.afterCommit(() => reactions.push('batch done'));
    writes.flush();
    expect(store.prepare('SELECT id FROM t ORDER BY id').pluck().all()).toEqual([1, 2, 3]);
    expect(errors).toHaveLength(1);
    expect(reactions).toEqual(['inserted 1', 'inserted 2', 'inserted 3', 'batch done']);
    expect(store.pragma('synchronous', { simple: true })).toBe(2);
  });
});
