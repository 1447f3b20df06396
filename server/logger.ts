/** The server never writes to the console itself; callers inject where logs go. */
export type Logger = Readonly<{
  debug: (msg: string, data?: Record<string, unknown>) => void;
  info: (msg: string, data?: Record<string, unknown>) => void;
  warn: (msg: string, data?: Record<string, unknown>) => void;
  error: (msg: string, data?: Record<string, unknown>) => void;
}>;

const noop = (): void => undefined;
export const silentLogger: Logger = { debug: noop, info: noop, warn: noop, error: noop };

/** A line-per-event logger for the CLI; `write` is injected so tests can capture it. */
export function createLineLogger(write: (line: string) => void, minLevel: 'debug' | 'info' = 'info'): Logger {
  const line =
    (level: string) =>
    (msg: string, data?: Record<string, unknown>): void =>
      write(`${new Date().toISOString()} ${level} ${msg}${data ? ` ${JSON.stringify(data)}` : ''}`);
  return {
    debug: minLevel === 'debug' ? line('debug') : noop,
    info: line('info'),
    warn: line('warn'),
    error: line('error'),
  };
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
