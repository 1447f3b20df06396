import type { Database } from 'better-sqlite3';

export type Migration = Readonly<{
  version: number;
  name: string;
  /** Runs inside a transaction; must stay synchronous (a transaction commits at the first await). */
  up: (db: Database) => void;
}>;
