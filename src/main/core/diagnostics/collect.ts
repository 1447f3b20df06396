import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { AppNotification } from '../../../shared/contract';
import { createRedactor } from '../logging';
import type { AppInfo } from '../options';
import { buildBundle, type BundlePart, type BundleProgress, type BundleResult } from './bundle';
import { SourceRegistry, type DiagnosticsSource } from './sources';

export type CollectOptions = Readonly<{
  dataDir: string;
  /** Where the zip goes. */
  outPath: string;
  /** Defaults to `dataDir/logs`. */
  logsDir?: string;
  appInfo?: AppInfo;
  /** Extra files by name (metrics, connection-history, outbox-summary, …). */
  sources?: ReadonlyArray<readonly [string, DiagnosticsSource]>;
  /** Shorthands for the three sources every bundle expects. */
  metricsSnapshot?: () => Promise<string>;
  connectionHistory?: DiagnosticsSource;
  outboxSummary?: DiagnosticsSource;
  /** Settings to include (redacted); defaults to the settings table of `dataDir/nova.db`, read only. */
  settings?: () => Promise<unknown>;
  notifications?: readonly AppNotification[];
  /** Paths under it are shown as `~`; defaults to the OS home folder. */
  homeDir?: string;
  now?: () => Date;
  bundleId?: string;
  logCapBytes?: number;
  partTimeoutMs?: number;
  /** better-sqlite3 binding for the running runtime, for reading settings inside Electron. */
  sqliteNativeBinding?: string;
  onProgress?: (progress: BundleProgress) => void;
}>;

function pad(value: number, width = 2): string {
  return String(value).padStart(width, '0');
}

/** `nova-diagnostics-YYYYMMDD-HHMMSS.zip`, in local time: the name a user sees in a save dialog. */
export function bundleFileName(date: Date): string {
  const day = `${date.getFullYear()}${pad(date.getMonth() + 1)}${pad(date.getDate())}`;
  const time = `${pad(date.getHours())}${pad(date.getMinutes())}${pad(date.getSeconds())}`;
  return `nova-diagnostics-${day}-${time}.zip`;
}

export function newBundleId(): string {
  return `B-${randomUUID().slice(0, 8).toUpperCase()}`;
}

/**
 * `--collect-logs` → `{ outPath: null }` (the shell picks a name), `--collect-logs=path` →
 * `{ outPath }`, absent → null.
 */
export function parseCollectLogsArgument(argv: readonly string[]): { outPath: string | null } | null {
  for (const argument of argv) {
    if (argument === '--collect-logs') return { outPath: null };
    if (argument.startsWith('--collect-logs=')) {
      const value = argument.slice('--collect-logs='.length);
      return { outPath: value.length > 0 ? value : null };
    }
  }
  return null;
}

/** App, Electron, Node and OS versions; nothing that names the machine or the user. */
export function describeVersions(appInfo: AppInfo | undefined): Record<string, unknown> {
  return {
    app: appInfo ? { name: appInfo.name, version: appInfo.version } : null,
    electron: process.versions['electron'] ?? appInfo?.electron ?? null,
    chrome: process.versions['chrome'] ?? appInfo?.chrome ?? null,
    node: process.versions.node,
    v8: process.versions.v8,
    os: {
      platform: process.platform,
      type: os.type(),
      release: os.release(),
      arch: process.arch,
      cpus: os.cpus().length,
      totalMemoryMb: Math.round(os.totalmem() / 1024 / 1024),
      freeMemoryMb: Math.round(os.freemem() / 1024 / 1024),
    },
    process: {
      uptimeSeconds: Math.round(process.uptime()),
      rssMb: Math.round(process.memoryUsage().rss / 1024 / 1024),
    },
  };
}

/** Reads the settings table without writing: the app may be running and holding the database. */
export function readStoredSettings(dbPath: string, nativeBinding?: string): Record<string, unknown> {
  if (!fs.existsSync(dbPath)) return { unavailable: 'no database yet' };
  const db = new Database(dbPath, {
    readonly: true,
    fileMustExist: true,
    ...(nativeBinding ? { nativeBinding } : {}),
  });
  try {
    const rows = db.prepare('SELECT key, value FROM settings ORDER BY key').all() as Array<{ key: string; value: string }>;
    return Object.fromEntries(rows.map((row) => [row.key, row.value]));
  } catch (error) {
    return { unavailable: error instanceof Error ? error.message : String(error) };
  } finally {
    db.close();
  }
}

/**
 * Builds a diagnostics bundle from a data folder. The core calls it with its live sources; the
 * shell's `--collect-logs` and tests call it with nothing but the folder.
 */
export async function collectDiagnostics(options: CollectOptions): Promise<BundleResult> {
  const registry = new SourceRegistry();
  if (options.metricsSnapshot) registry.registerSource('metrics', options.metricsSnapshot);
  if (options.connectionHistory) registry.registerSource('connection-history', options.connectionHistory);
  if (options.outboxSummary) registry.registerSource('outbox-summary', options.outboxSummary);
  for (const [name, source] of options.sources ?? []) registry.registerSource(name, source);

  const settings =
    options.settings ??
    (() => Promise.resolve({ stored: readStoredSettings(path.join(options.dataDir, 'nova.db'), options.sqliteNativeBinding) }));
  const parts: BundlePart[] = [
    ...registry.entries().map(([name, content]) => ({ name, content })),
    { name: 'versions', content: () => Promise.resolve(describeVersions(options.appInfo)) },
    { name: 'settings', content: settings },
    {
      name: 'notifications',
      content: () => Promise.resolve({ recent: options.notifications ?? [], note: 'Newest last; the id is the error id in the logs.' }),
    },
  ];

  const createdAt = options.now?.() ?? new Date();
  return buildBundle({
    outPath: options.outPath,
    logsDir: options.logsDir ?? path.join(options.dataDir, 'logs'),
    bundleId: options.bundleId ?? newBundleId(),
    createdAt,
    app: options.appInfo ? { name: options.appInfo.name, version: options.appInfo.version } : null,
    redactor: createRedactor({ homeDir: options.homeDir ?? os.homedir() }),
    parts,
    ...(options.logCapBytes !== undefined ? { logCapBytes: options.logCapBytes } : {}),
    ...(options.partTimeoutMs !== undefined ? { partTimeoutMs: options.partTimeoutMs } : {}),
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
  });
}
