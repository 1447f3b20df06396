/** The logging surface services depend on. Each module gets its own scope (G14). */
export interface Logger {
  error(message: string, ...details: unknown[]): void;
  warn(message: string, ...details: unknown[]): void;
  info(message: string, ...details: unknown[]): void;
  debug(message: string, ...details: unknown[]): void;
  scope(name: string): Logger;
}

export type LogLevel = 'error' | 'warn' | 'info' | 'debug';

export type LogRecord = Readonly<{ level: LogLevel; scope: string; message: string; details: unknown[] }>;

/** Keeps records in memory; for tests that assert what was logged. */
export function createMemoryLogger(records: LogRecord[] = [], scope = ''): Logger & { records: LogRecord[] } {
  const at =
    (level: LogLevel) =>
    (message: string, ...details: unknown[]): void => {
      records.push({ level, scope, message, details });
    };
  return {
    records,
    error: at('error'),
    warn: at('warn'),
    info: at('info'),
    debug: at('debug'),
    scope: (name: string) => createMemoryLogger(records, scope ? `${scope}.${name}` : name),
  };
}
