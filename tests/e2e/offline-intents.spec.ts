/**
 * Cancelling and editing, while offline, a message that was sent but never acknowledged: the
 * built renderer in Chromium, a real core, the fault proxy and the reference server. The click
 * counts at once ("Cancel requested", "Edit saved"), can be undone, and is settled with the server
 * when the connection returns. Screenshots go to test-results/.
 */
import { expect, test, type Browser, type Page } from '@playwright/test';
import { startServer, type ServerHandle } from '../../server/index';
import { DEMO_PASSWORD } from '../../server/seed';
import type { Core, Timing } from '../../src/main/core';
import { MemorySecretStore } from '../../src/main/core/secret-store';
import { makeTestCore } from '../support/core';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy';
import { attachCore, screenshotPath, serveRenderer } from './harness';

const TIMING: Partial<Timing> = {
  backoffBaseMs: 100,
  backoffCapMs: 300,
  giveUpAfterFailures: 1_000,
  heartbeatIntervalMs: 5_000,
  heartbeatTimeoutMs: 5_000,
  handshakeWaitMs: 1_000,
  connectTimeoutMs: 2_000,
  retryBaseMs: 100,
  retryCapMs: 500,
  ackTimeoutMs: 30_000,
};

type Rig = Readonly<{ server: ServerHandle; proxy: FaultProxy; core: Core; page: Page; close: () => Promise<void> }>;

/** Alice in her direct conversation with Bob, connected through the fault proxy. */
async function open(browser: Browser): Promise<Rig> {
  const server = await startServer({ seed: true, bcryptRounds: 4 });
  const proxy = await startFaultProxy(server.port);
  const site = await serveRenderer();
  const made = makeTestCore({ serverUrl: proxy.url, secretStore: new MemorySecretStore(), isDemoServer: true, timing: TIMING });
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
  return {
    server,
    proxy,
    core: made.core,
    page,
    close: async () => {
      bridge.dispose();
      await context.close();
      await made.cleanup();
      await proxy.close();
      await site.close();
      await server.close();
    },
  };
}

function message(page: Page, text: string) {
  return page.getByTestId('message').filter({ hasText: text });
}

function onServer(rig: Rig, text: string): Array<{ text: string; deleted: boolean }> {
  const seed = rig.server.seed;
  if (!seed) throw new Error('no seed');
  return rig.server.control
    .listMessages(seed.conversations.direct)
    .filter((m) => m.sender_id === seed.users.alice && m.plaintext === text)
    .map((m) => ({ text: m.plaintext ?? '', deleted: m.deleted_at != null }));
}

async function send(page: Page, text: string): Promise<void> {
  const composer = page.getByTestId('composer-input');
  await composer.fill(text);
  await composer.press('Enter');
  await expect(message(page, text)).toBeVisible();
}

/** The link goes and nothing gets through until `online`: the message in flight is "confirming". */
async function offline(rig: Rig, text: string): Promise<void> {
  rig.proxy.refuse(true);
  rig.proxy.cutAll();
  await expect(rig.page.getByTestId('connection-indicator')).not.toHaveAttribute('data-state', 'CONNECTED', { timeout: 10_000 });
  await expect(message(rig.page, text)).toHaveAttribute('data-state', 'confirming', { timeout: 10_000 });
}

async function online(rig: Rig): Promise<void> {
  rig.proxy.refuse(false);
  await expect(rig.page.getByTestId('connection-indicator')).toHaveAttribute('data-state', 'CONNECTED', { timeout: 15_000 });
}

