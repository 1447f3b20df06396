/**
 * Steering one's own messages, end to end: the built renderer in Chromium, a real core and the
 * reference server on loopback. Send now on a message waiting out its backoff; cancel, edit and
 * withdraw queued messages offline and see exactly one outcome on the server; edit and delete a
 * sent message. Screenshots go to test-results/.
 */
import { expect, test, type Browser, type Page } from '@playwright/test';
import { startServer, type ServerHandle } from '../../server/index';
import { DEMO_PASSWORD } from '../../server/seed';
import type { Core, CoreOptions, Timing } from '../../src/main/core';
import { MemorySecretStore } from '../../src/main/core/secret-store';
import { makeTempDir, makeTestCore } from '../support/core';
import { attachCore, screenshotPath, serveRenderer } from './harness';

const TIMING: Partial<Timing> = {
  backoffBaseMs: 200,
  backoffCapMs: 1_000,
  giveUpAfterFailures: 1_000,
  heartbeatIntervalMs: 2_000,
  heartbeatTimeoutMs: 1_000,
  handshakeWaitMs: 500,
  connectTimeoutMs: 2_000,
  retryBaseMs: 200,
  retryCapMs: 1_000,
};

type Rig = Readonly<{ server: ServerHandle; core: Core; page: Page; close: () => Promise<void>; restartServer: () => Promise<void> }>;

/** A server (restartable on the same port and file), a core and the page, signed in as Alice, in the direct conversation. */
async function open(browser: Browser, core: Partial<CoreOptions> = {}): Promise<Rig> {
  const work = makeTempDir('nova-e2e-own-');
  const serverOptions = { seed: true, bcryptRounds: 4, dataFile: `${work}/server.db`, jwtSecret: 'e2e-own-messages-secret-long-enough' };
  let server = await startServer(serverOptions);
  const port = server.port;
  const site = await serveRenderer();
  const made = makeTestCore({ dataDir: `${work}/app`, serverUrl: server.url, secretStore: new MemorySecretStore(), isDemoServer: true, ...core, timing: { ...TIMING, ...core.timing } });
  await made.core.start();
  const context = await browser.newContext({ viewport: { width: 1100, height: 720 } });
  const page = await context.newPage();
  const bridge = await attachCore(page, made.core, site.url);
  await page.goto(site.url);
  await page.getByLabel('E-mail').fill('alice@nova.local');
  await page.getByLabel('Password').fill(DEMO_PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByTestId('connection-indicator')).toHaveAttribute('data-state', 'CONNECTED', { timeout: 10_000 });
  await page.getByTestId('conversation').filter({ hasText: 'Bob Chen' }).first().click();
  await expect(page.getByTestId('thread')).toBeVisible();
  const rig = {
    get server() {
      return server;
    },
    core: made.core,
    page,
    close: async () => {
      bridge.dispose();
      await context.close();
      await made.cleanup();
      await server.close();
    },
    restartServer: async () => {
      server = await startServer({ ...serverOptions, port });
      const retry = page.getByRole('button', { name: 'Retry now' });
      if (await retry.isVisible()) await retry.click();
      await expect(page.getByTestId('connection-indicator')).toHaveAttribute('data-state', 'CONNECTED', { timeout: 15_000 });
    },
  };
  return rig;
}

function message(page: Page, text: string) {
  return page.getByTestId('message').filter({ hasText: text });
}

async function send(page: Page, text: string): Promise<void> {
  const composer = page.getByTestId('composer-input');
  await composer.fill(text);
  await composer.press('Enter');
  await expect(message(page, text)).toBeVisible();
}

/** The server's own messages from Alice in the direct conversation, as text ('' when deleted). */
function aliceOnServer(rig: Rig): Array<{ text: string; deleted: boolean }> {
  const seed = rig.server.seed;
  if (!seed) throw new Error('no seed');
  return rig.server.control
    .listMessages(seed.conversations.direct)
    .filter((m) => m.sender_id === seed.users.alice)
    .map((m) => ({ text: m.plaintext ?? '', deleted: m.deleted_at != null }));
}

