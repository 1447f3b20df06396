/**
 * What went wrong with a check or a download, from what electron-updater throws: its error codes
 * (`ERR_UPDATER_…`, `ERR_CHECKSUM_MISMATCH`), builder-util-runtime's HttpError, Chromium's
 * `net::ERR_…` messages (Electron's net module) or Node's error codes. Each failure becomes a
 * closed result (a metric label) and one short sentence for Help and the log: the raw messages
 * carry whole response bodies and headers.
 */
import type { UpdateCheckResult, UpdateDownloadResult } from '../../shared/updates';

type ErrorLike = Readonly<{ code?: unknown; statusCode?: unknown; message?: unknown }>;

const MALFORMED_CODES = new Set([
  'ERR_UPDATER_INVALID_UPDATE_INFO',
  'ERR_UPDATER_INVALID_VERSION',
  'ERR_UPDATER_NO_FILES_PROVIDED',
  'ERR_UPDATER_NO_CHECKSUM',
]);
const NODE_NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE']);

function fields(error: unknown): { code: string; status: number | null; message: string } {
  const like = (typeof error === 'object' && error !== null ? error : {}) as ErrorLike;
  const message = typeof like.message === 'string' ? like.message : String(error);
  const code = typeof like.code === 'string' ? like.code : '';
  let status = typeof like.statusCode === 'number' ? like.statusCode : null;
  // A 404 on the feed arrives wrapped (ERR_UPDATER_CHANNEL_FILE_NOT_FOUND) with the HttpError in its text.
  status ??= Number(/HttpError: (\d{3})\b/.exec(message)?.[1] ?? /^(\d{3}) /.exec(message)?.[1] ?? Number.NaN) || null;
  return { code, status, message };
}

function chromiumError(message: string): string | null {
  return /net::ERR_[A-Z_]+/.exec(message)?.[0] ?? null;
}

function firstLine(text: string, max = 160): string {
  const line = text.split('\n', 1)[0]?.trim() ?? '';
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

export type ClassifiedFailure<R> = Readonly<{ result: R; message: string }>;

export function classifyCheckError(error: unknown): ClassifiedFailure<Exclude<UpdateCheckResult, 'up_to_date' | 'available' | 'downgrade_refused'>> {
  const { code, status, message } = fields(error);
  if (MALFORMED_CODES.has(code)) return { result: 'malformed', message: `The update feed is not valid (${code}).` };
  if (code === 'ERR_UPDATER_CHANNEL_FILE_NOT_FOUND') return { result: 'http_error', message: 'The update server has no feed for this channel (404).' };
  if (status !== null && status >= 400) return { result: 'http_error', message: `The update server answered ${status}.` };
  const chromium = chromiumError(message);
  if (chromium !== null || NODE_NETWORK_CODES.has(code)) {
    return { result: 'unreachable', message: `The update server could not be reached (${chromium ?? code}).` };
  }
  return { result: 'failed', message: `The check failed: ${firstLine(message)}` };
}

export function classifyDownloadError(error: unknown): ClassifiedFailure<Exclude<UpdateDownloadResult, 'started' | 'verified' | 'stalled'>> {
  const { code, status, message } = fields(error);
  if (code === 'ERR_CHECKSUM_MISMATCH') {
    return { result: 'hash_mismatch', message: 'The download did not match its sha512 checksum in the feed, so it was deleted and not installed.' };
  }
  if (code === 'ERR_UPDATER_INVALID_SIGNATURE') {
    return { result: 'signature_invalid', message: 'The download is not signed by the publisher of this app, so it was deleted and not installed.' };
  }
  if (status !== null && status >= 400) return { result: 'failed', message: `The download failed: the update server answered ${status}.` };
  const chromium = chromiumError(message);
  if (chromium !== null || NODE_NETWORK_CODES.has(code)) return { result: 'failed', message: `The download was interrupted (${chromium ?? code}).` };
  const statusInText = /status (\d{3})/.exec(message)?.[1];
  if (statusInText !== undefined) return { result: 'failed', message: `The download failed: the update server answered ${statusInText}.` };
  return { result: 'failed', message: `The download failed: ${firstLine(message)}` };
}
