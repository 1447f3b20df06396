import { expect, test } from '@playwright/test';
import type { CoreEventBus } from '../../src/main/core/events';
import { makeTestCore } from '../support/core';
import { attachCore, screenshotPath, serveRenderer } from './harness';

test('the app shell renders and shows the connection state the core reports', async ({ page }) => {
  const { core, cleanup } = makeTestCore();
  await core.start();
  const site = await serveRenderer();
  const bridge = await attachCore(page, core, site.url);
  try {
    await page.goto(site.url);
    const indicator = page.getByTestId('connection-indicator');
    await expect(indicator).toHaveAttribute('data-state', 'CLOSED');
    await expect(indicator).toContainText('Signed out');

    // A push from the core travels the event path into the page.
    (core.events as CoreEventBus).emit('connection:changed', {
      state: 'CONNECTED',
      reason: 'handshake complete',
      since: Date.now(),
      attempt: 0,
      nextAttemptAt: null,
      lastRttMs: 12,
      isOsOffline: false,
      pendingCount: 0,
    });
    await expect(indicator).toHaveAttribute('data-state', 'CONNECTED');
    await expect(indicator).toHaveAttribute('title', /round trip 12 ms/);
    await page.screenshot({ path: screenshotPath('smoke-shell') });
  } finally {
    bridge.dispose();
    await site.close();
    await cleanup();
  }
});
