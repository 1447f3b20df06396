/**
 * "Send to support": uploads a bundle the user has previewed to the organisation's rageshake
 * server. The upload runs beside messaging (async I/O and gzip on the thread pool), reports
 * progress on `support:progress`, can be cancelled, retries with backoff, and never touches the
 * bundle: when it fails the same bundle is still there for Save.
 */
import os from 'node:os';
import type { Handlers } from '../context';
import type { SupportProgress } from '../../../shared/support';
import { AppError } from '../../../shared/errors';
import type { Clock } from '../clock';
import type { DiagnosticsService } from '../diagnostics';
import type { CoreEventBus } from '../events';
import type { Logger } from '../logging';
import type { AppInfo } from '../options';
import { destinationOf, type Organization } from '../organization';
import { gzipBundleEntries } from './bundle-files';
import { encodeSubmission } from './rageshake';
import { UPLOAD_ATTEMPTS, uploadWithRetry, type UploadTiming } from './upload';

/** How the app names itself to rageshake (its `app` field, and the label support filters on). */
export const RAGESHAKE_APP = 'nova-desktop';

export type SupportSendOptions = Readonly<{
  organization: Organization;
  diagnostics: Pick<DiagnosticsService, 'collectedBundle'>;
  events: CoreEventBus;
  clock: Clock;
  random: () => number;
  timing: UploadTiming;
  log: Logger;
  appInfo?: AppInfo;
}>;

type SupportHandlers = Pick<Handlers, 'support:status' | 'support:send' | 'support:cancel'>;

export type SupportSend = Readonly<{ handlers: SupportHandlers; dispose(): void }>;

function userAgent(appInfo: AppInfo | undefined): string {
  const product = `Nova/${appInfo?.version ?? 'unknown'}`;
  const runtime = [appInfo?.electron ? `Electron/${appInfo.electron}` : null, appInfo?.chrome ? `Chrome/${appInfo.chrome}` : null, `Node/${process.versions.node}`]
    .filter(Boolean)
    .join(' ');
  return `${product} (${process.platform} ${os.release()}; ${process.arch}) ${runtime}`;
}

export function createSupportSend(options: SupportSendOptions): SupportSend {
  const { organization, events, clock, log } = options;
  const supportUrl = organization.config.supportUrl;
  const uploads = new Map<string, AbortController>();

  const handlers: SupportHandlers = {
    'support:status': () =>
      Promise.resolve({
        canSend: supportUrl !== undefined,
        destination: destinationOf(supportUrl),
        organization: organization.status,
      }),

    'support:send': async ({ bundleId, description }) => {
      if (supportUrl === undefined) throw new AppError('NOT_IMPLEMENTED', 'No support address is configured for this app. Save the bundle instead.');
      const bundle = options.diagnostics.collectedBundle(bundleId);
      if (!bundle) throw new AppError('NOT_FOUND', 'That diagnostics bundle is gone. Collect a new one.');
      if (uploads.has(bundleId)) throw new AppError('CONFLICT', 'This bundle is already being sent.');
      const controller = new AbortController();
      uploads.set(bundleId, controller);
      let progress: SupportProgress = {
        bundleId,
        stage: 'preparing',
        attempt: 0,
        maxAttempts: UPLOAD_ATTEMPTS,
        sentBytes: 0,
        totalBytes: 0,
        retryAt: null,
        lastError: null,
      };
      const report = (next: Partial<SupportProgress>): void => {
        progress = { ...progress, ...next };
        events.emit('support:progress', progress);
      };
      const startedAt = clock.now();
      try {
        report({});
        const files = await gzipBundleEntries(bundle.path, controller.signal).catch((error: unknown) => {
          if (controller.signal.aborted) return null;
          throw error;
        });
        if (files === null) {
          report({ stage: 'cancelled' });
          return { status: 'cancelled' as const, bundleId };
        }
        const submission = await encodeSubmission({
          text: description.trim() === '' ? '(no description)' : description,
          userAgent: userAgent(options.appInfo),
          app: RAGESHAKE_APP,
          version: options.appInfo?.version ?? 'unknown',
          labels: [RAGESHAKE_APP],
          fields: { bundle_id: bundleId, platform: process.platform },
          files,
        });
        report({ totalBytes: submission.body.length });
        log.info(`upload ${bundleId}: ${files.length} files, ${submission.body.length} bytes to ${destinationOf(supportUrl) ?? '?'}`);
        const result = await uploadWithRetry({
          url: supportUrl,
          submission,
          timing: options.timing,
          clock,
          random: options.random,
          signal: controller.signal,
          onProgress: (step) =>
            step.stage === 'uploading'
              ? report({ stage: 'uploading', attempt: step.attempt, sentBytes: step.sentBytes, retryAt: null })
              : report({ stage: 'waiting', attempt: step.attempt, retryAt: step.retryAt, lastError: step.lastError, sentBytes: 0 }),
        });
        if (result.status === 'cancelled') {
          log.info(`upload ${bundleId}: cancelled`);
          report({ stage: 'cancelled', retryAt: null });
          return { status: 'cancelled' as const, bundleId };
        }
        log.info(`upload ${bundleId}: sent in ${clock.now() - startedAt} ms${result.reportUrl ? ` (${result.reportUrl})` : ''}`);
        report({ stage: 'sent', sentBytes: submission.body.length, retryAt: null });
        return { status: 'sent' as const, bundleId, reportUrl: result.reportUrl, sizeBytes: submission.body.length };
      } catch (error) {
        log.warn(`upload ${bundleId}: failed`, error instanceof Error ? error.message : String(error));
        report({ stage: 'failed', retryAt: null, lastError: error instanceof Error ? error.message : String(error) });
        throw error;
      } finally {
        uploads.delete(bundleId);
      }
    },

    'support:cancel': ({ bundleId }) => {
      uploads.get(bundleId)?.abort();
      return Promise.resolve(null);
    },
  };

  return {
    handlers,
    dispose() {
      for (const controller of uploads.values()) controller.abort();
    },
  };
}
