import path from 'node:path';
import electronLog from 'electron-log/node';
import type { Logger, LogLevel } from './logger';

export type { Logger, LogLevel, LogRecord } from './logger';
export { createMemoryLogger } from './logger';

export type FileLoggerOptions = Readonly<{
  /** Folder for main.log and its rotated siblings. */
  dir: string;
  /** Console output is for `npm start`; packaged apps and tests keep the console quiet. */
  console?: boolean;
  level?: LogLevel;
  /** A distinct id keeps two cores in one process (tests) from sharing a transport. */
  logId?: string;
}>;

/**
 * electron-log's node flavour, not its main flavour: the main flavour requires `electron`
 * at import time, which would stop the core from running in plain Node.
 */
export function createFileLogger(options: FileLoggerOptions): Logger & { filePath: string } {
  const log = electronLog.create({ logId: options.logId ?? `nova-${process.pid}-${Date.now()}` });
  const filePath = path.join(options.dir, 'main.log');
  log.transports.file.resolvePathFn = () => filePath;
  log.transports.file.level = options.level ?? 'info';
  log.transports.file.format = '[{iso}] [{level}] [{processType}] {scope} {text}';
  log.transports.console.level = options.console === true ? (options.level ?? 'info') : false;
  log.variables['processType'] = 'main';
  log.scope.labelPadding = false;

  const wrap = (fns: Pick<typeof log, 'error' | 'warn' | 'info' | 'debug'>, scope: string): Logger => ({
    error: (m, ...d) => fns.error(m, ...d),
    warn: (m, ...d) => fns.warn(m, ...d),
    info: (m, ...d) => fns.info(m, ...d),
    debug: (m, ...d) => fns.debug(m, ...d),
    scope: (name) => {
      const full = scope ? `${scope}.${name}` : name;
      return wrap(log.scope(full), full);
    },
  });
  return Object.assign(wrap(log, ''), { filePath });
}
