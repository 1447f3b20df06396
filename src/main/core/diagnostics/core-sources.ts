import type { CoreContext } from '../context';
import { createDiagnosticsService, type DiagnosticsService } from './service';

/**
 * The core's diagnostics: its settings, its metrics and the shell's desktop port. The services
 * that own the other parts (connection history, outbox summary) register them where the core
 * is composed.
 */
export function createCoreDiagnostics(context: CoreContext, logsDir: string): DiagnosticsService {
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
    recentNotifications: () => context.notifications.recent(),
    clock: context.clock,
    log: context.log,
    metrics: context.metrics,
    settings: () => Promise.resolve(describeSettings()),
    ...(options.appInfo ? { appInfo: options.appInfo } : {}),
    ...(options.desktop ? { desktop: options.desktop } : {}),
  });
  diagnostics.registerSource('metrics', () => context.metrics.snapshot());
  return diagnostics;
}
