/**
 * Edits, deletes and offline search, end to end: the built renderer in Chromium, a real core
 * (SQLite with its full-text index) reaching the reference server through a fault proxy, so
 * the test can take this client offline while Bob, on the server directly, edits and deletes.
 */
import fs from 'node:fs';
import { expect, test, type Browser, type Locator, type Page } from '@playwright/test';
import { startServer, type ServerHandle } from '../../server/index';
import { DEMO_PASSWORD } from '../../server/seed';
import type { Core, Timing } from '../../src/main/core';
import { MemorySecretStore } from '../../src/main/core/secret-store';
import { makeTempDir, makeTestCore } from '../support/core';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy';
import { api, login } from '../server/helpers';
import { attachCore, screenshotPath, serveRenderer } from './harness';

const TIMING: Partial<Timing> = {
  backoffBaseMs: 100,
  backoffCapMs: 400,
  giveUpAfterFailures: 1_000,
  heartbeatIntervalMs: 1_000,
  heartbeatTimeoutMs: 1_000,
  handshakeWaitMs: 500,
  connectTimeoutMs: 2_000,
  retryBaseMs: 100,
  retryCapMs: 500,
};

type Rig = Readonly<{
  core: Core;
  page: Page;
  server: ServerHandle;
  proxy: FaultProxy;
  bob: string;
  direct: string;
  close: () => Promise<void>;
}>;

async function open(browser: Browser): Promise<Rig> {
  const work = makeTempDir('nova-e2e-search-');
  const server = await startServer({ seed: true, bcryptRounds: 4 });
  const proxy = await startFaultProxy(server.port);
  const site = await serveRenderer();
  const { core } = makeTestCore({ dataDir: `${work}/app`, serverUrl: proxy.url, secretStore: new MemorySecretStore(), isDemoServer: true, timing: TIMING });
  await core.start();
  const signedIn = await core.handlers['auth:login']({ email: 'alice@nova.local', password: DEMO_PASSWORD });
  expect(signedIn.status).toBe('signed_in');
  const context = await browser.newContext({ viewport: { width: 1100, height: 720 } });
  const page = await context.newPage();
  const bridge = await attachCore(page, core, site.url);
  await page.goto(site.url);
  await expect(page.getByTestId('connection-indicator')).toHaveAttribute('data-state', 'CONNECTED', { timeout: 10_000 });
  return {
    core,
    page,
    server,
    proxy,
    bob: (await login(server, 'bob@nova.local')).access_token,
    direct: server.seed?.conversations.direct ?? '',
    close: async () => {
      bridge.dispose();
      await context.close();
      await core.stop();
      await proxy.close();
      await site.close();
      await server.close();
      fs.rmSync(work, { recursive: true, force: true });
    },
  };
}

async function bobSends(rig: Rig, text: string): Promise<string> {
  const r = await api(rig.server, 'POST', `/conversations/${rig.direct}/messages`, { token: rig.bob, body: { plaintext: text } });
  expect(r.status).toBe(200);
  return (r.body as { id: string }).id;
}

async function bobEdits(rig: Rig, id: string, text: string): Promise<void> {
  expect((await api(rig.server, 'PUT', `/messages/${id}`, { token: rig.bob, body: { plaintext: text } })).status).toBe(204);
}

async function bobDeletes(rig: Rig, id: string): Promise<void> {
  expect((await api(rig.server, 'DELETE', `/messages/${id}`, { token: rig.bob })).status).toBe(204);
}

/** Cuts this client off: the connection drops and new attempts are refused. */
async function goOffline(rig: Rig): Promise<void> {
  rig.proxy.refuse(true);
  rig.proxy.cutAll();
  await expect(rig.page.getByTestId('connection-indicator')).not.toHaveAttribute('data-state', 'CONNECTED', { timeout: 10_000 });
}

async function goOnline(rig: Rig): Promise<void> {
  rig.proxy.refuse(false);
  await expect(rig.page.getByTestId('connection-indicator')).toHaveAttribute('data-state', 'CONNECTED', { timeout: 15_000 });
}

/** The direct conversation with Bob, by its name (a group's preview may name him too). */
function directRow(page: Page): Locator {
  return page.getByTestId('conversation').filter({ has: page.locator('.conversation-name', { hasText: /^Bob Chen$/ }) });
}

