import { AppError } from '../../../shared/errors';

/** The part of better-sqlite3's SqliteError we rely on. */
function sqliteCode(error: unknown): string | null {
  if (typeof error !== 'object' || error === null) return null;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && code.startsWith('SQLITE_') ? code : null;
}

export function isStorageFull(error: unknown): boolean {
  const code = sqliteCode(error);
  return code === 'SQLITE_FULL' || code === 'SQLITE_IOERR_WRITE' || code === 'SQLITE_IOERR_FSYNC';
}

export function isCorrupt(error: unknown): boolean {
  const code = sqliteCode(error);
  return code !== null && (code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB');
}

/**
 * Classifies a failed write at the repository edge: a full disk and a damaged file are
 * conditions the user can act on, everything else is a bug and stays as it is.
 */
export function toStorageError(error: unknown): unknown {
  if (isStorageFull(error)) return new AppError('STORAGE_FULL');
  if (isCorrupt(error)) return new AppError('DB_CORRUPT');
  return error;
}
