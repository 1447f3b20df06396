import fs from 'node:fs';
import path from 'node:path';
import type { AppNotification, DiagnosticsPreview } from '../../../shared/contract';
import { AppError } from '../../../shared/errors';
import type { Clock } from '../clock';
import type { CoreEventBus } from '../events';
import type { Logger } from '../logging';
import type { Metrics } from '../metrics';
import type { AppInfo } from '../options';
import type { BundleResult } from './bundle';
import { bundleFileName, collectDiagnostics, newBundleId } from './collect';
import { SourceRegistry, type DiagnosticsRegistry, type DiagnosticsSource } from './sources';

/** What the shell does for diagnostics: dialogs and the file manager, which the core cannot reach. */
export type DesktopPort = Readonly<{
  /** Asks where to save; null when the user cancels. */
  chooseSavePath(defaultName: string): Promise<string | null>;
  revealFile(filePath: string): void;
  openFolder(folderPath: string): Promise<void> | void;
}>;

/** Bundles kept in the temp folder, so a preview stays saveable while a newer one is built. */
const KEPT_BUNDLES = 3;

export type DiagnosticsServiceOptions = Readonly<{
  dataDir: string;
  logsDir: string;
  events: CoreEventBus;
  /** The notification center's ring: what the user was shown, with the ids support asks for. */
  recentNotifications: () => readonly AppNotification[];
  clock: Clock;
  log: Logger;
  appInfo?: AppInfo;
  desktop?: DesktopPort;
  settings: () => Promise<unknown>;
  homeDir?: string;
  logCapBytes?: number;
  /** Counts bundles by result; the core passes its own. */
  metrics?: Metrics;
}>;

export interface DiagnosticsService extends DiagnosticsRegistry {
  collect(): Promise<DiagnosticsPreview>;
  save(bundleId: string): Promise<{ savedPath: string | null }>;
  showLogsFolder(): Promise<null>;
  /** A bundle collected for the preview and still on disk (for "Send to support"), or null. */
  collectedBundle(bundleId: string): BundleResult | null;
  /** The registered parts, for the state file `--collect-logs` reads when the app is closed. */
  sources(): Array<[string, DiagnosticsSource]>;
}

export function toPreview(result: BundleResult): DiagnosticsPreview {
  return {
    bundleId: result.bundleId,
    sizeBytes: result.sizeBytes,
    files: result.files.map((file) => ({ ...file })),
    masked: Object.fromEntries(Object.entries(result.manifest.masked).filter(([, count]) => count > 0)),
    reviewText: result.reviewText,
  };
}

export function createDiagnosticsService(options: DiagnosticsServiceOptions): DiagnosticsService {
  const registry = new SourceRegistry();
  const tempDir = path.join(options.dataDir, 'diagnostics');
  const bundles = new Map<string, BundleResult>();
  const log = options.log.scope('diagnostics');
  let building: Promise<DiagnosticsPreview> | null = null;
  let isTempCleared = false;

  const collectBundle = (outPath: string, bundleId: string): Promise<BundleResult> =>
    collectDiagnostics({
      dataDir: options.dataDir,
      logsDir: options.logsDir,
      outPath,
      bundleId,
      now: () => new Date(options.clock.now()),
      sources: registry.entries(),
      settings: options.settings,
      notifications: options.recentNotifications(),
      ...(options.appInfo ? { appInfo: options.appInfo } : {}),
      ...(options.homeDir !== undefined ? { homeDir: options.homeDir } : {}),
      ...(options.logCapBytes !== undefined ? { logCapBytes: options.logCapBytes } : {}),
      onProgress: (progress) => options.events.emit('diagnostics:progress', progress),
    });

  async function run(outPath: string, bundleId: string): Promise<BundleResult> {
    try {
      const result = await collectBundle(outPath, bundleId);
      options.metrics?.diagnosticsBundle('collected');
      return result;
    } catch (error) {
      options.metrics?.diagnosticsBundle('failed');
      throw error;
    }
  }

  async function build(): Promise<DiagnosticsPreview> {
    const started = Date.now();
    if (!isTempCleared) {
      // Bundles from an earlier run were never saved or were saved already: nothing to keep.
      await fs.promises.rm(tempDir, { recursive: true, force: true });
      isTempCleared = true;
    }
    const bundleId = newBundleId();
    const result = await run(path.join(tempDir, `${bundleId}.zip`), bundleId);
    bundles.set(bundleId, result);
    for (const old of [...bundles.keys()].slice(0, -KEPT_BUNDLES)) {
      const stale = bundles.get(old);
      bundles.delete(old);
      if (stale) await fs.promises.rm(stale.path, { force: true });
    }
    log.info(
      `bundle ${bundleId}: ${result.sizeBytes} bytes, ${result.files.length} files, ` +
        `logs ${result.manifest.logs.includedBytes} of ${result.manifest.logs.sourceBytes} bytes, ${Date.now() - started} ms`,
    );
    return toPreview(result);
  }

  const requireDesktop = (): DesktopPort => {
    if (!options.desktop) throw new AppError('NOT_IMPLEMENTED', 'This needs the desktop app.');
    return options.desktop;
  };

  return {
    registerSource: (name: string, source: DiagnosticsSource) => registry.registerSource(name, source),
    collect() {
      // A second click (or the menu and the button at once) joins the build under way.
      building ??= build().finally(() => {
        building = null;
      });
      return building;
    },
    async save(bundleId) {
      const desktop = requireDesktop();
      const bundle = bundles.get(bundleId);
      if (!bundle || !fs.existsSync(bundle.path)) {
        throw new AppError('NOT_FOUND', 'That diagnostics bundle is gone. Collect a new one.');
      }
      const target = await desktop.chooseSavePath(bundleFileName(new Date(bundle.manifest.createdAt)));
      if (target === null) {
        options.metrics?.diagnosticsBundle('cancelled');
        return { savedPath: null };
      }
      try {
        await fs.promises.copyFile(bundle.path, target);
      } catch (error) {
        options.metrics?.diagnosticsBundle('failed');
        if ((error as NodeJS.ErrnoException).code === 'ENOSPC') throw new AppError('STORAGE_FULL');
        throw error;
      }
      options.metrics?.diagnosticsBundle('saved');
      log.info(`bundle ${bundleId} saved (${bundle.sizeBytes} bytes)`);
      desktop.revealFile(target);
      return { savedPath: target };
    },
    async showLogsFolder() {
      await fs.promises.mkdir(options.logsDir, { recursive: true });
      await requireDesktop().openFolder(options.logsDir);
      return null;
    },
    collectedBundle: (bundleId) => {
      const bundle = bundles.get(bundleId);
      return bundle && fs.existsSync(bundle.path) ? bundle : null;
    },
    sources: () => registry.entries(),
  };
}
