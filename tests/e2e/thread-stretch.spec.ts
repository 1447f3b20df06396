/**
 * A thread read far from its newest message, end to end: the built renderer in Chromium, a real
 * core (SQLite) signed in to the reference server. Bob's backlog is on the server before the core
 * signs in, so the core's catch-up caches all of it. A jump to a search result 2,100 messages back
 * pages newer until it meets the live end; a conversation opened with unread spanning pages opens
 * at the first unread message under "New messages". Each is read by scrolling, and every rendered
 * stretch of rows must be consecutive messages: nothing missing, nothing twice.
 */
import fs from 'node:fs';
import { expect, test, type Browser, type Locator, type Page } from '@playwright/test';
import { startServer, type ServerHandle } from '../../server/index';
import { DEMO_PASSWORD } from '../../server/seed';
import type { Core } from '../../src/main/core';
import { MemorySecretStore } from '../../src/main/core/secret-store';
import { makeTempDir, makeTestCore } from '../support/core';
import { api, login } from '../server/helpers';
import { attachCore, screenshotPath, serveRenderer } from './harness';

type Rig = Readonly<{ core: Core; page: Page; server: ServerHandle; direct: string; close: () => Promise<void> }>;

/** Bob's `backlog N` messages on the server, then a core that signs in and caches them all; `read`: how many Alice has read. */
async function open(browser: Browser, backlog: number, read: number): Promise<Rig> {
  const work = makeTempDir('nova-e2e-stretch-');
  const server = await startServer({ seed: true, bcryptRounds: 4 });
  const direct = server.seed?.conversations.direct ?? '';
  const alice = (await login(server, 'alice@nova.local')).access_token;
  for (let i = 1; i <= backlog; i += 1) {
    server.control.sendAs('bob@nova.local', direct, i === 1 ? 'backlog 1 mentions the harbour invoice' : `backlog ${i}`);
    // Alice's phone read this far.
    if (i === read) expect((await api(server, 'POST', `/conversations/${direct}/read`, { token: alice, body: {} })).status).toBeLessThan(300);
  }
  const site = await serveRenderer();
  const { core } = makeTestCore({ dataDir: `${work}/app`, serverUrl: server.url, secretStore: new MemorySecretStore(), isDemoServer: true });
  await core.start();
  const signedIn = await core.handlers['auth:login']({ email: 'alice@nova.local', password: DEMO_PASSWORD });
  expect(signedIn.status).toBe('signed_in');
  await expect
    .poll(async () => (await core.handlers['messages:list']({ conversationId: direct, limit: 1 })).messages[0]?.text, { timeout: 30_000 })
    .toBe(`backlog ${backlog}`);
  const context = await browser.newContext({ viewport: { width: 1100, height: 720 } });
  const page = await context.newPage();
  const bridge = await attachCore(page, core, site.url);
  await page.goto(site.url);
  await expect(page.getByTestId('connection-indicator')).toHaveAttribute('data-state', 'CONNECTED', { timeout: 10_000 });
  return {
    core,
    page,
    server,
    direct,
    close: async () => {
      bridge.dispose();
      await context.close();
      await core.stop();
      await site.close();
      await server.close();
      fs.rmSync(work, { recursive: true, force: true });
    },
  };
}

function directRow(page: Page): Locator {
  return page.getByTestId('conversation').filter({ has: page.locator('.conversation-name', { hasText: /^Bob Chen$/ }) });
}

/** The backlog numbers of the rows rendered now, in their order on screen. */
async function renderedBacklog(page: Page): Promise<number[]> {
  const texts = await page.locator('[data-testid="message"] .message-text').allTextContents();
  return texts.map((text) => /^backlog (\d+)/.exec(text)?.[1]).filter((n): n is string => n !== undefined).map(Number);
}

/**
 * Scrolls down from where the thread is to its end, two screens at a time, waiting for each page
 * the thread loads; every rendered stretch must be consecutive. Answers every number seen.
 */
