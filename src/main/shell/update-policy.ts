/**
 * The updater's rules as decisions: whether this copy updates itself at all (an organisation
 * named a feed, a packaged build, a kind of install that can replace itself), which of
 * electron-updater's platform updaters fits it, which feed file a channel reads, and when to
 * check (soon after start, then every few hours, spread so installs do not all ask at once).
 */
import type { UpdateChannel } from '../../shared/preferences';
import type { UpdatesConfig } from '../../shared/organization';

/** electron-updater's updater classes, by the kind of install they replace. */
export type UpdaterKind = 'nsis' | 'mac' | 'appimage' | 'deb' | 'rpm' | 'pacman';

/**
 * The installer that put this copy here: NSIS on Windows, the app bundle on macOS; on Linux the
 * package type electron-builder records in `resources/package-type` for deb, rpm and pacman,
 * else an AppImage (electron-updater's own choice, made explicit so a test can build each).
 */
export function updaterKind(platform: NodeJS.Platform, packageType: string | null): UpdaterKind {
  if (platform === 'win32') return 'nsis';
  if (platform === 'darwin') return 'mac';
  const type = packageType?.trim();
  if (type === 'deb' || type === 'rpm' || type === 'pacman') return type;
  return 'appimage';
}

export type UpdateFeed = Readonly<{
  url: string;
  allowDowngrade: boolean;
  checkIntervalMs: number;
}>;

export type UpdateSetup =
  | Readonly<{ availability: 'unmanaged'; reason: null; feed: null; kind: null }>
  | Readonly<{ availability: 'unsupported'; reason: string; feed: UpdateFeed; kind: UpdaterKind }>
  | Readonly<{ availability: 'active'; reason: null; feed: UpdateFeed; kind: UpdaterKind }>;

export type SetupFacts = Readonly<{
  /** The organisation file's `updates` section, if any. */
  config: UpdatesConfig | undefined;
  isPackaged: boolean;
  platform: NodeJS.Platform;
  /** The contents of `resources/package-type`, when the installer left one. */
  packageType: string | null;
  env: Readonly<Record<string, string | undefined>>;
}>;

const HOUR_MS = 60 * 60 * 1000;

export function resolveUpdateSetup(facts: SetupFacts): UpdateSetup {
  const { config } = facts;
  if (config === undefined) return { availability: 'unmanaged', reason: null, feed: null, kind: null };
  const feed: UpdateFeed = { url: config.url, allowDowngrade: config.allowDowngrade, checkIntervalMs: Math.round(config.checkIntervalHours * HOUR_MS) };
  const kind = updaterKind(facts.platform, facts.packageType);
  const unsupported = (reason: string): UpdateSetup => ({ availability: 'unsupported', reason, feed, kind });
  if (!facts.isPackaged) return unsupported('This is a development build: only an installed Nova updates itself.');
  if (kind === 'appimage' && facts.env['SNAP'] !== undefined) return unsupported('Nova from the Snap Store is updated by snapd.');
  if (kind === 'appimage' && facts.env['APPIMAGE'] === undefined) {
    return unsupported('This copy of Nova was not installed from an AppImage or a package, so it cannot replace itself: install the new version the way you installed this one.');
  }
  return { availability: 'active', reason: null, feed, kind };
}

/** electron-updater's channel names: `latest` reads latest*.yml, `beta` reads beta*.yml. */
export function feedChannel(channel: UpdateChannel): 'latest' | 'beta' {
  return channel === 'beta' ? 'beta' : 'latest';
}

/** The host a feed URL points at, for Help; never its path or query. */
export function feedHost(url: string): string | null {
  try {
    return new URL(url).host;
  } catch {
    return null;
  }
}

export type CheckTiming = Readonly<{
  /** The first check comes this long after start at the earliest… */
  firstCheckMinMs: number;
  /** …plus up to this much more, chosen at random per start. */
  firstCheckSpreadMs: number;
  /** Each later interval is the organisation's, times a factor in [1 − spread, 1 + spread]. */
  intervalSpread: number;
}>;

export const DEFAULT_CHECK_TIMING: CheckTiming = { firstCheckMinMs: 10_000, firstCheckSpreadMs: 50_000, intervalSpread: 0.1 };

/** After start: not during start-up itself, and not all installs started at 9:00 in the same second. */
export function firstCheckDelayMs(random: () => number, timing: CheckTiming = DEFAULT_CHECK_TIMING): number {
  return Math.round(timing.firstCheckMinMs + random() * timing.firstCheckSpreadMs);
}

/** The wait until the next check: the interval spread by ±10 %, so a fleet's checks drift apart. */
export function nextCheckDelayMs(intervalMs: number, random: () => number, timing: CheckTiming = DEFAULT_CHECK_TIMING): number {
  return Math.round(intervalMs * (1 - timing.intervalSpread + 2 * timing.intervalSpread * random()));
}
