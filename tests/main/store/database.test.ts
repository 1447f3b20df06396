import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { getSetting, migrate, openDatabase, schemaVersion, setSetting, type DB } from '../../../src/main/core/store/database';
import { MIGRATIONS } from '../../../src/main/core/store/migrations';
import { makeTempDir } from '../../support/core';

describe('database', () => {
  let db: DB | null = null;
  afterEach(() => db?.close());

  it('opens in WAL with synchronous FULL and migrates to the latest version', () => {
    db = openDatabase(path.join(makeTempDir(), 'nova.db'));
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('synchronous', { simple: true })).toBe(2);
    expect(schemaVersion(db)).toBe(MIGRATIONS.at(-1)?.version);
  });

  it('loads the native module through an explicit nativeBinding path', () => {
    const binding = path.join(__dirname, '../../../node_modules/better-sqlite3/build/Release/better_sqlite3.node');
    db = openDatabase(':memory:', { nativeBinding: binding });
    expect(db.prepare('SELECT 1 AS one').get()).toEqual({ one: 1 });
  });

  it('migration 0001 creates the settings table', () => {
    db = new Database(':memory:');
    migrate(db, MIGRATIONS, 1);
    expect(schemaVersion(db)).toBe(1);
    setSetting(db, 'device_id', 'd1');
    setSetting(db, 'device_id', 'd2');
    expect(getSetting(db, 'device_id')).toBe('d2');
    expect(getSetting(db, 'missing')).toBeNull();
  });

  it('refuses a database from a newer app instead of corrupting it', () => {
    db = new Database(':memory:');
    db.pragma('user_version = 999');
    expect(() => migrate(db as DB)).toThrow(/saved by a newer version of Nova \(database version 999/);
  });
});