function message(page: Page, serverId: string) {
  return page.locator(`[data-testid="message"][data-key="${serverId}"]`);
}

test('a remote edit and a remote delete show in the thread, live and after being offline', async ({ browser }) => {
  const rig = await open(browser);
  const { page } = rig;
  try {
    const live = await bobSends(rig, 'Are we meeting at 10?');
    const liveGone = await bobSends(rig, 'Bring the slides');
    const away = await bobSends(rig, 'Room 4 is booked');
    const awayGone = await bobSends(rig, 'My phone number is 555-0100');
    await directRow(page).click();
    await expect(message(page, awayGone)).toContainText('555-0100');

    // Live: the text changes in place with an "edited" mark; a delete leaves a placeholder.
    await bobEdits(rig, live, 'Are we meeting at 11?');
    await expect(message(page, live)).toContainText('Are we meeting at 11?');
    await expect(message(page, live).getByTestId('message-edited')).toBeVisible();
    await bobDeletes(rig, liveGone);
    await expect(message(page, liveGone).getByTestId('message-deleted')).toBeVisible();
    await expect(message(page, liveGone)).not.toContainText('slides');

    // Offline: Bob edits and deletes while we are away; the reconnect brings both.
    await goOffline(rig);
    await bobEdits(rig, away, 'Room 5 is booked');
    await bobDeletes(rig, awayGone);
    await expect(message(page, away)).toContainText('Room 4 is booked');
    await goOnline(rig);
    await expect(message(page, away)).toContainText('Room 5 is booked', { timeout: 10_000 });
    await expect(message(page, away).getByTestId('message-edited')).toBeVisible();
    await expect(message(page, awayGone).getByTestId('message-deleted')).toBeVisible();
    await expect(message(page, awayGone)).not.toContainText('555-0100');
    await page.screenshot({ path: screenshotPath('messenger-edited-deleted') });
  } finally {
    await rig.close();
  }
});

test('search offline across conversations, highlighted, and jump to an old message in its thread', async ({ browser }) => {
  const rig = await open(browser);
  const { page } = rig;
  try {
    // A long thread: the match is far above the newest page the thread loads first.
    const target = await bobSends(rig, 'The invoice for the harbour project is attached');
    for (let i = 1; i <= 150; i += 1) await bobSends(rig, `filler message ${i}`);
    const team = rig.server.seed?.conversations.team ?? '';
    const other = await api(rig.server, 'POST', `/conversations/${team}/messages`, { token: rig.bob, body: { plaintext: 'Harbour meeting moved to Monday' } });
    expect(other.status).toBe(200);
    // Read on another device: the thread opens at its newest page (fillers 51–150), well below the target.
    await rig.core.handlers['messages:markRead']({ conversationId: rig.direct });
    await expect(directRow(page).getByTestId('unread-count')).toHaveCount(0);
    await directRow(page).click();
    await expect(page.getByTestId('message').filter({ hasText: /filler message \d+/ }).first()).toBeVisible({ timeout: 10_000 });
    await expect(message(page, target)).toHaveCount(0);

    await goOffline(rig);
    await page.keyboard.press('Control+f');
    const panel = page.getByTestId('search-panel');
    await expect(panel).toBeVisible();
    await page.getByTestId('search-input').fill('harb');
    const hits = page.getByTestId('search-hit');
    await expect(hits).toHaveCount(2);
    await expect(hits.first().locator('mark').first()).toHaveText(/harbour/i);
    await page.screenshot({ path: screenshotPath('messenger-search-panel') });
    // Within the open conversation only.
    await page.getByTestId('search-scope').check();
    await expect(hits).toHaveCount(1);
    await expect(hits.first()).toHaveAttribute('data-key', target);

    await hits.first().click();
    await expect(panel).toBeHidden();
    const found = message(page, target);
    await expect(found).toBeVisible({ timeout: 10_000 });
    await expect(found).toHaveAttribute('data-jump-target', 'true');
    await expect(found).toBeInViewport();
    await page.screenshot({ path: screenshotPath('messenger-search-jump') });

    // Escape closes the panel; a search with no match says so.
    await page.getByTestId('search-button').click();
    await page.getByTestId('search-input').fill('zebra crossing');
    await expect(page.getByTestId('search-empty')).toBeVisible();
    await page.keyboard.press('Escape');
    await expect(panel).toBeHidden();
  } finally {
    await rig.close();
  }
});
