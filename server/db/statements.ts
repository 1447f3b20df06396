/** The prepared-statement cache every table module shares. */
import type { Database as DB, Statement } from 'better-sqlite3';

export type { DB };

// Statements are cached per connection; restart() reopens the file and gets a fresh cache.
const statementCache = new WeakMap<DB, Map<string, Statement>>();
export function stmt(db: DB, sql: string): Statement {
  let cache = statementCache.get(db);
  if (!cache) {
    cache = new Map();
    statementCache.set(db, cache);
  }
  let s = cache.get(sql);
  if (!s) {
    s = db.prepare(sql);
    cache.set(sql, s);
  }
  return s;
}
