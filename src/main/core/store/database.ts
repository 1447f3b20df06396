import Database from 'better-sqlite3';
import { BugError } from '../../../shared/errors';
import { MIGRATIONS, type Migration } from './migrations';

export type DB = Database.Database;

export type OpenDatabaseOptions = Readonly<{
  /**
   * Path to a better_sqlite3.node built for the running runtime. The Electron shell passes its
   * Electron-ABI build here, so the copy in node_modules stays built for Node (see decisions.md).
   */
  nativeBinding?: string;
  migrations?: readonly Migration[];
}>;

export function openDatabase(file: string, options: OpenDatabaseOptions = {}): DB {
  const db = new Database(file, options.nativeBinding ? { nativeBinding: options.nativeBinding } : {});
  try {
    db.pragma('journal_mode = WAL');
    // WAL defaults to NORMAL, which may lose the last commits on power loss; an outbox row
    // acknowledged as saved must survive that.
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    migrate(db, options.migrations ?? MIGRATIONS);
  } catch (error) {
    db.close();
    throw error;
  }
  return db;
}

export function schemaVersion(db: DB): number {
  return db.pragma('user_version', { simple: true }) as number;
}

export function migrate(db: DB, migrations: readonly Migration[] = MIGRATIONS, target = Infinity): void {
  const from = schemaVersion(db);
  const latest = migrations.at(-1)?.version ?? 0;
  if (from > latest) {
    throw new BugError(`database schema ${from} is newer than this app knows (${latest})`);
  }
  for (const migration of migrations) {
    if (migration.version <= from || migration.version > target) continue;
    db.transaction(() => {
      migration.up(db);
      db.pragma(`user_version = ${migration.version}`);
    })();
  }
}

export function getSetting(db: DB, key: string): string | null {
  const row = db.prepare('SELECT value FROM settings WHERE key = ?').get(key) as { value: string } | undefined;
  return row?.value ?? null;
}

export function setSetting(db: DB, key: string, value: string): void {
  db.prepare(
    'INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value',
  ).run(key, value);
}
