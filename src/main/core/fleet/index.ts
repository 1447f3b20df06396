/**
 * Fleet metrics, opt-in: off unless the organisation configuration names a remote-write URL
 * and turns them on (or lets the user turn them on). The user's choice and the random install
 * id live in the settings table. Pushes run on an unref'd timer, each one jittered, and never
 * wait for each other: a slow or absent metrics store costs a bounded buffer and nothing else.
 */
import { randomUUID } from 'node:crypto';
import type { FleetStatus } from '../../../shared/support';
import { AppError } from '../../../shared/errors';
import type { Handlers } from '../context';
import type { Logger } from '../logging';
import type { Metrics } from '../metrics';
import { FLEET_FAMILIES, RemoteWriteBuffer, collectFleetBatch } from '../metrics/remote-write';
import type { AppInfo } from '../options';
import { destinationOf, type Organization } from '../organization';
import type { DB } from '../store/database';
import { getSetting, setSetting } from '../store/database';

export const INSTALL_ID_SETTING = 'fleet.installId';
export const USER_CHOICE_SETTING = 'fleet.userChoice';
/** An hour of pushes at the default interval; older ones are dropped first. */
export const FLEET_BUFFER_BATCHES = 60;
const BATCHES_PER_REQUEST = 10;
const JITTER = 0.1;

export type FleetOptions = Readonly<{
  organization: Organization;
  db: DB;
  metrics: Metrics;
  now: () => number;
  random: () => number;
  log: Logger;
  appInfo?: AppInfo;
}>;

export type Fleet = Readonly<{
  handlers: Pick<Handlers, 'fleet:status' | 'fleet:setEnabled' | 'fleet:resetInstallId'>;
  status(): FleetStatus;
  /** Collects one push and sends what is buffered (the timer calls it; tests may too). */
  tick(): Promise<void>;
  start(): void;
  stop(): void;
}>;

export function createFleet(options: FleetOptions): Fleet {
  const { db, log } = options;
  const config = options.organization.config.fleetMetrics;
  const buffer = config
    ? new RemoteWriteBuffer({
        url: config.url,
        ...(config.headers ? { headers: config.headers } : {}),
        userAgent: `nova-desktop/${options.appInfo?.version ?? 'unknown'}`,
        maxBatches: FLEET_BUFFER_BATCHES,
        batchesPerRequest: BATCHES_PER_REQUEST,
        timeoutMs: Math.min(10_000, Math.max(1_000, Math.floor(config.intervalMs / 2))),
      })
    : null;
  let timer: NodeJS.Timeout | null = null;
  let isStarted = false;
  let wasFailing = false;

  const userChoice = (): boolean | null => {
    const value = getSetting(db, USER_CHOICE_SETTING);
    return value === 'on' ? true : value === 'off' ? false : null;
  };
  const isEnabled = (): boolean => {
    if (!config) return false;
    const choice = config.userMayChoose ? userChoice() : null;
    return choice ?? config.enabled;
  };
  const installId = (): string => {
    const existing = getSetting(db, INSTALL_ID_SETTING);
    if (existing) return existing;
    const created = randomUUID();
    setSetting(db, INSTALL_ID_SETTING, created);
    return created;
  };

  const status = (): FleetStatus => {
    const choice = config?.userMayChoose ? userChoice() : null;
    return {
      configured: config !== undefined,
      enabled: isEnabled(),
      decidedBy: config === undefined ? null : choice === null ? 'organization' : 'user',
      userMayChoose: config?.userMayChoose ?? false,
      destination: destinationOf(config?.url),
      intervalMs: config?.intervalMs ?? null,
      installId: config ? installId() : null,
      lastPushAt: buffer?.lastPushAt ?? null,
      lastError: buffer?.lastError ?? null,
      bufferedPushes: buffer?.size ?? 0,
      droppedPushes: buffer?.dropped ?? 0,
      families: [...FLEET_FAMILIES],
    };
  };

  async function tick(): Promise<void> {
    if (!buffer || !isEnabled()) return;
    buffer.add(await collectFleetBatch(options.metrics.registry, installId(), options.now()));
    const result = await buffer.flush(options.now);
    const isFailing = result === 'kept';
    if (isFailing && !wasFailing) log.warn(`push failed, keeping ${buffer.size} pushes: ${buffer.lastError ?? ''}`);
    if (!isFailing && wasFailing) log.info('push recovered');
    if (result === 'dropped') log.warn(`push refused, dropped: ${buffer.lastError ?? ''}`);
    wasFailing = isFailing;
  }

  const schedule = (delayMs: number): void => {
    if (timer) clearTimeout(timer);
    timer = null;
    if (!isStarted || !config || !isEnabled()) return;
    timer = setTimeout(() => {
      void tick()
        .catch((error: unknown) => log.warn('push: could not collect', error instanceof Error ? error.message : String(error)))
        .finally(() => schedule(config.intervalMs * (1 - JITTER + 2 * JITTER * options.random())));
    }, delayMs);
    timer.unref();
  };

  return {
    status,
    tick,
    start() {
      if (isStarted) return;
      isStarted = true;
      if (config) log.info(`fleet metrics ${isEnabled() ? 'on' : 'off'} (${destinationOf(config.url) ?? '?'}, every ${config.intervalMs} ms)`);
      // The first push lands anywhere in the first interval, so a fleet that starts at nine
      // o'clock does not push in step.
      if (config) schedule(config.intervalMs * options.random());
    },
    stop() {
      isStarted = false;
      if (timer) clearTimeout(timer);
      timer = null;
    },
    handlers: {
      'fleet:status': () => Promise.resolve(status()),
      'fleet:setEnabled': ({ enabled }) => {
        if (!config) throw new AppError('NOT_IMPLEMENTED', 'Fleet metrics are not configured for this app.');
        if (!config.userMayChoose) throw new AppError('FORBIDDEN', 'Your organisation decides whether fleet metrics are sent.');
        setSetting(db, USER_CHOICE_SETTING, enabled ? 'on' : 'off');
        // What was collected before the user said no is not sent later.
        if (!enabled) buffer?.clear();
        log.info(`fleet metrics turned ${enabled ? 'on' : 'off'} by the user`);
        schedule(config.intervalMs * options.random());
        return Promise.resolve(status());
      },
      'fleet:resetInstallId': () => {
        if (!config) throw new AppError('NOT_IMPLEMENTED', 'Fleet metrics are not configured for this app.');
        setSetting(db, INSTALL_ID_SETTING, randomUUID());
        // Buffered pushes carry the old id; sending them later would link the two.
        buffer?.clear();
        log.info('fleet install id reset');
        return Promise.resolve(status());
      },
    },
  };
}
