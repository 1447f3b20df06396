import type { Statement } from 'better-sqlite3';
import type { DB } from './database';

const caches = new WeakMap<DB, Map<string, Statement>>();

/** Prepared once per database: the hot paths (enqueue, ack) run thousands of times a second. */
export function stmt(db: DB, sql: string): Statement {
  let cache = caches.get(db);
  if (!cache) {
    cache = new Map();
    caches.set(db, cache);
  }
  let statement = cache.get(sql);
  if (!statement) {
    statement = db.prepare(sql);
    cache.set(sql, statement);
  }
  return statement;
}
