/**
 * Every screen, reached the way a user reaches it against a real core and the reference server,
 * checked by axe-core in the light and the dark theme (0 serious or critical findings) and
 * photographed in both: test-results/screen-<name>-light.png and -dark.png.
 *
 * To add a screen: one row in SCREENS (its name and how to get there from a fresh window).
 */
import { expect, test, type Page } from '@playwright/test';
import { startServer, type ServerHandle } from '../../server/index';
import { DEMO_PASSWORD } from '../../server/seed';
import type { Core } from '../../src/main/core';
import { makeTestCore } from '../support/core';
import { testUpdates, type TestUpdates } from '../support/updates';
import { attachCore, serveRenderer } from './harness';
import { lookAtBothThemes } from './look';

type Session = Readonly<{ page: Page; server: ServerHandle; core: Core; updates: TestUpdates }>;

async function signIn(page: Page, email = 'alice@nova.local'): Promise<void> {
  await page.getByLabel('E-mail').fill(email);
  await page.getByLabel('Password').fill(DEMO_PASSWORD);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
}

async function openTeam({ page }: Session): Promise<void> {
  await signIn(page);
  await page.getByTestId('conversation').filter({ hasText: 'Team' }).first().click();
  await expect(page.getByTestId('message').first()).toBeVisible({ timeout: 10_000 });
  await expect(page.getByTestId('connection-indicator')).toHaveAttribute('data-state', 'CONNECTED', { timeout: 10_000 });
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

const SCREENS: ReadonlyArray<Readonly<{ name: string; reach: (session: Session) => Promise<void> }>> = [
  { name: 'sign-in', reach: async ({ page }) => void (await expect(page.getByTestId('demo-accounts')).toBeVisible()) },
  {
    name: 'two-factor',
    reach: async ({ page }) => {
      await signIn(page, 'carol@nova.local');
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
      await session.server.close();
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
];

for (const screen of SCREENS) {
  test(`screen "${screen.name}": no serious or critical accessibility findings in either theme`, async ({ page }) => {
    test.setTimeout(60_000);
    const server = await startServer({ seed: true, bcryptRounds: 4 });
    const { core, cleanup } = makeTestCore({ serverUrl: server.url, isDemoServer: true });
    await core.start();
    const updates = testUpdates(core);
    const site = await serveRenderer();
    const bridge = await attachCore(page, core, site.url, updates);
    try {
      await page.setViewportSize({ width: 1100, height: 720 });
      await page.goto(site.url);
      await screen.reach({ page, server, core, updates });
      expect(await lookAtBothThemes(page, `screen-${screen.name}`)).toEqual([]);
    } finally {
      bridge.dispose();
      await site.close();
      await cleanup();
      await server.close();
    }
  });
}
