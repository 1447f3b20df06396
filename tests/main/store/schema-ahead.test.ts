/**
 * An older Nova started on data a newer Nova saved (after a downgrade, or an old copy run by
 * hand): it refuses clearly and leaves every byte of the file as it was, so the newer version
 * opens it again with nothing lost.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { createCore } from '../../../src/main/core';
import { createMemoryLogger } from '../../../src/main/core/logging';
import { openDatabase, SchemaAheadError, schemaVersion } from '../../../src/main/core/store/database';
import { MIGRATIONS, type Migration } from '../../../src/main/core/store/migrations';
import { openStore } from '../../../src/main/core/store/open';
import { enqueueMessage, listOutbox } from '../../../src/main/core/store/outbox';
import { makeTempDir } from '../../support/core';

const KNOWN = MIGRATIONS.at(-1)?.version ?? 0;

/** What a later version might add: a table this version has never heard of. */
const NEWER: Migration = {
  version: KNOWN + 1,
  name: 'from-the-future',
  up: (db) => {
    db.exec('CREATE TABLE reactions (message_key TEXT NOT NULL, emoji TEXT NOT NULL)');
    db.prepare("INSERT INTO reactions VALUES ('k1', 'thumbs-up')").run();
  },
};
const NEWER_MIGRATIONS = [...MIGRATIONS, NEWER];

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

function dataDir(): string {
  const dir = makeTempDir('nova-schema-ahead-');
  dirs.push(dir);
  return dir;
}

/** Every file in the folder with the SHA-256 of its bytes. */
function fingerprint(dir: string): Record<string, string> {
  return Object.fromEntries(
    fs
      .readdirSync(dir)
      .filter((name) => fs.statSync(path.join(dir, name)).isFile())
      .map((name) => [name, crypto.createHash('sha256').update(fs.readFileSync(path.join(dir, name))).digest('hex')]),
  );
}

/** The newer version saves a message in its outbox and a row in its own table, then quits cleanly. */
function writtenByNewerVersion(dir: string): string {
  const file = path.join(dir, 'nova.db');
  const db = openDatabase(file, { migrations: NEWER_MIGRATIONS });
  enqueueMessage(db, { ownerId: 'u1', conversationId: 'c1', key: 'k1', text: 'waiting to be sent', sizeBytes: 18, composedAt: 1 });
  db.close();
  return file;
}

describe('a database saved by a newer version', () => {
  it('is refused before anything is written, naming both versions', () => {
    const dir = dataDir();
    const file = writtenByNewerVersion(dir);
    const before = fingerprint(dir);

    let refusal: unknown = null;
    try {
      openStore(file);
    } catch (error) {
      refusal = error;
    }
    expect(refusal).toBeInstanceOf(SchemaAheadError);
    expect(refusal).toMatchObject({ code: 'DB_SCHEMA_AHEAD', found: KNOWN + 1, known: KNOWN });
    expect((refusal as Error).message).toBe(
      `Your Nova data was saved by a newer version of Nova (database version ${KNOWN + 1}; this version knows up to ${KNOWN}). ` +
        'Nova did not open it, so nothing in it was changed: install the newer version again to use it.',
    );
    // Not taken for damage: nothing moved aside, no fresh database, not a byte changed.
    expect(fingerprint(dir)).toEqual(before);
  });

  it('keeps a rollback-journal file byte for byte (the refusal comes before journal_mode = WAL)', () => {
    const dir = dataDir();
    const file = path.join(dir, 'nova.db');
    const raw = new Database(file);
    raw.exec('CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL)');
    raw.pragma(`user_version = ${KNOWN + 3}`);
    raw.close();
    const before = fingerprint(dir);
    expect(() => openStore(file)).toThrow(SchemaAheadError);
    expect(fingerprint(dir)).toEqual(before);
  });

  it('stops createCore with the same message, and the newer version then finds everything', () => {
    const dir = dataDir();
    const file = writtenByNewerVersion(dir);
    const before = fingerprint(dir);
    expect(() => createCore({ dataDir: dir, serverUrl: 'http://127.0.0.1:9', logger: createMemoryLogger(), metricsPort: 'off' })).toThrow(
      /saved by a newer version of Nova \(database version \d+; this version knows up to \d+\)/,
    );
    expect(fingerprint(dir)).toEqual(before);

    const db = openDatabase(file, { migrations: NEWER_MIGRATIONS });
    try {
      expect(schemaVersion(db)).toBe(KNOWN + 1);
      expect(db.prepare('SELECT emoji FROM reactions').pluck().all()).toEqual(['thumbs-up']);
      expect(listOutbox(db, 'u1').map((row) => row.text)).toEqual(['waiting to be sent']);
    } finally {
      db.close();
    }
  });
});
