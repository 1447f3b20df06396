import { randomUUID } from 'node:crypto';
import { AppError, ERROR_INFO, type AppErrorData } from '../../shared/errors';
import type { Logger } from './logging';

/** Short enough to read aloud to support, unique enough to find one line in a log. */
export function newErrorId(): string {
  return `E-${randomUUID().slice(0, 8).toUpperCase()}`;
}

/**
 * Turns anything thrown into data for the renderer, and logs it with the same id the user sees.
 * Unexpected errors become INTERNAL: their text may hold paths or secrets, so it is logged, not shown.
 */
export function toErrorData(error: unknown, log: Logger, context: string): AppErrorData {
  const id = newErrorId();
  if (error instanceof AppError) {
    log.warn(`${context}: ${error.code} [${id}] ${error.message}`);
    return {
      code: error.code,
      message: error.message,
      id,
      ...(error.retryAfterMs !== undefined ? { retryAfterMs: error.retryAfterMs } : {}),
    };
  }
  log.error(`${context}: INTERNAL [${id}]`, error);
  return { code: 'INTERNAL', message: ERROR_INFO.INTERNAL.message, id };
}
