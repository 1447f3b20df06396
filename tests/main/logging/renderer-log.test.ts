import { describe, expect, it } from 'vitest';
import { createMemoryLogger, createRendererLogWriter } from '../../../src/main/core/logging';

describe('renderer log rate limit', () => {
  it('lets a burst through, drops a runaway renderer, and reports the drops in one line', () => {
    const logger = createMemoryLogger();
    let now = 0;
    const writer = createRendererLogWriter(logger.scope('renderer'), () => now, { linesPerSecond: 50, burst: 200, burstBytes: 1e9 });
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

  it('limits bytes per second too: a few huge lines cannot pass where many small ones could', () => {
    const main = createMemoryLogger();
    const renderer = createMemoryLogger();
    let now = 0;
    const writer = createRendererLogWriter(renderer.scope('renderer'), () => now, { bytesPerSecond: 8_192, burstBytes: 65_536 }, main.scope('renderer'));
    const big = 'é'.repeat(4_000); // 8,000 bytes in UTF-8
    for (let index = 0; index < 100; index += 1) writer.write({ level: 'info', scope: 's', message: big });
    // 65,536 bytes of burst hold 8 lines of 8,001 bytes; lines are far below their own limit
    expect(renderer.records).toHaveLength(8);
    now += 1_000; // 8,192 bytes more: one line
    writer.write({ level: 'info', scope: 's', message: big });
    writer.write({ level: 'info', scope: 's', message: big });
    expect(renderer.records).toHaveLength(9);
    // the drop report goes to the main log, not the renderer's file
    expect(main.records.map((r) => [r.level, r.scope])).toEqual([['warn', 'renderer']]);
    expect(renderer.records.every((r) => r.level === 'info')).toBe(true);
    writer.flush();
    expect(main.records).toHaveLength(2);
  });
});
