/**
 * Edits, deletes and offline search, end to end: the built renderer in Chromium, a real core
 * (SQLite with its full-text index) reaching the reference server through a fault proxy, so
 * the test can take this client offline while Bob, on the server directly, edits and deletes.
 */
import { expect, test, type Locator, type Page } from '@playwright/test';
import { DEMO_PASSWORD } from '../../server/seed';
import { api, login } from '../server/helpers';
import { screenshotPath } from './harness';
import { conversationRow, startSession, type Session } from './session';

type Rig = Session & Readonly<{ bob: string; direct: string }>;

/** Alice through the fault proxy, signed in by the core before the page opens. */
async function open(page: Page): Promise<Rig> {
  const session = await startSession(page, { proxy: true, signInAs: null });
  try {
    const signedIn = await session.core.handlers['auth:login']({ email: 'alice@nova.local', password: DEMO_PASSWORD });
    expect(signedIn.status).toBe('signed_in');
    await expect(page.getByTestId('connection-indicator')).toHaveAttribute('data-state', 'CONNECTED', { timeout: 10_000 });
    // Through the proxy the server never restarts, so its handle can be copied.
    const bob = (await login(session.server, 'bob@nova.local')).access_token;
    return { ...session, bob, direct: session.server.seed?.conversations.direct ?? '' };
  } catch (error) {
    await session.close();
    throw error;
  }
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

/** The direct conversation with Bob, by its name (a group's preview may name him too). */
function directRow(page: Page): Locator {
  return conversationRow(page, 'Bob Chen');
}

function message(page: Page, serverId: string) {
  return page.locator(`[data-testid="message"][data-key="${serverId}"]`);
}

test('a remote edit and a remote delete show in the thread, live and after being offline', async ({ page }) => {
  const rig = await open(page);
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
    await rig.goOffline();
    await bobEdits(rig, away, 'Room 5 is booked');
    await bobDeletes(rig, awayGone);
    await expect(message(page, away)).toContainText('Room 4 is booked');
    await rig.goOnline();
    await expect(message(page, away)).toContainText('Room 5 is booked', { timeout: 10_000 });
    await expect(message(page, away).getByTestId('message-edited')).toBeVisible();
    await expect(message(page, awayGone).getByTestId('message-deleted')).toBeVisible();
    await expect(message(page, awayGone)).not.toContainText('555-0100');
    await page.screenshot({ path: screenshotPath('messenger-edited-deleted') });
  } finally {
    await rig.close();
  }
});

test('search offline across conversations, highlighted, and jump to an old message in its thread', async ({ page }) => {
  const rig = await open(page);
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

    await rig.goOffline();
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
