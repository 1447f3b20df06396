/**
 * SQLite persistence for the reference server. Plain functions taking `db` first; every
 * multi-statement write runs in one synchronous transaction, which is also what makes
 * per-conversation sequence numbers gap-free: better-sqlite3 serialises the whole
 * read-increment-insert, and `.immediate` takes the write lock up front in case another
 * process shares the file.
 *
 * This file opens the database; the tables' functions live in `db/`, one family a module, and
 * are re-exported here so callers import from one place.
 */
import Database from 'better-sqlite3';
import { migrate } from './db/migrations';
import { foldForSearch } from './db/people';
import type { DB } from './db/statements';

export type { DB };
export { migrate };
export * from './db/users';
export * from './db/people';
export * from './db/auth-state';
export * from './db/conversations';
export * from './db/messages';
export * from './db/send';
export * from './db/changes';

export function openDatabase(file: string): DB {
  const db = new Database(file);
  if (file !== ':memory:') {
    db.pragma('journal_mode = WAL');
    // FULL: an acked message must survive a crash of the server process
    db.pragma('synchronous = FULL');
  }
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  // SQLite folds case for ASCII only: people search "zoe" and expect "Zoë", "ÉLISE" and "élise".
  db.function('nova_fold', { deterministic: true }, (text: unknown) =>
    typeof text === 'string' ? foldForSearch(text) : null,
  );
  migrate(db);
  return db;
}
