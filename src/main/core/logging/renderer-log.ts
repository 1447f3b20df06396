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
  /** UTF-8 bytes per second (scope and message): 50 lines of 4,096 wide characters would be 600 KiB/s. */
  bytesPerSecond: number;
  /** Bytes it may log at once after being quiet. */
  burstBytes: number;
}>;

export const DEFAULT_RENDERER_LOG_LIMITS: RendererLogLimits = {
  linesPerSecond: 50,
  burst: 200,
  bytesPerSecond: 8 * 1024,
  burstBytes: 64 * 1024,
};

/**
 * Two token buckets (lines and bytes) in front of the renderer's `log:write` lines, so a runaway
 * renderer (a render loop logging every frame, or a few huge lines) cannot fill the disk. Dropped
 * lines are counted and reported in one line to `report` (the main log, so the flood is visible
 * there even when the renderer's own file has rotated) when the renderer may log again, or at
 * shutdown.
 */
export function createRendererLogWriter(
  log: Logger,
  now: () => number,
  limits: Partial<RendererLogLimits> = {},
  report: Logger = log,
): RendererLogWriter {
  const l = { ...DEFAULT_RENDERER_LOG_LIMITS, ...limits };
  let lines = l.burst;
  let bytes = l.burstBytes;
  let refilledAt = now();
  let dropped = 0;

  const reportDropped = (): void => {
    if (dropped === 0) return;
    report.warn(`${dropped} renderer log ${dropped === 1 ? 'line' : 'lines'} dropped (rate limit)`);
    dropped = 0;
  };

  return {
    write(line) {
      const at = now();
      const seconds = Math.max(0, at - refilledAt) / 1000;
      lines = Math.min(l.burst, lines + seconds * l.linesPerSecond);
      bytes = Math.min(l.burstBytes, bytes + seconds * l.bytesPerSecond);
      refilledAt = at;
      const size = Buffer.byteLength(line.scope, 'utf8') + Buffer.byteLength(line.message, 'utf8');
      if (lines < 1 || bytes < size) {
        dropped += 1;
        return;
      }
      lines -= 1;
      bytes -= size;
      reportDropped();
      log.scope(line.scope)[line.level](line.message);
    },
    flush: reportDropped,
  };
}