test('Send now sends a message that waits out a long backoff', async ({ browser }) => {
  // A minute of backoff after a 503: without Send now it would still wait when the test ends.
  const rig = await open(browser, { timing: { retryBaseMs: 60_000, retryCapMs: 60_000 }, random: () => 0.99 });
  try {
    const { page } = rig;
    rig.server.control.failNextSends(1, { status: 503 });
    await send(page, 'after a 503');
    await page.getByTestId('outbox-button').click();
    const item = page.getByTestId('outbox-item');
    await expect(item).toContainText('SERVICE_UNAVAILABLE', { timeout: 10_000 });
    await expect(item).toContainText(/in (59|1:00|60|5\d) s|in 1 min/);
    await page.screenshot({ path: screenshotPath('own-01-backing-off') });
    await item.getByRole('button', { name: 'Send now' }).click();
    await expect(message(page, 'after a 503')).toHaveAttribute('data-state', 'sent', { timeout: 5_000 });
    expect(aliceOnServer(rig).filter((m) => m.text === 'after a 503')).toHaveLength(1);
  } finally {
    await rig.close();
  }
});

test('a message queued offline is cancelled and never reaches the server', async ({ browser }) => {
  const rig = await open(browser);
  try {
    const { page } = rig;
    await rig.server.close();
    await expect(page.getByTestId('connection-indicator')).not.toHaveAttribute('data-state', 'CONNECTED', { timeout: 10_000 });
    await send(page, 'never mind');
    await send(page, 'this one goes');
    await message(page, 'never mind').getByRole('button', { name: 'Cancel sending' }).click();
    await expect(message(page, 'never mind')).toHaveCount(0);
    await page.screenshot({ path: screenshotPath('own-02-cancelled-offline') });
    await rig.restartServer();
    await expect(message(page, 'this one goes')).toHaveAttribute('data-state', 'sent', { timeout: 10_000 });
    expect(aliceOnServer(rig).map((m) => m.text)).not.toContain('never mind');
  } finally {
    await rig.close();
  }
});

test('edit and cancel queued messages offline, then reconnect: exactly one outcome on the server', async ({ browser }) => {
  const rig = await open(browser);
  try {
    const { page } = rig;
    await rig.server.close();
    await expect(page.getByTestId('connection-indicator')).not.toHaveAttribute('data-state', 'CONNECTED', { timeout: 10_000 });
    await send(page, 'first draft');
    await send(page, 'withdraw me');
    // ↑ in the empty composer edits the last own message; Esc leaves it as it was.
    const composer = page.getByTestId('composer-input');
    await composer.press('ArrowUp');
    await expect(page.getByTestId('composer-editing')).toBeVisible();
    await expect(composer).toHaveValue('withdraw me');
    await composer.press('Escape');
    await expect(page.getByTestId('composer-editing')).toBeHidden();
    await message(page, 'first draft').getByRole('button', { name: 'Edit message' }).click();
    await expect(composer).toHaveValue('first draft');
    await composer.fill('final words');
    await composer.press('Enter');
    await expect(message(page, 'final words')).toHaveAttribute('data-state', 'saved');
    await message(page, 'withdraw me').getByRole('button', { name: 'Cancel sending' }).click();
    await expect(message(page, 'withdraw me')).toHaveCount(0);
    await page.screenshot({ path: screenshotPath('own-03-edited-and-cancelled-offline') });
    await rig.restartServer();
    await expect(message(page, 'final words')).toHaveAttribute('data-state', 'sent', { timeout: 10_000 });
    const texts = aliceOnServer(rig).map((m) => m.text);
    expect(texts.filter((t) => t === 'final words')).toHaveLength(1);
    expect(texts).not.toContain('first draft');
    expect(texts).not.toContain('withdraw me');
  } finally {
    await rig.close();
  }
});

test('a sent message is edited, then deleted, on the server', async ({ browser }) => {
  const rig = await open(browser);
  try {
    const { page } = rig;
    await send(page, 'helo');
    await expect(message(page, 'helo')).toHaveAttribute('data-state', 'sent', { timeout: 10_000 });
    await message(page, 'helo').getByRole('button', { name: 'Edit message' }).click();
    const composer = page.getByTestId('composer-input');
    await composer.fill('hello');
    await composer.press('Enter');
    const edited = message(page, 'hello');
    await expect(edited.getByTestId('message-edited')).toBeVisible();
    expect(aliceOnServer(rig).at(-1)).toEqual({ text: 'hello', deleted: false });
    await page.screenshot({ path: screenshotPath('own-04-edited') });
    const key = await edited.getAttribute('data-key');
    await edited.getByRole('button', { name: 'Delete message' }).click();
    const row = page.locator(`[data-testid="message"][data-key="${key}"]`);
    await expect(row.getByTestId('message-deleted')).toBeVisible();
    expect(aliceOnServer(rig).at(-1)).toEqual({ text: '', deleted: true });
    await page.screenshot({ path: screenshotPath('own-05-deleted') });
  } finally {
    await rig.close();
  }
});
