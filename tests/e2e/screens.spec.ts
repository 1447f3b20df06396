/**
 * Every screen, reached the way a user reaches it against a real core and the reference server,
 * checked by axe-core in the light and the dark theme (0 serious or critical findings), every
 * clickable target measured at 24×24 CSS px or more, and photographed in both:
 * test-results/screen-<name>-light.png and -dark.png.
 *
 * To add a screen: one row in SCREENS (its name and how to get there from a fresh window).
 */
import { expect, test, type Page } from '@playwright/test';
import type { Timing } from '../../src/main/core';
import { lookAtBothThemes, smallTargets } from './look';
import { conversationRow, expectConnected, fillNewGroup, fillSignIn, refusedGroup, openConversation, startSession, type Session } from './session';

async function openTeam({ page }: Session): Promise<void> {
  await fillSignIn(page, 'alice');
  await page.getByTestId('conversation').filter({ hasText: 'Team' }).first().click();
  await expect(page.getByTestId('message').first()).toBeVisible({ timeout: 10_000 });
  await expectConnected(page, 10_000);
}

/** A message the server refuses: failed in the thread, a toast about it, its timeline open. */
async function refusedMessage(session: Session): Promise<void> {
  await openTeam(session);
  session.server.control.failNextSends(1, { status: 400 });
  const composer = session.page.getByTestId('composer-input');
  await composer.fill('this one is refused');
  await composer.press('Enter');
  const refused = session.page.getByTestId('message').filter({ hasText: 'this one is refused' });
  await expect(refused).toHaveAttribute('data-state', 'failed', { timeout: 10_000 });
  await expect(session.page.getByTestId('toast').first()).toBeVisible();
  await refused.getByTestId('message-status').click();
  await expect(session.page.getByTestId('timeline')).toBeVisible();
}

/** Alice in her direct chat with Bob, connected. */
async function openDirect({ page }: Session): Promise<void> {
  await fillSignIn(page, 'alice');
  await expectConnected(page, 10_000);
  await openConversation(page, 'Bob Chen');
}

async function sendSent(page: Page, text: string): Promise<void> {
  const composer = page.getByTestId('composer-input');
  await composer.fill(text);
  await composer.press('Enter');
  await expect(page.getByTestId('message').filter({ hasText: text })).toHaveAttribute('data-state', 'sent', { timeout: 10_000 });
}

/**
 * `timing`: core timing for screens that need a state the defaults never reach in a test's time;
 * `proxy`: through the fault proxy, for screens that take this client offline while the server stays up.
 */
