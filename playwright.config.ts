import { execFileSync } from 'node:child_process';
import { defineConfig } from '@playwright/test';

/** CHROMIUM_PATH, else a chromium on the PATH (Debian's), else Playwright's own browser. */
function chromiumPath(): string | undefined {
  if (process.env['CHROMIUM_PATH']) return process.env['CHROMIUM_PATH'];
  for (const name of ['chromium', 'chromium-browser']) {
    try {
      return execFileSync('which', [name], { encoding: 'utf8' }).trim() || undefined;
    } catch {
      // not on the PATH; try the next name
    }
  }
  return undefined;
}

const executablePath = chromiumPath();

export default defineConfig({
  testDir: 'tests/e2e',
  testMatch: '**/*.spec.ts',
  outputDir: 'test-results/playwright',
  workers: 1,
  timeout: 60_000,
  forbidOnly: true,
  // No retries: the rare spec timeout once retried here was the renderer server's close()
  // waiting 60 s for a speculative Chromium connection (fixed in tests/e2e/harness.ts).
  retries: 0,
  reporter: [['list']],
  use: {
    headless: true,
    launchOptions: {
      ...(executablePath ? { executablePath } : {}),
      args: [
        '--disable-gpu',
        '--disable-dev-shm-usage',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    },
  },
});
