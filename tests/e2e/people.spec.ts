/**
 * People in the built renderer against a real core and the reference server: a direct chat
 * started by name, a new group, the typing indicator, read state ("Seen", unread counts moved by
 * another device, "New messages", jump to latest), and a group created offline in front of its
 * message, created once when the connection returns. A second client (Bob, or Alice's other
 * device) acts through the server's own API.
 */
import { expect, test, type Page } from '@playwright/test';
import { APP_LIKE_ORIGIN, screenshotPath } from './harness';
import { conversationRow, fillNewGroup, refusedGroup, withSession, type Session, type SessionOptions } from './session';

/** Alice, signed in and connected through the fault proxy. */
function asAlice(page: Page, options: SessionOptions, body: (session: Session) => Promise<void>): Promise<void> {
  return withSession(page, { proxy: true, ...options }, body);
}

function serverConversationsNamed(rig: Session, name: string): number {
  return rig.server.control.db().prepare('SELECT COUNT(*) FROM conversations WHERE name = ?').pluck().get(name) as number;
}

test('start a direct chat by name (Ctrl+N), and a new group from the button', async ({ page }) => {
  await asAlice(page, {}, async (rig) => {
    // The seeded direct conversation is named after Bob, with his initials.
    const bobRow = conversationRow(page, 'Bob Chen');
    await expect(bobRow.getByTestId('avatar')).toHaveText('BC');
    await expect(conversationRow(page, 'Team').getByTestId('member-count')).toHaveText('3 members');

    await page.keyboard.press('Control+n');
    const dialog = page.getByRole('dialog', { name: 'New conversation' });
    await expect(dialog).toBeVisible();
    await dialog.getByTestId('people-search').fill('dav');
    const dave = dialog.getByTestId('person').filter({ hasText: 'Dave Okafor' });
    await expect(dave).toBeVisible();
    await expect(dialog.getByTestId('person').filter({ hasText: 'Erin' })).toHaveCount(0);
    await page.screenshot({ path: screenshotPath('people-01-new-conversation-dialog') });
    await dave.click();
    await expect(dialog).toBeHidden();
    await expect(page.getByTestId('thread-title')).toHaveText('Dave Okafor');
    const composer = page.getByTestId('composer-input');
    await composer.fill('Hi Dave');
    await composer.press('Enter');
    await expect(page.getByTestId('message').filter({ hasText: 'Hi Dave' })).toHaveAttribute('data-state', 'sent', { timeout: 10_000 });
    const seed = rig.server.seed;
    const withDave = rig.server.control
      .db()
      .prepare(
        `SELECT c.id FROM conversations c JOIN members a ON a.conversation_id = c.id AND a.user_id = ?
         JOIN members b ON b.conversation_id = c.id AND b.user_id = ? WHERE c.type = 'direct'`,
      )
      .pluck()
      .all(seed?.users.alice, seed?.users.dave) as string[];
    expect(withDave).toHaveLength(1);
    expect(rig.server.control.listMessages(withDave[0] ?? '').map((m) => m.plaintext)).toEqual(['Hi Dave']);

    // A group: name and two people, from the list's button.
    await fillNewGroup(page, 'Design sync', [
      ['bob', 'Bob Chen'],
      ['car', 'Carol Diaz'],
    ]);
    await expect(dialog.getByRole('button', { name: 'Remove Bob Chen' })).toBeVisible();
    await page.screenshot({ path: screenshotPath('people-02-new-group') });
    await dialog.getByTestId('create-group').click();
    await expect(page.getByTestId('thread-title')).toHaveText('Design sync');
    await expect(page.getByTestId('thread-members')).toHaveText('3 members');
    expect(serverConversationsNamed(rig, 'Design sync')).toBe(1);
  });
});

test('typing: "Bob is typing…" while Bob types, and ours reaches Bob until we leave the composer', async ({ page }) => {
  await asAlice(page, {}, async (rig) => {
    const bob = await rig.connectAs('bob');
    const direct = rig.server.seed?.conversations.direct ?? '';
    await conversationRow(page, 'Bob Chen').click();
    const atBob: Array<boolean | undefined> = [];
    bob.onFrame((frame) => {
      if (frame.type === 'typing' && frame.conversation_id === direct) atBob.push(frame.is_typing);
    });
    bob.sendFrame({ type: 'typing', conversation_id: direct, is_typing: true });
    await expect(page.getByTestId('typing-indicator')).toHaveText('Bob is typing…');
    await page.screenshot({ path: screenshotPath('people-03-typing') });
    bob.sendFrame({ type: 'typing', conversation_id: direct, is_typing: false });
    await expect(page.getByTestId('typing-indicator')).toHaveText('');

    await page.getByTestId('composer-input').pressSequentially('hello th', { delay: 20 });
    await expect.poll(() => atBob).toEqual([true]);
    await page.getByTestId('message-scroll').click();
    await expect.poll(() => atBob).toEqual([true, false]);
  });
});

