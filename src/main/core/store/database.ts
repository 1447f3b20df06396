import Database from 'better-sqlite3';
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

/**
 * The database was written by a newer version of Nova (its schema is ahead of every migration
 * this version knows): after a downgrade, or an older copy started on a newer one's data. The
 * file is left exactly as it is, because guessing at a newer schema could damage it; the newer
 * version opens it again.
 */
export class SchemaAheadError extends Error {
  readonly code = 'DB_SCHEMA_AHEAD';

  constructor(
    readonly found: number,
    readonly known: number,
  ) {
    super(
      `Your Nova data was saved by a newer version of Nova (database version ${found}; this version knows up to ${known}). ` +
        'Nova did not open it, so nothing in it was changed: install the newer version again to use it.',
    );
    this.name = 'SchemaAheadError';
  }
}

function refuseIfAhead(db: DB, migrations: readonly Migration[]): void {
  const found = schemaVersion(db);
  const known = migrations.at(-1)?.version ?? 0;
  if (found > known) throw new SchemaAheadError(found, known);
}

export function openDatabase(file: string, options: OpenDatabaseOptions = {}): DB {
  const db = new Database(file, options.nativeBinding ? { nativeBinding: options.nativeBinding } : {});
  const migrations = options.migrations ?? MIGRATIONS;
  try {
    // Before any pragma that writes (journal_mode rewrites the header of a rollback-journal
    // file): a newer version's data is refused untouched.
    refuseIfAhead(db, migrations);
    db.pragma('journal_mode = WAL');
    // WAL defaults to NORMAL, which may lose the last commits on power loss; an outbox row
    // acknowledged as saved must survive that.
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    migrate(db, migrations);
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
  refuseIfAhead(db, migrations);
  const from = schemaVersion(db);
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
