import type { CoreInvokeChannel, ParsedReq, Res } from '../../../shared/contract';
import { AppError } from '../../../shared/errors';
import type { CoreContext } from '../index';
import { createDiagnosticsService, type DiagnosticsService } from './service';
import { summarizeOutbox, type DiagnosticsRegistry } from './sources';

type HandlerTable = { [C in CoreInvokeChannel]: (req: ParsedReq<C>) => Promise<Res<C>> };

/** A part that is not built yet says so in the bundle instead of failing it. */
async function orUnavailable<T>(read: () => Promise<T>, what: string): Promise<T | string> {
  try {
    return await read();
  } catch (error) {
    if (error instanceof AppError && error.code === 'NOT_IMPLEMENTED') return `${what} is unavailable in this build.`;
    throw error;
  }
}

/**
 * Connection history and outbox summary come through the core's own handlers, so they follow
 * whatever the connection and outbox services answer, with no wiring of their own.
 */
export function registerCoreSources(registry: DiagnosticsRegistry, handlers: () => HandlerTable, now: () => number): void {
  registry.registerSource('connection-history', () =>
    orUnavailable(() => handlers()['connection:get']({}), 'The connection history'),
  );
  registry.registerSource('outbox-summary', () =>
    orUnavailable(async () => summarizeOutbox(await handlers()['outbox:list']({}), now()), 'The outbox summary'),
  );
}

/** The core's diagnostics: its settings, its handlers as sources, the shell's desktop port. */
export function createCoreDiagnostics(context: CoreContext, logsDir: string, handlers: () => HandlerTable): DiagnosticsService {
  const { options, db } = context;
  // Redacted on the way into the bundle, like everything else in it.
  const describeSettings = (): unknown => ({
    stored: Object.fromEntries(
      (db.prepare('SELECT key, value FROM settings ORDER BY key').all() as Array<{ key: string; value: string }>).map(
        (row) => [row.key, row.value],
      ),
    ),
    serverUrl: options.serverUrl,
    isDemoServer: options.isDemoServer ?? false,
    dataDir: options.dataDir,
    timing: context.timing,
  });
  const diagnostics = createDiagnosticsService({
    dataDir: options.dataDir,
    logsDir,
    events: context.events,
    clock: context.clock,
    log: context.log,
    metrics: context.metrics,
    settings: () => Promise.resolve(describeSettings()),
    ...(options.appInfo ? { appInfo: options.appInfo } : {}),
    ...(options.desktop ? { desktop: options.desktop } : {}),
  });
  registerCoreSources(diagnostics, handlers, () => context.clock.now());
  if (options.metricsSnapshot) diagnostics.registerSource('metrics', options.metricsSnapshot);
  return diagnostics;
}
