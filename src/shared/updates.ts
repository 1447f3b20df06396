/**
 * What the updater tells the window: whether this copy updates itself, what it last found, a
 * download's progress, and a downloaded version waiting for a restart. The shell owns it
 * (src/main/shell/updater.ts); the channels that carry it are in contract.ts.
 */
import { z } from 'zod';
import { UPDATE_CHANNELS } from './preferences';

/** How a check ended; also the `result` label of `nova_update_checks_total`. */
export const UPDATE_CHECK_RESULTS = [
  'up_to_date',
  'available',
  /** The feed offers an older version and the organisation does not allow going back. */
  'downgrade_refused',
  /** No answer: refused, unresolvable, reset, timed out. */
  'unreachable',
  /** An HTTP error status (404 included). */
  'http_error',
  /** An answer that is not a feed: not YAML, no version, no sha512 for a file. */
  'malformed',
  'failed',
] as const;
export type UpdateCheckResult = (typeof UPDATE_CHECK_RESULTS)[number];

/** How a download ended; the `result` label of `nova_update_downloads_total` (`started` too). */
export const UPDATE_DOWNLOAD_RESULTS = ['started', 'verified', 'hash_mismatch', 'signature_invalid', 'failed', 'stalled'] as const;
export type UpdateDownloadResult = (typeof UPDATE_DOWNLOAD_RESULTS)[number];

/** The restart into a downloaded version; the `result` label of `nova_update_restarts_total`. */
export const UPDATE_RESTART_RESULTS = [
  /** The user chose to restart now. */
  'now',
  /** The user chose to wait for the outbox. */
  'when_sent',
  /** The outbox emptied while waiting: restarting. */
  'sent',
  /** The bounded wait ended with messages still waiting: restarting, they stay saved. */
  'timed_out',
  'cancelled',
  'installing',
  'install_failed',
] as const;
export type UpdateRestartResult = (typeof UPDATE_RESTART_RESULTS)[number];

/** How long "Update after they are sent" waits at most before restarting anyway. */
export const UPDATE_SEND_WAIT_MS = 2 * 60_000;

export const UpdateStatusSchema = z.object({
  /**
   * `unmanaged`: the organisation named no update feed, so updates come the way it installs
   * software. `unsupported`: this copy cannot replace itself (see `unsupportedReason`).
   */
  availability: z.enum(['unmanaged', 'unsupported', 'active']),
  unsupportedReason: z.string().nullable(),
  currentVersion: z.string(),
  channel: z.enum(UPDATE_CHANNELS),
  /** The feed's host; never its path or query, which may carry a key. */
  feedHost: z.string().nullable(),
  allowDowngrade: z.boolean(),
  state: z.enum(['idle', 'checking', 'downloading', 'ready', 'restarting']),
  /** The version being downloaded or ready to install. */
  update: z
    .object({
      version: z.string(),
      releaseDate: z.string().nullable(),
      sizeBytes: z.number().int().nullable(),
    })
    .nullable(),
  progress: z
    .object({
      transferredBytes: z.number(),
      totalBytes: z.number(),
      percent: z.number(),
      bytesPerSecond: z.number(),
    })
    .nullable(),
  lastCheck: z
    .object({
      at: z.number(),
      result: z.enum(UPDATE_CHECK_RESULTS),
      /** The version the feed offered, when it answered with one. */
      latestVersion: z.string().nullable(),
      message: z.string(),
    })
    .nullable(),
  /** The last download or install that failed, until one succeeds. */
  lastFailure: z
    .object({
      at: z.number(),
      step: z.enum(['download', 'install']),
      result: z.string(),
      message: z.string(),
    })
    .nullable(),
  nextCheckAt: z.number().nullable(),
  /** Messages the server has not acknowledged yet: the prompt says so and offers to wait for them. */
  pendingMessages: z.number().int(),
  /** While "Update after they are sent" waits: since when, and when it restarts anyway. */
  restartWhenSent: z.object({ since: z.number(), deadline: z.number() }).nullable(),
});
export type UpdateStatus = z.infer<typeof UpdateStatusSchema>;
