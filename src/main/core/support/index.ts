/**
 * Everything that helps support and operations, built once by the composition root: the organisation
 * configuration, "Send to support", the connection doctor, fleet metrics, and the state file
 * `--collect-logs` reads. Each adds its part to the diagnostics bundle here.
 */
import os from 'node:os';
import type { Handlers, CoreContext } from '../context';
import type { DiagnosticsService } from '../diagnostics';
import { writeStateFile, type StateReason } from '../diagnostics/state-file';
import { createDoctor, systemResolver } from '../doctor';
import { createFleet, type Fleet } from '../fleet';
import { ORGANIZATION_CONFIG_ENV, loadOrganizationConfig, resolveOrganizationConfigPath, type Organization } from '../organization';
import { createSupportSend } from './send';

export { RAGESHAKE_APP } from './send';

/** How often the running core refreshes the state file for `--collect-logs`. */
export const STATE_FILE_INTERVAL_MS = 60_000;

type SupportHandlers = Pick<
  Handlers,
  'support:status' | 'support:send' | 'support:cancel' | 'doctor:run' | 'fleet:status' | 'fleet:setEnabled' | 'fleet:resetInstallId'
>;

export type SupportServices = Readonly<{
  handlers: SupportHandlers;
  organization: Organization;
  fleet: Fleet;
  start(): void;
  /** Cancels uploads, stops pushes and saves the state file one last time (the database must still be open). */
  stop(): Promise<void>;
}>;

export type SupportParts = Readonly<{
  diagnostics: DiagnosticsService;
  accessToken: () => string | null;
  isOsOffline: () => boolean;
}>;

/** The organisation file as support should see it: header values (which may be keys) left out. */
function describeOrganization(organization: Organization): unknown {
  const { fleetMetrics, ...rest } = organization.config;
  return {
    ...organization.status,
    config: {
      ...rest,
      ...(fleetMetrics
        ? { fleetMetrics: { ...fleetMetrics, headers: fleetMetrics.headers ? Object.keys(fleetMetrics.headers) : undefined } }
        : {}),
    },
  };
}

export function createSupportServices(context: CoreContext, parts: SupportParts): SupportServices {
  const { options, timing, clock, events, log, random, db, metrics } = context;
  const { diagnostics } = parts;
  const supportLog = log.scope('support');

  const organization = loadOrganizationConfig(
    resolveOrganizationConfigPath(options.organizationConfigPath, process.env[ORGANIZATION_CONFIG_ENV], options.dataDir),
  );
  if (organization.status.status === 'invalid') {
    log.error(`organization: ${organization.status.path} ignored: ${organization.status.problems.join('; ')}`);
  } else if (organization.status.status === 'loaded') {
    log.info(`organization: settings loaded from ${organization.status.path}`);
  }

  const send = createSupportSend({
    organization,
    diagnostics,
    events,
    clock,
    random,
    timing,
    log: supportLog,
    ...(options.appInfo ? { appInfo: options.appInfo } : {}),
  });
  const doctor = createDoctor({
    serverUrl: options.serverUrl,
    resolver: options.resolver ?? systemResolver,
    now: () => clock.now(),
    stepTimeoutMs: timing.doctorStepTimeoutMs,
    handshakeWaitMs: timing.handshakeWaitMs,
    tokenRefreshMarginMs: timing.tokenRefreshMarginMs,
    isOsOffline: parts.isOsOffline,
    accessToken: parts.accessToken,
    events,
    log: log.scope('doctor'),
  });
  const fleet = createFleet({
    organization,
    db,
    metrics,
    now: () => clock.now(),
    random,
    log: log.scope('fleet'),
    ...(options.appInfo ? { appInfo: options.appInfo } : {}),
  });

  diagnostics.registerSource('organization', () => Promise.resolve(describeOrganization(organization)));
  diagnostics.registerSource('connection-doctor', () =>
    Promise.resolve(doctor.lastReport() ?? 'The connection doctor has not run since the app started (Help → Check my connection).'),
  );
  diagnostics.registerSource('fleet-metrics', () => Promise.resolve(fleet.status()));

  let stateTimer: NodeJS.Timeout | null = null;
  const saveState = (reason: StateReason): Promise<void> =>
    writeStateFile(options.dataDir, {
      sources: diagnostics.sources(),
      notifications: context.notifications.recent(),
      reason,
      now: clock.now(),
      homeDir: os.homedir(),
    }).catch((error: unknown) => supportLog.warn('state file not written', error instanceof Error ? error.message : String(error)));

  return {
    handlers: { ...send.handlers, ...doctor.handlers, ...fleet.handlers },
    organization,
    fleet,
    start() {
      fleet.start();
      stateTimer = setInterval(() => void saveState('periodic'), STATE_FILE_INTERVAL_MS);
      stateTimer.unref();
    },
    async stop() {
      send.dispose();
      fleet.stop();
      if (stateTimer) clearInterval(stateTimer);
      stateTimer = null;
      await saveState('stop');
    },
  };
}
