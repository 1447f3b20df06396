export { Metrics, type MetricsOptions } from './metrics';
export {
  DEFAULT_METRICS_PORT,
  METRICS_HOST,
  METRICS_PATH,
  MetricsServer,
  isLoopbackHost,
  resolveMetricsPort,
  type MetricsPortSetting,
  type MetricsServerOptions,
} from './server';
export { instrumentHandlers, instrumentLogger } from './instrument';
export * from './labels';
