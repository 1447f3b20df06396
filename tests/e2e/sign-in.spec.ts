import { expect, test } from '@playwright/test';
import { startServer } from '../../server/index';
import { makeTestCore } from '../support/core';
import { attachCore, screenshotPath, serveRenderer } from './harness';

test('the sign-in screen shows the server it talks to and names the demo accounts', async ({ page }) => {
  const server = await startServer({ seed: true, bcryptRounds: 4 });
  const { core, cleanup } = makeTestCore({ serverUrl: server.url, isDemoServer: true });
  await core.start();
  const site = await serveRenderer();
  const bridge = await attachCore(page, core, site.url);
  try {
    await page.setViewportSize({ width: 1100, height: 720 });
    await page.goto(site.url);
    await expect(page.getByTestId('server-url')).toHaveText(server.url);
    const demo = page.getByTestId('demo-accounts');
    await expect(demo).toContainText('alice@nova.local');
    await expect(demo).toContainText('carol@nova.local — uses two-factor sign-in');
    await demo.getByRole('button', { name: 'bob@nova.local' }).click();
    await expect(page.getByLabel('E-mail')).toHaveValue('bob@nova.local');
    await expect(page.getByTestId('connection-indicator')).toContainText('Signed out');
    await page.screenshot({ path: screenshotPath('sign-in') });
  } finally {
    bridge.dispose();
    await site.close();
    await cleanup();
    await server.close();
  }
});
