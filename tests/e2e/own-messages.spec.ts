/**
 * Steering one's own messages, end to end: the built renderer in Chromium, a real core and the
 * reference server on loopback. Send now on a message waiting out its backoff; cancel, edit and
 * withdraw queued messages offline and see exactly one outcome on the server; edit and delete a
 * sent message. Screenshots go to test-results/.
 */
import { expect, test, type Page } from '@playwright/test';
import { screenshotPath } from './harness';
import { withSession, type Session, type SessionOptions } from './session';

/** Signed in as Alice, in her direct conversation with Bob. */
function inDirect(page: Page, options: SessionOptions, body: (session: Session) => Promise<void>): Promise<void> {
  return withSession(page, { open: 'Bob Chen', ...options }, body);
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
function aliceOnServer(rig: Session): Array<{ text: string; deleted: boolean }> {
  const seed = rig.server.seed;
  if (!seed) throw new Error('no seed');
  return rig.server.control
    .listMessages(seed.conversations.direct)
    .filter((m) => m.sender_id === seed.users.alice)
    .map((m) => ({ text: m.plaintext ?? '', deleted: m.deleted_at != null }));
}

test('Send now sends a message that waits out a long backoff', async ({ page }) => {
  // A minute of backoff after a 503: without Send now it would still wait when the test ends.
  await inDirect(page, { timing: { retryBaseMs: 60_000, retryCapMs: 60_000 }, core: { random: () => 0.99 } }, async (rig) => {
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
  });
});

test('a message queued offline is cancelled and never reaches the server', async ({ page }) => {
  await inDirect(page, {}, async (rig) => {
    await rig.goOffline();
    await send(page, 'never mind');
    await send(page, 'this one goes');
    await message(page, 'never mind').getByRole('button', { name: 'Cancel sending' }).click();
    await expect(message(page, 'never mind')).toHaveCount(0);
    await page.screenshot({ path: screenshotPath('own-02-cancelled-offline') });
    await rig.goOnline();
    await expect(message(page, 'this one goes')).toHaveAttribute('data-state', 'sent', { timeout: 10_000 });
    expect(aliceOnServer(rig).map((m) => m.text)).not.toContain('never mind');
  });
});

test('edit and cancel queued messages offline, then reconnect: exactly one outcome on the server', async ({ page }) => {
  await inDirect(page, {}, async (rig) => {
    await rig.goOffline();
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
    await rig.goOnline();
    await expect(message(page, 'final words')).toHaveAttribute('data-state', 'sent', { timeout: 10_000 });
    const texts = aliceOnServer(rig).map((m) => m.text);
    expect(texts.filter((t) => t === 'final words')).toHaveLength(1);
    expect(texts).not.toContain('first draft');
    expect(texts).not.toContain('withdraw me');
  });
});

test('a sent message is edited, then deleted, on the server', async ({ page }) => {
  await inDirect(page, {}, async (rig) => {
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
    // Only the placeholder: no delivery mark, no actions.
    await expect(row).toHaveAttribute('data-deleted', 'true');
    await expect(row.getByTestId('message-status')).toHaveCount(0);
    await expect(row.getByRole('button')).toHaveCount(0);
    expect(aliceOnServer(rig).at(-1)).toEqual({ text: '', deleted: true });
    await page.screenshot({ path: screenshotPath('own-05-deleted') });
  });
});
