import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { CoreOptions } from '../../src/main/core';
import { createCoreForTests, type TestCore } from '../../src/main/core/testing';
import { createMemoryLogger, type LogRecord } from '../../src/main/core/logging';

export function makeTempDir(prefix = 'nova-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/**
 * A core on a fresh data folder with an in-memory log, stopped and removed by the returned cleanup.
 * The metrics endpoint is off unless the test asks (`metricsPort: 0`), so parallel tests never collide.
 */
export function makeTestCore(overrides: Partial<CoreOptions> = {}): {
  core: TestCore;
  records: LogRecord[];
  dataDir: string;
  cleanup: () => Promise<void>;
} {
  const dataDir = overrides.dataDir ?? makeTempDir();
  const logger = createMemoryLogger();
  const core = createCoreForTests({ dataDir, serverUrl: 'http://127.0.0.1:9', logger, metricsPort: 'off', ...overrides });
  return {
    core,
    records: logger.records,
    dataDir,
    cleanup: async () => {
      await core.stop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
