import { describe, expect, it } from 'vitest';
import { createMemoryLogger, createRendererLogWriter } from '../../../src/main/core/logging';

describe('renderer log rate limit', () => {
  it('lets a burst through, drops a runaway renderer, and reports the drops in one line', () => {
    const logger = createMemoryLogger();
    let now = 0;
    const writer = createRendererLogWriter(logger.scope('renderer'), () => now, { linesPerSecond: 50, burst: 200 });
    for (let index = 0; index < 10_000; index += 1) writer.write({ level: 'info', scope: 'chat', message: `frame ${index}` });
    expect(logger.records).toHaveLength(200);

    now += 1_000; // 50 more tokens
    for (let index = 0; index < 60; index += 1) writer.write({ level: 'info', scope: 'chat', message: `later ${index}` });
    const dropLines = logger.records.filter((r) => r.message.includes('dropped'));
    expect(dropLines).toEqual([expect.objectContaining({ level: 'warn', scope: 'renderer', message: '9800 renderer log lines dropped (rate limit)' })]);
    expect(logger.records.filter((r) => r.message.startsWith('later'))).toHaveLength(50);

    writer.flush();
    expect(logger.records.at(-1)?.message).toBe('10 renderer log lines dropped (rate limit)');
    writer.flush();
    expect(logger.records.filter((r) => r.message.includes('dropped'))).toHaveLength(2);
  });
});
