import fs from 'node:fs';
import { openDatabase, type DB, type OpenDatabaseOptions } from './database';
import { isCorrupt } from './sqlite-errors';

export type OpenedStore = Readonly<{
  db: DB;
  /** Set when the file was damaged: where it was moved, for support. */
  movedAsideTo: string | null;
}>;

/** Reads every page header and index cheaply enough for start-up; a damaged file fails here, not mid-send. */
function verify(db: DB): void {
  const result = db.pragma('quick_check(1)', { simple: true });
  if (result !== 'ok') {
    throw Object.assign(new Error(`quick_check: ${String(result)}`), { code: 'SQLITE_CORRUPT' });
  }
}

function moveAside(file: string, now: number): string {
  const target = `${file}.corrupt-${now}`;
  fs.renameSync(file, target);
  for (const suffix of ['-wal', '-shm']) {
    // The WAL belongs to the damaged file: replayed into a fresh one it would corrupt that too.
    if (fs.existsSync(file + suffix)) fs.renameSync(file + suffix, target + suffix);
  }
  return target;
}

/**
 * Opens the database; a damaged one is moved aside (kept for support) and a fresh one created.
 * A second failure is thrown: the caller reports it rather than looping.
 */
export function openStore(file: string, options: OpenDatabaseOptions & Readonly<{ now?: () => number }> = {}): OpenedStore {
  let db: DB | null = null;
  try {
    db = openDatabase(file, options);
    verify(db);
    return { db, movedAsideTo: null };
  } catch (error) {
    db?.close();
    if (!isCorrupt(error) || file === ':memory:') throw error;
    const movedAsideTo = moveAside(file, (options.now ?? Date.now)());
    return { db: openDatabase(file, options), movedAsideTo };
  }
}
