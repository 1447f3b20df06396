import type { Logger, LogLevel } from './logger';

export type RendererLogLine = Readonly<{ level: LogLevel; scope: string; message: string }>;

export type RendererLogWriter = Readonly<{
  write(line: RendererLogLine): void;
  /** Writes the "N lines dropped" line for drops not yet reported (call when stopping). */
  flush(): void;
}>;

export type RendererLogLimits = Readonly<{
  /** Lines per second a renderer may log over time. */
  linesPerSecond: number;
  /** Lines it may log at once after being quiet. */
  burst: number;
}>;

export const DEFAULT_RENDERER_LOG_LIMITS: RendererLogLimits = { linesPerSecond: 50, burst: 200 };

/**
 * A token bucket in front of the renderer's `log:write` lines, so a runaway renderer (a render
 * loop logging every frame) cannot fill the disk. Dropped lines are counted and reported in one
 * line when the renderer is allowed to log again, or at shutdown.
 */
export function createRendererLogWriter(
  log: Logger,
  now: () => number,
  limits: RendererLogLimits = DEFAULT_RENDERER_LOG_LIMITS,
): RendererLogWriter {
  let tokens = limits.burst;
  let refilledAt = now();
  let dropped = 0;

  const reportDropped = (): void => {
    if (dropped === 0) return;
    log.warn(`${dropped} renderer log ${dropped === 1 ? 'line' : 'lines'} dropped (rate limit)`);
    dropped = 0;
  };

  return {
    write(line) {
      const at = now();
      tokens = Math.min(limits.burst, tokens + ((at - refilledAt) / 1000) * limits.linesPerSecond);
      refilledAt = at;
      if (tokens < 1) {
        dropped += 1;
        return;
      }
      tokens -= 1;
      reportDropped();
      log.scope(line.scope)[line.level](line.message);
    },
    flush: reportDropped,
  };
}