test('read state: "Seen" when Bob reads, unread counts follow another device, "New messages" and jump to latest', async ({ page }) => {
  await asAlice(page, {}, async (rig) => {
    const bob = await rig.connectAs('bob');
    const seed = rig.server.seed;
    const direct = seed?.conversations.direct ?? '';
    const team = seed?.conversations.team ?? '';
    await conversationRow(page, 'Bob Chen').click();
    const composer = page.getByTestId('composer-input');
    await composer.fill('Did you read this?');
    await composer.press('Enter');
    const mine = page.getByTestId('message').filter({ hasText: 'Did you read this?' });
    await expect(mine).toHaveAttribute('data-state', 'sent', { timeout: 10_000 });
    await expect(mine.getByTestId('message-status')).toContainText('Sent');
    await bob.request('POST', `/conversations/${direct}/read`, {});
    await expect(mine).toHaveAttribute('data-readers', '1');
    await expect(mine.getByTestId('message-status')).toContainText('Seen');
    await page.screenshot({ path: screenshotPath('people-04-seen') });

    // Alice's phone reads Team (the seed left some unread): the count here goes with it. Then Bob
    // writes there while she reads the direct chat: Team counts them; her phone reads them.
    const phone = await rig.connectAs('alice');
    await expect(conversationRow(page, 'Team').getByTestId('unread-count')).toBeVisible();
    await phone.request('POST', `/conversations/${team}/read`, {});
    await expect(conversationRow(page, 'Team').getByTestId('unread-count')).toHaveCount(0);
    for (let i = 1; i <= 3; i += 1) rig.server.control.sendAs('bob@nova.local', team, `team news ${i}`);
    await expect(conversationRow(page, 'Team').getByTestId('unread-count')).toHaveText(/^3/);
    await phone.request('POST', `/conversations/${team}/read`, {});
    await expect(conversationRow(page, 'Team').getByTestId('unread-count')).toHaveCount(0);
    phone.disconnect();

    // Unread again: opening Team puts "New messages" above the first one, and Bob's reads show.
    for (let i = 1; i <= 40; i += 1) rig.server.control.sendAs('bob@nova.local', team, `backlog ${i}`);
    await expect(conversationRow(page, 'Team').getByTestId('unread-count')).toHaveText(/^40/);
    await conversationRow(page, 'Team').click();
    await expect(page.getByTestId('unread-divider')).toHaveCount(1);
    await expect(page.getByTestId('message').filter({ has: page.getByTestId('unread-divider') })).toContainText('backlog 1');
    const jump = page.getByTestId('jump-latest');
    await expect(jump).toBeVisible();
    await page.screenshot({ path: screenshotPath('people-05-new-messages-jump') });
    await jump.click();
    await expect(page.getByTestId('message').filter({ hasText: 'backlog 40' })).toBeInViewport();
    await expect(jump).toBeHidden();
  });
});

test('offline: a new group and its message wait, then the group is created once and the message follows', async ({ page }) => {
  await asAlice(page, {}, async (rig) => {
    await rig.goOffline();
    await page.getByTestId('new-conversation-button').click();
    const dialog = page.getByRole('dialog', { name: 'New conversation' });
    await dialog.getByRole('radio', { name: 'Group' }).check();
    await dialog.getByTestId('group-name').fill('Offline plans');
    await dialog.getByTestId('people-search').fill('bo');
    await expect(dialog.getByTestId('people-status')).toHaveAttribute('data-code', 'OFFLINE');
    await dialog.getByTestId('person').filter({ hasText: 'Bob Chen' }).click();
    await dialog.getByTestId('create-group').click();
    await expect(page.getByTestId('thread-title')).toHaveText('Offline plans');
    await expect(page.getByTestId('creation-note')).toHaveAttribute('data-creation', 'pending');
    const composer = page.getByTestId('composer-input');
    await composer.fill('planned while offline');
    await composer.press('Enter');
    const message = page.getByTestId('message').filter({ hasText: 'planned while offline' });
    await expect(message).toHaveAttribute('data-state', 'saved');
    await page.screenshot({ path: screenshotPath('people-06-queued-creation') });
    expect(serverConversationsNamed(rig, 'Offline plans')).toBe(0);

    await rig.goOnline();
    await expect(message).toHaveAttribute('data-state', 'sent', { timeout: 10_000 });
    await expect(page.getByTestId('creation-note')).toHaveCount(0);
    await expect(page.getByTestId('thread-title')).toHaveText('Offline plans');
    expect(serverConversationsNamed(rig, 'Offline plans')).toBe(1);
    const id = rig.server.control.db().prepare("SELECT id FROM conversations WHERE name = 'Offline plans'").pluck().get() as string;
    expect(rig.server.control.listMessages(id).map((m) => m.plaintext)).toEqual(['planned while offline']);
  });
});