async function readToTheEnd(page: Page, last: number): Promise<Set<number>> {
  const scroll = page.getByTestId('message-scroll');
  const seen = new Set<number>();
  for (let step = 0; step < 600; step += 1) {
    await expect(scroll).toHaveAttribute('aria-busy', 'false');
    const shown = await renderedBacklog(page);
    for (let i = 1; i < shown.length; i += 1) expect(shown[i], `after backlog ${shown[i - 1]}`).toBe((shown[i - 1] as number) + 1);
    shown.forEach((n) => seen.add(n));
    if (seen.has(last) && (await page.getByTestId('jump-latest').count()) === 0) return seen;
    // Two screens: the virtualizer draws 8 rows beyond each edge, so consecutive draws still overlap
    // (were they not to, the union below would miss numbers and fail).
    await scroll.evaluate((element) => {
      element.scrollTop += element.clientHeight * 2;
    });
    // Two frames: the scroll event, then the rows the virtualizer draws for it.
    await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))));
  }
  throw new Error(`did not reach backlog ${last}; saw ${seen.size}`);
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

test('a jump to a result 2,100 messages back pages newer to the live end, nothing missing or repeated', async ({ browser }) => {
  test.setTimeout(180_000);
  const BACKLOG = 2_100;
  const rig = await open(browser, BACKLOG, BACKLOG);
  const { page } = rig;
  try {
    await directRow(page).click();
    await expect(page.getByTestId('message').first()).toBeVisible({ timeout: 10_000 });
    await page.getByTestId('search-button').click();
    await page.getByTestId('search-input').fill('harbour invoice');
    const hit = page.getByTestId('search-hit');
    await expect(hit).toHaveCount(1);
    await hit.click();
    const target = page.getByTestId('message').filter({ hasText: 'backlog 1 mentions' });
    await expect(target).toBeInViewport({ timeout: 10_000 });
    await expect(target).toHaveAttribute('data-jump-target', 'true');
    // Far from the present: "Jump to latest" stays offered while the thread is not at its live end.
    await expect(page.getByTestId('jump-latest')).toBeVisible();
    await page.screenshot({ path: screenshotPath('thread-stretch-jump') });

    const seen = await readToTheEnd(page, BACKLOG);
    expect([...seen].sort((a, b) => a - b)).toEqual(range(1, BACKLOG));
    // Live again: Bob's next message appears below, once.
    rig.server.control.sendAs('bob@nova.local', rig.direct, `backlog ${BACKLOG + 1}`);
    await expect(page.getByTestId('message').filter({ hasText: `backlog ${BACKLOG + 1}` })).toHaveCount(1);
    await page.screenshot({ path: screenshotPath('thread-stretch-live-end') });

    // From far back again, "Jump to latest" goes straight to the present.
    await page.getByTestId('search-button').click();
    await page.getByTestId('search-input').fill('harbour invoice');
    await hit.click();
    await expect(target).toBeInViewport({ timeout: 10_000 });
    await page.getByTestId('jump-latest').click();
    await expect(page.getByTestId('message').filter({ hasText: `backlog ${BACKLOG + 1}` })).toBeInViewport({ timeout: 10_000 });
    await expect(page.getByTestId('jump-latest')).toHaveCount(0);
  } finally {
    await rig.close();
  }
});

test('unread spanning pages: the thread opens at the first unread message under "New messages" and reads on to the newest', async ({ browser }) => {
  test.setTimeout(120_000);
  const rig = await open(browser, 400, 150);
  const { page } = rig;
  try {
    await expect(directRow(page).getByTestId('unread-count')).toHaveText(/^250/);
    await directRow(page).click();
    const divider = page.getByTestId('unread-divider');
    await expect(divider).toHaveCount(1);
    await expect(page.getByTestId('message').filter({ has: divider }).locator('.message-text')).toHaveText('backlog 151');
    await expect(divider).toBeInViewport();
    await page.screenshot({ path: screenshotPath('thread-unread-spanning-pages') });
    const seen = await readToTheEnd(page, 400);
    expect(range(151, 400).every((n) => seen.has(n))).toBe(true);
  } finally {
    await rig.close();
  }
});
