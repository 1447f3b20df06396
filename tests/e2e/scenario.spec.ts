/**
 * The end-to-end scenario: the built renderer in Chromium, a real core (SQLite, outbox,
 * connection) and the reference server on loopback. Each state leaves a screenshot in
 * test-results/ for a person to look at.
 */
import fs from 'node:fs';
import { expect, test, type Browser, type Page } from '@playwright/test';
import type { Core } from '../../src/main/core';
import { MemorySecretStore } from '../../src/main/core/secret-store';
import { makeTempDir, makeTestCore } from '../support/core';
import { attachCore, screenshotPath, serveRenderer } from './harness';
import { E2E_TIMING, VIEWPORT, expectConnected, fillSignIn, openConversation, reconnect, startDemoServer } from './session';

type App = Readonly<{ core: Core; page: Page; close: () => Promise<void> }>;

/** Starts a core on `dataDir` and opens the renderer on it, as launching the app would. */
async function launch(browser: Browser, site: string, dataDir: string, serverUrl: string, secrets: MemorySecretStore): Promise<App> {
  const { core, cleanup } = makeTestCore({ dataDir, serverUrl, secretStore: secrets, isDemoServer: true, timing: E2E_TIMING });
  await core.start();
  const context = await browser.newContext({ viewport: VIEWPORT });
  const page = await context.newPage();
  const bridge = await attachCore(page, core, site);
  await page.goto(site);
  return {
    core,
    page,
    close: async () => {
      bridge.dispose();
      await context.close();
      // The data folder outlives this core: the next launch reopens it.
      await core.stop();
      void cleanup;
    },
  };
}

function messages(page: Page) {
  return page.getByTestId('message');
}

test('sign in, send, lose the server, compose offline, restart, deliver in order, fail, get signed out', async ({ browser }) => {
  test.setTimeout(120_000);
  const dataDir = makeTempDir('nova-e2e-');
  const demo = await startDemoServer();
  let server = demo.handle;
  const site = await serveRenderer();
  const secrets = new MemorySecretStore();
  let app = await launch(browser, site.url, dataDir, server.url, secrets);
  let page = app.page;
  try {
    // 1. Sign in: the server is shown and the demo accounts are named.
    await expect(page.getByTestId('server-url')).toHaveText(server.url);
    await expect(page.getByTestId('demo-accounts')).toContainText('alice@nova.local');
    await page.screenshot({ path: screenshotPath('scenario-01-sign-in') });
    await fillSignIn(page, 'alice');
    const indicator = page.getByTestId('connection-indicator');
    await expectConnected(page, 10_000);

    // 2. Send: the message goes from saved to sent.
    await openConversation(page, 'Bob Chen');
    let composer = page.getByTestId('composer-input');
    await composer.fill('Hello Bob, online');
    await composer.press('Enter');
    const first = messages(page).filter({ hasText: 'Hello Bob, online' });
    await expect(first).toHaveAttribute('data-state', 'sent', { timeout: 10_000 });
    await page.screenshot({ path: screenshotPath('scenario-02-sent') });

    // 3. The server goes away: the indicator says so at once, the banner after 5 s.
    await demo.stop();
    await expect(indicator).not.toHaveAttribute('data-state', 'CONNECTED', { timeout: 10_000 });
    const banner = page.getByTestId('connection-banner');
    await expect(banner).toBeVisible({ timeout: 10_000 });
    await expect(banner).toContainText(/Reconnecting|Connecting/);

    // 4. Three messages composed offline show as saved, and the banner counts them as safe.
    for (const text of ['offline one', 'offline two', 'offline three']) {
      await composer.fill(text);
      await composer.press('Enter');
      await expect(messages(page).filter({ hasText: text })).toHaveAttribute('data-state', 'saved');
    }
    await expect(banner).toContainText('3 messages are waiting — safe on this computer');
    await expect(page.getByTestId('outbox-button')).toContainText('3');
    await page.screenshot({ path: screenshotPath('scenario-03-offline-saved') });

    // 5. The core restarts, as the app would: the three are still there, still saved.
    await app.close();
    app = await launch(browser, site.url, dataDir, server.url, secrets);
    page = app.page;
    composer = page.getByTestId('composer-input');
    await openConversation(page, 'Bob Chen');
    for (const text of ['offline one', 'offline two', 'offline three']) {
      await expect(messages(page).filter({ hasText: text })).toHaveAttribute('data-state', 'saved');
    }
    await page.getByTestId('outbox-button').click();
    await expect(page.getByTestId('outbox-item')).toHaveCount(3);
    await page.screenshot({ path: screenshotPath('scenario-04-after-restart') });
    await page.getByRole('button', { name: 'Close' }).click();

    // 6. The server returns: "Retry now" reconnects at once, and they arrive in order.
    server = await demo.restart();
    await reconnect(page);
    for (const text of ['offline one', 'offline two', 'offline three']) {
      await expect(messages(page).filter({ hasText: text })).toHaveAttribute('data-state', 'sent', { timeout: 10_000 });
    }
    const conversationId = server.seed?.conversations.direct ?? '';
    const onServer = server.control.listMessages(conversationId).map((m) => m.plaintext);
    expect(onServer.slice(-4)).toEqual(['Hello Bob, online', 'offline one', 'offline two', 'offline three']);
    await expect(page.getByTestId('connection-banner')).toBeHidden();
    await page.screenshot({ path: screenshotPath('scenario-05-delivered-in-order') });

    // 7. A 400 from the server: the message is marked failed and a toast offers retry and discard.
    server.control.failNextSends(1, { status: 400 });
    await composer.fill('this one is refused');
    await composer.press('Enter');
    const refused = messages(page).filter({ hasText: 'this one is refused' });
    await expect(refused).toHaveAttribute('data-state', 'failed', { timeout: 10_000 });
    const toast = page.getByTestId('toast').filter({ has: page.getByRole('button', { name: 'Discard' }) });
    await expect(toast.getByRole('button', { name: 'Retry' })).toBeVisible();
    await refused.getByTestId('message-status').click();
    await expect(page.getByTestId('timeline')).toContainText('Refused by the server');
    await page.screenshot({ path: screenshotPath('scenario-06-failed-toast') });
    await toast.getByRole('button', { name: 'Discard' }).click();
    await expect(refused).toHaveCount(0);
    expect(server.control.listMessages(conversationId).map((m) => m.plaintext)).not.toContain('this one is refused');

    // 8. The token is revoked: the app says "Signed out" and asks to sign in again.
    server.control.revokeUser('alice@nova.local');
    await expect(page.getByTestId('connection-banner')).toContainText('Signed out', { timeout: 10_000 });
    await expect(page.getByRole('button', { name: 'Sign in', exact: true })).toBeVisible();
    await expect(page.getByTestId('toast').filter({ hasText: 'signed out' })).toBeVisible();
    await page.screenshot({ path: screenshotPath('scenario-07-signed-out') });
  } finally {
    await app.close();
    await site.close();
    await demo.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
});