test('New conversation keeps Tab and Shift+Tab inside while open; Esc closes it and gives the focus back to its button', async ({ page }) => {
  await asAlice(page, {}, async () => {
    const button = page.getByTestId('new-conversation-button');
    await button.focus();
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog', { name: 'New conversation' });
    await expect(dialog.getByTestId('people-search')).toBeFocused();
    await dialog.getByRole('radio', { name: 'Group' }).check();
    await expect(dialog.getByTestId('person')).toHaveCount(2);
    const focusInDialog = (): Promise<string | null> =>
      page.evaluate(() => {
        const active = document.activeElement as HTMLElement | null;
        if (active?.closest('[data-testid="new-conversation"]') == null) return null;
        return active.getAttribute('aria-label') ?? active.getAttribute('data-testid') ?? active.textContent?.trim() ?? active.tagName;
      });
    // Twice round in each direction: every stop is inside, and the walk wraps at both ends.
    for (const key of ['Tab', 'Shift+Tab']) {
      const seen: string[] = [];
      for (let press = 0; press < 20; press += 1) {
        await page.keyboard.press(key);
        const at = await focusInDialog();
        expect(at, `${key} #${press + 1} left the dialog`).not.toBeNull();
        seen.push(at ?? '');
      }
      expect(new Set(seen).size).toBeLessThan(seen.length);
    }
    const close = dialog.getByRole('button', { name: 'Close' });
    await close.focus();
    await page.keyboard.press('Shift+Tab');
    await expect(dialog.getByTestId('person').last()).toBeFocused();
    await page.keyboard.press('Tab');
    await expect(close).toBeFocused();
    await page.screenshot({ path: screenshotPath('people-07-dialog-focus-trap') });

    await page.keyboard.press('Escape');
    await expect(dialog).toHaveCount(0);
    await expect(button).toBeFocused();
  });
});

test('a group the server refused is discarded after a confirm: gone with its queued messages, their text offered to copy', async ({ page }) => {
  await asAlice(page, {}, async (rig) => {
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: APP_LIKE_ORIGIN });
    await refusedGroup(rig, 'Gone plans', ['keep this thought', 'and this one']);
    expect(rig.core.getPendingCount()).toBe(2);

    // Keep changes nothing and gives the focus back to Discard….
    const discard = page.getByTestId('discard-creation');
    await discard.click();
    const confirm = page.getByTestId('discard-creation-confirm');
    await expect(confirm.getByRole('button', { name: 'Keep' })).toBeFocused();
    await page.screenshot({ path: screenshotPath('people-08-discard-confirm') });
    await confirm.getByRole('button', { name: 'Keep' }).click();
    await expect(discard).toBeFocused();
    expect(rig.core.getPendingCount()).toBe(2);

    await discard.click();
    await confirm.getByRole('button', { name: 'Discard', exact: true }).click();
    const notice = page.getByTestId('discarded-notice');
    await expect(notice).toHaveAttribute('data-unsent', '2');
    await expect(notice.getByRole('heading')).toBeFocused();
    await expect(page.getByTestId('discarded-text')).toHaveValue('keep this thought\n\nand this one');
    await expect(conversationRow(page, 'Gone plans')).toHaveCount(0);
    expect(rig.core.getPendingCount()).toBe(0);
    expect(await rig.core.handlers['outbox:list']({})).toEqual([]);
    expect(serverConversationsNamed(rig, 'Gone plans')).toBe(0);

    await notice.getByTestId('copy-discarded').click();
    await expect(notice.locator('[data-copied]')).toHaveAttribute('data-copied', 'true');
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe('keep this thought\n\nand this one');
    await page.screenshot({ path: screenshotPath('people-09-discarded') });
    await notice.getByRole('button', { name: 'Close' }).click();
    await expect(notice).toHaveCount(0);
  });
});