const SCREENS: ReadonlyArray<Readonly<{ name: string; timing?: Partial<Timing>; proxy?: boolean; reach: (session: Session) => Promise<void> }>> = [
  { name: 'sign-in', reach: async ({ page }) => void (await expect(page.getByTestId('demo-accounts')).toBeVisible()) },
  {
    name: 'two-factor',
    reach: async ({ page }) => {
      await fillSignIn(page, 'carol');
      await expect(page.getByLabel('Code')).toBeFocused({ timeout: 10_000 });
    },
  },
  { name: 'conversation', reach: openTeam },
  { name: 'toast-and-timeline', reach: refusedMessage },
  {
    name: 'outbox',
    reach: async (session) => {
      await refusedMessage(session);
      await session.page.getByTestId('outbox-button').click();
      await expect(session.page.getByTestId('outbox-item')).toHaveCount(1);
    },
  },
  {
    name: 'offline-banner',
    reach: async (session) => {
      await openTeam(session);
      await session.goOffline();
      await expect(session.page.getByTestId('connection-banner')).toBeVisible({ timeout: 15_000 });
    },
  },
  {
    name: 'settings',
    reach: async (session) => {
      await openTeam(session);
      await session.page.getByTestId('settings-button').click();
      await expect(session.page.getByRole('dialog', { name: 'Settings' })).toBeVisible();
    },
  },
  {
    name: 'help',
    reach: async (session) => {
      await openTeam(session);
      await session.page.getByRole('button', { name: 'Help' }).click();
      await expect(session.page.getByRole('dialog', { name: 'Help and support' })).toBeVisible();
    },
  },
  {
    name: 'help-diagnostics-and-check',
    reach: async (session) => {
      await openTeam(session);
      const page = session.page;
      await page.getByRole('button', { name: 'Help' }).click();
      const help = page.getByRole('dialog', { name: 'Help and support' });
      await help.getByRole('button', { name: 'Collect diagnostics' }).click();
      await expect(help.getByRole('button', { name: 'Collect again' })).toBeVisible({ timeout: 15_000 });
      await help.getByRole('button', { name: 'Check my connection' }).click();
      await expect(help.getByRole('button', { name: 'Check again' })).toBeVisible({ timeout: 20_000 });
    },
  },
  {
    name: 'update-prompt',
    reach: async (session) => {
      await openTeam(session);
      // The updater itself runs in updates.spec.ts; here only what the prompt looks like when ready.
      const status = await session.updates.controller.handlers['update:get']({});
      session.updates.relay.emit({ ...status, availability: 'active', state: 'ready', update: { version: '0.2.0', releaseDate: null, sizeBytes: 90_000_000 } });
      await expect(session.page.getByTestId('update-prompt')).toBeVisible();
    },
  },
  {
    name: 'quick-switcher',
    reach: async (session) => {
      await openTeam(session);
      await session.page.keyboard.press('Control+k');
      await session.page.keyboard.type('d');
      await expect(session.page.getByRole('dialog', { name: 'Go to conversation' })).toBeVisible();
    },
  },
  {
    name: 'new-conversation-direct',
    reach: async (session) => {
      await openTeam(session);
      await session.page.keyboard.press('Control+n');
      const dialog = session.page.getByRole('dialog', { name: 'New conversation' });
      await dialog.getByTestId('people-search').fill('d');
      await expect(dialog.getByTestId('person').first()).toBeVisible({ timeout: 10_000 });
    },
  },
  {
    name: 'new-conversation-group',
    reach: async (session) => {
      await openTeam(session);
      const dialog = await fillNewGroup(session.page, 'Design sync', [
        ['bob', 'Bob Chen'],
        ['car', 'Carol Diaz'],
      ]);
      await expect(dialog.getByRole('button', { name: 'Remove Carol Diaz' })).toBeVisible();
    },
  },
  {
    name: 'group-thread',
    reach: async (session) => {
      const team = session.server.seed?.conversations.team ?? '';
      await openTeam(session);
      session.server.control.sendAs('bob@nova.local', team, 'Standup moved to 10:30');
      session.server.control.sendAs('carol@nova.local', team, 'Works for me');
      await expect(session.page.getByTestId('message').filter({ hasText: 'Works for me' })).toBeVisible({ timeout: 10_000 });
      await expect(session.page.getByTestId('thread-members')).toHaveText('3 members');
    },
  },
  {
    name: 'typing-indicator',
    reach: async (session) => {
      await openDirect(session);
      const bob = await session.connectAs('bob');
      bob.sendFrame({ type: 'typing', conversation_id: session.server.seed?.conversations.direct ?? '', is_typing: true });
      await expect(session.page.getByTestId('typing-indicator')).toHaveText('Bob is typing…');
    },
  },
  {
    name: 'seen',
    reach: async (session) => {
      const page = session.page;
      await openDirect(session);
      await sendSent(page, 'Did you read this?');
      const bob = await session.connectAs('bob');
      await bob.request('POST', `/conversations/${session.server.seed?.conversations.direct ?? ''}/read`, {});
      await expect(page.getByTestId('message').filter({ hasText: 'Did you read this?' }).getByTestId('message-status')).toContainText('Seen');
      bob.disconnect();
    },
  },
  {
    name: 'new-messages-and-jump-to-latest',
    reach: async (session) => {
      const page = session.page;
      await openDirect(session);
      for (let i = 1; i <= 40; i += 1) session.server.control.sendAs('bob@nova.local', session.server.seed?.conversations.team ?? '', `backlog ${i}`);
      await expect(conversationRow(page, 'Team').getByTestId('unread-count')).toHaveText(/^4\d unread/, { timeout: 10_000 });
      await conversationRow(page, 'Team').click();
      await expect(page.getByTestId('unread-divider')).toHaveCount(1);
      await expect(page.getByTestId('jump-latest')).toBeVisible();
    },
  },
  {
    name: 'own-message-edit-mode',
    reach: async (session) => {
      const page = session.page;
      await openDirect(session);
      await sendSent(page, 'helo there');
      const mine = page.getByTestId('message').filter({ hasText: 'helo there' });
      await mine.hover();
      await expect(mine.getByRole('button', { name: 'Edit message' })).toBeVisible();
      await expect(mine.getByRole('button', { name: 'Delete message' })).toBeVisible();
      await page.getByTestId('composer-input').press('ArrowUp');
      await expect(page.getByTestId('composer-editing')).toBeVisible();
      await expect(page.getByTestId('composer-input')).toHaveValue('helo there');
    },
  },
  {
    name: 'edited-and-deleted',
    reach: async (session) => {
      const page = session.page;
      await openDirect(session);
      await sendSent(page, 'helo');
      await sendSent(page, 'this goes away');
      await page.getByTestId('message').filter({ hasText: 'helo' }).getByRole('button', { name: 'Edit message' }).click();
      const composer = page.getByTestId('composer-input');
      await composer.fill('hello');
      await composer.press('Enter');
      await expect(page.getByTestId('message').filter({ hasText: 'hello' }).getByTestId('message-edited')).toBeVisible({ timeout: 10_000 });
      const gone = page.getByTestId('message').filter({ hasText: 'this goes away' });
      const key = await gone.getAttribute('data-key');
      await gone.getByRole('button', { name: 'Delete message' }).click();
      await expect(page.locator(`[data-testid="message"][data-key="${key}"]`).getByTestId('message-deleted')).toBeVisible({ timeout: 10_000 });
      // The list says so too, rather than an empty "You:".
      await expect(conversationRow(page, 'Bob Chen').locator('.conversation-preview')).toHaveText('You: Message deleted');
    },
  },
  {
    name: 'refused-creation-confirm',
    proxy: true,
    reach: async (session) => {
      await openTeam(session);
      await refusedGroup(session, 'Gone plans', ['keep this thought']);
      await session.page.getByTestId('discard-creation').click();
      await expect(session.page.getByTestId('discard-creation-confirm')).toBeVisible();
    },
  },
  {
    name: 'discarded-conversation',
    proxy: true,
    reach: async (session) => {
      await openTeam(session);
      await refusedGroup(session, 'Gone plans', ['keep this thought', 'and this one']);
      await session.page.getByTestId('discard-creation').click();
      await session.page.getByTestId('discard-creation-confirm').getByRole('button', { name: 'Discard', exact: true }).click();
      await expect(session.page.getByTestId('discarded-notice')).toHaveAttribute('data-unsent', '2');
    },
  },
  {
    name: 'catching-up',
    // Every resync times out before the server can answer, and the next try is a minute away.
    timing: { syncTimeoutMs: 1, retryBaseMs: 60_000, retryCapMs: 60_000 },
    reach: async (session) => {
      await fillSignIn(session.page, 'alice');
      await conversationRow(session.page, 'Team').click();
      await expect(session.page.getByTestId('catching-up')).toBeVisible({ timeout: 10_000 });
    },
  },
  {
    name: 'cancel-and-edit-saved-offline',
    reach: async (session) => {
      const page = session.page;
      await openDirect(session);
      // One acked first, so both below are in flight together; then the server stores them but goes mute, then away.
      await sendSent(page, 'warm-up');
      session.server.control.halfOpen('freeze');
      const composer = page.getByTestId('composer-input');
      for (const text of ['cancel me offline', 'edit me offline']) {
        await composer.fill(text);
        await composer.press('Enter');
        await expect(page.getByTestId('message').filter({ hasText: text })).toHaveAttribute('data-state', 'sending', { timeout: 10_000 });
      }
      await session.server.close();
      const cancelled = page.getByTestId('message').filter({ hasText: 'cancel me offline' });
      await expect(cancelled).toHaveAttribute('data-state', 'confirming', { timeout: 15_000 });
      await cancelled.getByRole('button', { name: 'Cancel sending' }).click();
      await expect(cancelled).toHaveAttribute('data-state', 'cancel_pending');
      await page.getByTestId('message').filter({ hasText: 'edit me offline' }).getByRole('button', { name: 'Edit message' }).click();
      await composer.fill('edited while offline');
      await composer.press('Enter');
      await expect(page.getByTestId('message').filter({ hasText: 'edited while offline' })).toHaveAttribute('data-state', 'edit_pending');
    },
  },
  {
    name: 'search',
    reach: async (session) => {
      const page = session.page;
      await openDirect(session);
      await sendSent(page, 'the harbour meeting moved to Friday');
      await page.getByTestId('search-button').click();
      await expect(page.getByTestId('search-panel')).toBeVisible();
      await page.getByTestId('search-input').fill('harb');
      await expect(page.getByTestId('search-hit').first()).toBeVisible({ timeout: 10_000 });
    },
  },
];

for (const screen of SCREENS) {
  test(`screen "${screen.name}": no serious or critical accessibility findings in either theme`, async ({ page }) => {
    test.setTimeout(60_000);
    const session = await startSession(page, { signInAs: null, proxy: screen.proxy === true, ...(screen.timing ? { timing: screen.timing } : {}) });
    try {
      await screen.reach(session);
      expect(await lookAtBothThemes(page, `screen-${screen.name}`)).toEqual([]);
      expect(await smallTargets(page), 'targets under 24×24 px').toEqual([]);
    } finally {
      await session.close();
    }
  });
}
