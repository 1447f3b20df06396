export { buildBundle, DEFAULT_LOG_CAP_BYTES, type BundleProgress, type BundleResult, type Manifest } from './bundle';
export {
  bundleFileName,
  collectDiagnostics,
  describeVersions,
  parseCollectLogsArgument,
  readStoredSettings,
  type CollectOptions,
} from './collect';
export {
  EXPECTED_SOURCES,
  summarizeOutbox,
  type DiagnosticsRegistry,
  type DiagnosticsSource,
  type OutboxSummary,
} from './sources';
export {
  createDiagnosticsService,
  NOTIFICATION_HISTORY,
  toPreview,
  type DesktopPort,
  type DiagnosticsService,
} from './service';
export { createCoreDiagnostics, registerCoreSources } from './core-sources';
export { STATE_FILE, collectFromStateFile, writeStateFile, type StateReason } from './state-file';