test('a message sent but not acknowledged, cancelled offline: "Cancel requested", then too late to cancel, and Delete removes it', async ({ browser }) => {
  const rig = await open(browser);
  try {
    const { page } = rig;
    // The server stores it; its answer (ack and echo) never comes back.
    rig.proxy.dropReplies(true);
    await send(page, 'landed but unconfirmed');
    await expect.poll(() => onServer(rig, 'landed but unconfirmed').length, { timeout: 10_000 }).toBe(1);
    await offline(rig, 'landed but unconfirmed');
    rig.proxy.dropReplies(false);
    const row = message(page, 'landed but unconfirmed');
    await row.getByRole('button', { name: 'Cancel sending' }).click();
    await expect(row).toHaveAttribute('data-state', 'cancel_pending');
    await expect(row.getByRole('button', { name: 'Undo cancel' })).toBeVisible();
    await expect(row.getByRole('button', { name: 'Edit message' })).toHaveCount(0);
    await page.screenshot({ path: screenshotPath('intent-01-cancel-requested') });
    await online(rig);
    await expect(row).toHaveAttribute('data-state', 'sent', { timeout: 10_000 });
    await expect(row.getByTestId('already-delivered')).toBeVisible();
    await page.screenshot({ path: screenshotPath('intent-02-too-late-to-cancel') });
    expect(onServer(rig, 'landed but unconfirmed')).toEqual([{ text: 'landed but unconfirmed', deleted: false }]);
    const key = await row.getAttribute('data-key');
    await row.getByRole('button', { name: 'Delete message' }).click();
    await expect(page.locator(`[data-testid="message"][data-key="${key}"]`).getByTestId('message-deleted')).toBeVisible();
    const copies = rig.server.control.listMessages(rig.server.seed?.conversations.direct ?? '').filter((m) => m.idempotency_key === key);
    expect(copies.map((m) => m.deleted_at != null)).toEqual([true]);
  } finally {
    await rig.close();
  }
});

test('a message that never reached the server, cancelled offline: withdrawn when back online, never delivered', async ({ browser }) => {
  const rig = await open(browser);
  try {
    const { page } = rig;
    // The socket's uplink goes nowhere: the send is in flight and never arrives.
    rig.proxy.stallSocketUplinks();
    await send(page, 'lost on the way');
    await expect(message(page, 'lost on the way')).toHaveAttribute('data-state', 'sending');
    await offline(rig, 'lost on the way');
    await message(page, 'lost on the way').getByRole('button', { name: 'Cancel sending' }).click();
    await expect(message(page, 'lost on the way')).toHaveAttribute('data-state', 'cancel_pending');
    await online(rig);
    await expect(message(page, 'lost on the way')).toHaveCount(0, { timeout: 10_000 });
    await send(page, 'the next one');
    await expect(message(page, 'the next one')).toHaveAttribute('data-state', 'sent', { timeout: 10_000 });
    expect(onServer(rig, 'lost on the way')).toEqual([]);
  } finally {
    await rig.close();
  }
});

test('an edit saved offline shows "Edit saved", and Undo puts the message back as it was', async ({ browser }) => {
  const rig = await open(browser);
  try {
    const { page } = rig;
    rig.proxy.stallSocketUplinks();
    await send(page, 'as first written');
    await expect(message(page, 'as first written')).toHaveAttribute('data-state', 'sending');
    await offline(rig, 'as first written');
    await message(page, 'as first written').getByRole('button', { name: 'Edit message' }).click();
    const composer = page.getByTestId('composer-input');
    await composer.fill('second thoughts');
    await composer.press('Enter');
    const row = message(page, 'second thoughts');
    await expect(row).toHaveAttribute('data-state', 'edit_pending');
    await page.screenshot({ path: screenshotPath('intent-03-edit-saved') });
    await row.getByRole('button', { name: 'Undo edit' }).click();
    await expect(message(page, 'as first written')).toHaveAttribute('data-state', 'confirming');
    await online(rig);
    await expect(message(page, 'as first written')).toHaveAttribute('data-state', 'sent', { timeout: 10_000 });
    expect(onServer(rig, 'as first written')).toEqual([{ text: 'as first written', deleted: false }]);
    expect(onServer(rig, 'second thoughts')).toEqual([]);
  } finally {
    await rig.close();
  }
});
