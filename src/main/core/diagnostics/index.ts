export { buildBundle, DEFAULT_LOG_CAP_BYTES, type BundleProgress, type BundleResult, type Manifest } from './bundle';
export {
  bundleFileName,
  collectDiagnostics,
  describeVersions,
  parseCollectLogsArgument,
  readStoredSettings,
  type CollectOptions,
} from './collect';
export { EXPECTED_SOURCES, type DiagnosticsRegistry, type DiagnosticsSource } from './sources';
export {
  createDiagnosticsService,
  toPreview,
  type DesktopPort,
  type DiagnosticsService,
} from './service';
export { createCoreDiagnostics } from './core-sources';
export { STATE_FILE, collectFromStateFile, writeStateFile, type StateReason } from './state-file';
