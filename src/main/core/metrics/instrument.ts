/**
 * Wrappers that make existing core paths move metrics without those paths knowing: every log
 * call counts by level, every renderer call counts by channel and result and is timed.
 */
import { performance } from 'node:perf_hooks';
import type { InvokeChannel } from '../../../shared/contract';
import { AppError } from '../../../shared/errors';
import type { Logger } from '../logging';
import type { IpcResultLabel } from './labels';
import type { Metrics } from './metrics';

export function instrumentLogger(log: Logger, metrics: Metrics): Logger {
  return {
    error: (message, ...details) => {
      metrics.logLine('error');
      log.error(message, ...details);
    },
    warn: (message, ...details) => {
      metrics.logLine('warn');
      log.warn(message, ...details);
    },
    info: (message, ...details) => {
      metrics.logLine('info');
      log.info(message, ...details);
    },
    debug: (message, ...details) => {
      metrics.logLine('debug');
      log.debug(message, ...details);
    },
    scope: (name) => instrumentLogger(log.scope(name), metrics),
  };
}

/** The code the renderer will see for `error`: an AppError's own, INTERNAL for anything else. */
function resultOf(error: unknown): IpcResultLabel {
  return error instanceof AppError ? error.code : 'INTERNAL';
}

/** Any set of contract handlers: the core's, or the few the shell answers itself. */
type HandlerTable = { [C in InvokeChannel]?: (req: never) => Promise<unknown> };

/** Same handlers, each counted in `ipc_requests_total` and timed in `ipc_request_duration_seconds`. */
export function instrumentHandlers<H extends HandlerTable>(handlers: H, metrics: Metrics): H {
  const wrapped: Partial<Record<InvokeChannel, (req: never) => Promise<unknown>>> = {};
  for (const channel of Object.keys(handlers) as InvokeChannel[]) {
    const handler = handlers[channel];
    if (handler === undefined) continue;
    wrapped[channel] = async (req: never) => {
      const startedAt = performance.now();
      try {
        const value = await handler(req);
        metrics.ipcCall(channel, 'ok', (performance.now() - startedAt) / 1000);
        return value;
      } catch (error) {
        metrics.ipcCall(channel, resultOf(error), (performance.now() - startedAt) / 1000);
        throw error;
      }
    };
  }
  return wrapped as H;
}
