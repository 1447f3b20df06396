import { AppError, type ErrorCode } from '../../../shared/errors';
import type { Clock } from '../clock';
import { parseRetryAfter, retryDelay } from '../outbox/policy';
import { postSubmission, readReportUrl, readServerError, TransportError, type EncodedSubmission } from './rageshake';

export const UPLOAD_ATTEMPTS = 4;

export type UploadTiming = Readonly<{ supportRetryBaseMs: number; supportRetryCapMs: number; supportRequestTimeoutMs: number }>;

export type UploadProgress =
  | Readonly<{ stage: 'uploading'; attempt: number; sentBytes: number }>
  | Readonly<{ stage: 'waiting'; attempt: number; retryAt: number; lastError: string }>;

export type UploadInput = Readonly<{
  url: string;
  submission: EncodedSubmission;
  timing: UploadTiming;
  clock: Clock;
  random: () => number;
  signal: AbortSignal;
  onProgress: (progress: UploadProgress) => void;
}>;

export type UploadResult = Readonly<{ status: 'sent'; reportUrl: string | null } | { status: 'cancelled' }>;

type Failure = Readonly<{ retryable: boolean; code: ErrorCode; reason: string; retryAfterMs: number | null }>;

function classifyAnswer(status: number, text: string, retryAfter: string | undefined, now: number): Failure {
  const said = readServerError(text);
  const reason = `the support server answered ${status}${said ? `: ${said}` : ''}`;
  const retryAfterMs = parseRetryAfter(retryAfter, now);
  if (status === 429) return { retryable: true, code: 'RATE_LIMITED', reason, retryAfterMs };
  if (status === 408) return { retryable: true, code: 'TIMEOUT', reason, retryAfterMs };
  if (status === 503 || status === 502 || status === 504) return { retryable: true, code: 'SERVICE_UNAVAILABLE', reason, retryAfterMs };
  if (status >= 500) return { retryable: true, code: 'SERVER_ERROR', reason, retryAfterMs };
  if (status === 413) return { retryable: false, code: 'MESSAGE_TOO_LARGE', reason, retryAfterMs: null };
  return { retryable: false, code: 'BAD_REQUEST', reason, retryAfterMs: null };
}

function sleep(clock: Clock, ms: number, signal: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve(false);
    const handle = clock.setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    const onAbort = (): void => {
      clock.clearTimeout(handle);
      resolve(false);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

const KEEP_FOR_SAVE = 'The bundle is kept: use Save… to send the file another way.';

/**
 * Posts the submission, retrying what may pass later (no connection, timeouts, 5xx, 429) with
 * exponential backoff and full jitter, or after the server's Retry-After. A refusal that will
 * not change (413, other 4xx) ends at once. Throws an AppError whose message says what failed
 * and that the bundle is still there to save.
 */
export async function uploadWithRetry(input: UploadInput): Promise<UploadResult> {
  let last: Failure | null = null;
  for (let attempt = 1; attempt <= UPLOAD_ATTEMPTS; attempt += 1) {
    if (input.signal.aborted) return { status: 'cancelled' };
    input.onProgress({ stage: 'uploading', attempt, sentBytes: 0 });
    try {
      const answer = await postSubmission(input.url, input.submission, {
        signal: input.signal,
        idleTimeoutMs: input.timing.supportRequestTimeoutMs,
        onProgress: (sentBytes) => input.onProgress({ stage: 'uploading', attempt, sentBytes }),
      });
      if (answer.status >= 200 && answer.status < 300) return { status: 'sent', reportUrl: readReportUrl(answer.text) };
      const retryAfter = answer.headers['retry-after'];
      last = classifyAnswer(answer.status, answer.text, Array.isArray(retryAfter) ? retryAfter[0] : retryAfter, input.clock.now());
    } catch (error) {
      if (error instanceof TransportError && error.kind === 'aborted') return { status: 'cancelled' };
      const kind = error instanceof TransportError ? error.kind : 'network';
      const detail = error instanceof Error ? error.message : String(error);
      last =
        kind === 'timeout'
          ? { retryable: true, code: 'TIMEOUT', reason: `the support server did not answer (${detail})`, retryAfterMs: null }
          : { retryable: true, code: 'NETWORK_ERROR', reason: `the support server could not be reached (${detail})`, retryAfterMs: null };
    }
    if (!last.retryable) break;
    if (attempt === UPLOAD_ATTEMPTS) break;
    const delay = retryDelay(
      attempt - 1,
      { retryBaseMs: input.timing.supportRetryBaseMs, retryCapMs: input.timing.supportRetryCapMs },
      input.random,
      last.retryAfterMs,
    );
    input.onProgress({ stage: 'waiting', attempt, retryAt: input.clock.now() + delay, lastError: last.reason });
    if (!(await sleep(input.clock, delay, input.signal))) return { status: 'cancelled' };
  }
  const failure = last ?? { retryable: false, code: 'UNKNOWN_ERROR' as const, reason: 'the upload did not start', retryAfterMs: null };
  const tries = failure.retryable ? ` after ${UPLOAD_ATTEMPTS} attempts` : '';
  throw new AppError(failure.code, `Could not send the bundle${tries}: ${failure.reason}. ${KEEP_FOR_SAVE}`);
}
