/**
 * Themes, keyboard, announcements and layout in the built page against a real core and the
 * reference server: the dark theme following the OS and the manual choice in Settings (kept by
 * the core), the keyboard way around (Ctrl+K, Alt+↑/↓, Escape, visible focus), new messages
 * announced, and the layout rules (toasts clear of the timeline they are about, the connection
 * label whole at any width, the Help button like its neighbours).
 */
import { expect, test, type Locator, type Page } from '@playwright/test';
import { screenshotPath } from './harness';
import { shotBothThemes, useSystemTheme } from './look';
import { withSession, type Session } from './session';

/** Alice, signed in and connected, her two conversations listed. */
function withSignedIn(page: Page, body: (session: Session) => Promise<void>): Promise<void> {
  return withSession(page, {}, async (session) => {
    await expect(page.getByTestId('conversation')).toHaveCount(2, { timeout: 10_000 });
    await body(session);
  });
}

const background = (page: Page): Promise<string> => page.evaluate(() => getComputedStyle(document.body).backgroundColor);
const DARK_BG = 'rgb(13, 17, 23)';
const LIGHT_BG = 'rgb(255, 255, 255)';

function box(locator: Locator): Promise<{ x: number; y: number; width: number; height: number }> {
  return locator.boundingBox().then((b) => {
    if (!b) throw new Error('not displayed');
    return b;
  });
}

test('dark theme: follows the OS live; Settings pins Light or Dark, stored by the core, until System is chosen again', async ({ page }) => {
  await withSignedIn(page, async ({ page, core }) => {
    await useSystemTheme(page, 'dark');
    expect(await background(page)).toBe(DARK_BG);
    await useSystemTheme(page, 'light');
    expect(await background(page)).toBe(LIGHT_BG);

    // Keyboard only: open Settings, walk to the theme group, choose with the arrow keys.
    await page.getByTestId('settings-button').focus();
    await page.keyboard.press('Enter');
    const system = page.getByRole('radio', { name: 'System' });
    await expect(system).toBeChecked();
    for (let presses = 0; presses < 12 && !(await system.evaluate((element) => element === document.activeElement)); presses += 1) {
      await page.keyboard.press('Tab');
    }
    await expect(system).toBeFocused();
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowDown');
    await expect(page.getByRole('radio', { name: 'Dark' })).toBeChecked();
    await expect.poll(() => core.preferences.get().theme).toBe('dark');
    await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark');
    expect(await background(page)).toBe(DARK_BG);
    await page.screenshot({ path: screenshotPath('theme-dark-chosen-os-light') });

    // The OS changing does not undo a pinned choice; a reload (a restart of the window) keeps it.
    await page.emulateMedia({ colorScheme: 'light' });
    await page.reload();
    await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark');
    expect(await background(page)).toBe(DARK_BG);

    await page.getByTestId('settings-button').click();
    // The radio shows what the core stored, so it turns on once the core answered.
    await page.getByRole('radio', { name: 'System' }).click();
    await expect(page.getByRole('radio', { name: 'System' })).toBeChecked();
    await expect.poll(() => core.preferences.get().theme).toBe('system');
    await expect(page.locator('html')).toHaveAttribute('data-theme', 'light');
    expect(await background(page)).toBe(LIGHT_BG);
  });
});

test('keyboard: Ctrl+K finds a conversation, Alt+↑/↓ move between them, Escape closes every panel and focus comes back', async ({ page }) => {
  await withSignedIn(page, async ({ page }) => {
    const composer = page.getByTestId('composer-input');
    const current = page.locator('[data-testid="conversation"][aria-current="true"]');

    await page.keyboard.press('Control+k');
    const switcher = page.getByRole('dialog', { name: 'Go to conversation' });
    await expect(switcher).toBeVisible();
    await expect(page.getByRole('combobox', { name: 'Conversation name' })).toBeFocused();
    await page.keyboard.type('tea');
    await expect(page.getByRole('option').locator('.quick-switcher-name')).toHaveText(['Team']);
    await shotBothThemes(page, 'keys-quick-switcher');
    await page.keyboard.press('Enter');
    await expect(switcher).toHaveCount(0);
    await expect(page.getByTestId('thread')).toHaveAttribute('aria-label', 'Team');
    await expect(composer).toBeFocused();

    // Alt+↓/↑ from the composer: the list's next and previous conversation, and the composer keeps the focus.
    const names = await page.getByTestId('conversation').locator('.conversation-name').allTextContents();
    const teamAt = names.indexOf('Team');
    const other = names[teamAt === 0 ? 1 : 0] ?? '';
    await page.keyboard.press(teamAt === 0 ? 'Alt+ArrowDown' : 'Alt+ArrowUp');
    await expect(current).toContainText(other);
    await expect(page.getByTestId('composer-input')).toBeFocused();
    await page.keyboard.press(teamAt === 0 ? 'Alt+ArrowUp' : 'Alt+ArrowDown');
    await expect(current).toContainText('Team');

    // Escape closes the switcher without opening anything and gives the focus back.
    await page.keyboard.press('Control+k');
    await page.keyboard.type('zzz');
    await expect(page.getByTestId('quick-switcher-status')).toHaveText('No conversation matches.');
    await page.keyboard.press('Escape');
    await expect(switcher).toHaveCount(0);
    await expect(page.getByTestId('composer-input')).toBeFocused();
    await expect(current).toContainText('Team');

    // Help, Settings and the outbox close with Escape and hand the focus back to their button.
    for (const [button, dialog] of [
      [page.getByRole('button', { name: 'Help' }), 'Help and support'],
      [page.getByTestId('settings-button'), 'Settings'],
      [page.getByTestId('outbox-button'), 'Outbox'],
    ] as const) {
      await button.focus();
      await page.keyboard.press('Enter');
      await expect(page.getByRole('dialog', { name: dialog })).toBeVisible();
      if (dialog === 'Help and support') {
        // Help lists what the registry holds, as this platform spells it.
        const keys = page.getByTestId('keyboard-shortcuts');
        await expect(keys).toContainText('Ctrl+K');
        await expect(keys).toContainText('Alt+↓');
      }
      await page.keyboard.press('Escape');
      await expect(page.getByRole('dialog', { name: dialog })).toHaveCount(0);
      await expect(button).toBeFocused();
    }

    // Escape closes only the top one: the switcher over Settings.
    await page.getByTestId('settings-button').click();
    await page.keyboard.press('Control+k');
    await page.keyboard.press('Escape');
    await expect(switcher).toHaveCount(0);
    await expect(page.getByRole('dialog', { name: 'Settings' })).toBeVisible();
    await page.keyboard.press('Escape');
    await expect(page.getByRole('dialog', { name: 'Settings' })).toHaveCount(0);
  });
});

test('focus is always visible: every Tab stop from the top of the window draws an outline, in both themes', async ({ page }) => {
  await withSignedIn(page, async ({ page }) => {
    await page.getByTestId('conversation').filter({ hasText: 'Team' }).click();
    for (const theme of ['light', 'dark'] as const) {
      await useSystemTheme(page, theme);
      await page.locator('body').evaluate((body) => (document.activeElement as HTMLElement | null)?.blur?.() ?? body);
      const seen: string[] = [];
      for (let stop = 0; stop < 14; stop += 1) {
        await page.keyboard.press('Tab');
        const focus = await page.evaluate(() => {
          const element = document.activeElement as HTMLElement | null;
          if (!element || element === document.body) return null;
          const style = getComputedStyle(element);
          const label = element.getAttribute('aria-label') ?? element.getAttribute('data-testid') ?? element.textContent?.trim().slice(0, 20) ?? element.tagName;
          return { label, outline: style.outlineStyle, width: parseFloat(style.outlineWidth), visible: element.matches(':focus-visible') };
        });
        if (!focus) continue;
        seen.push(focus.label);
        expect(focus, `focus on ${focus.label} (${theme})`).toMatchObject({ visible: true });
        expect(focus.outline, `outline on ${focus.label} (${theme})`).not.toBe('none');
        expect(focus.width).toBeGreaterThanOrEqual(2);
      }
      expect(seen.length).toBeGreaterThanOrEqual(10);
    }
  });
});

test('a new message from someone else is announced; the connection state and toasts are live regions', async ({ page }) => {
  await withSignedIn(page, async ({ page, server }) => {
    await page.getByTestId('conversation').filter({ hasText: 'Team' }).click();
    const announcer = page.getByRole('log', { name: 'New messages' });
    await expect(announcer).toHaveAttribute('aria-live', 'polite');
    const team = server.seed?.conversations.team ?? '';
    const direct = server.seed?.conversations.direct ?? '';
    server.control.sendAs('bob@nova.local', team, 'Lunch at one?');
    await expect(announcer).toContainText('New message in Team: Lunch at one?');
    server.control.sendAs('bob@nova.local', direct, 'private words');
    await expect(announcer.locator('p')).toHaveCount(2);
    // Another conversation: where, not what.
    await expect(announcer.locator('p').last()).not.toContainText('private words');
    await expect(page.getByTestId('connection-indicator').getByRole('status')).toHaveText('Connected');
    await expect(page.getByTestId('toaster')).toHaveAttribute('aria-live', 'polite');
  });
});

test('layout: a toast never covers the message, the delivery timeline or the outbox row it is about', async ({ page }) => {
  await withSignedIn(page, async ({ page, server }) => {
    await page.setViewportSize({ width: 900, height: 600 });
    await page.getByTestId('conversation').filter({ hasText: 'Team' }).click();
    const composer = page.getByTestId('composer-input');
    // Enough messages that the refused one, and its timeline, are at the bottom of the thread.
    for (let n = 1; n <= 8; n += 1) {
      await composer.fill(`filler ${n}`);
      await composer.press('Enter');
    }
    await expect(page.getByTestId('message').filter({ hasText: 'filler 8' })).toHaveAttribute('data-state', 'sent', { timeout: 10_000 });
    server.control.failNextSends(1, { status: 400 });
    await composer.fill('this one is refused');
    await composer.press('Enter');
    const refused = page.getByTestId('message').filter({ hasText: 'this one is refused' });
    await expect(refused).toHaveAttribute('data-state', 'failed', { timeout: 10_000 });
    const toast = page.getByTestId('toast').first();
    await expect(toast).toBeVisible();
    const toaster = page.getByTestId('toaster');
    const clear = async (of: Locator): Promise<void> => {
      await expect
        .poll(async () => {
          const [t, c] = [await box(toaster), await box(of)];
          return t.x < c.x + c.width && c.x < t.x + t.width && t.y < c.y + c.height && c.y < t.y + t.height;
        })
        .toBe(false);
    };
    // The refused message is the newest, bottom right: the toast about it does not hide it.
    await clear(refused);

    await refused.getByTestId('message-status').click();
    const timeline = page.getByTestId('timeline');
    await expect(timeline).toBeVisible();
    await clear(timeline);
    await clear(refused);
    await shotBothThemes(page, 'layout-toast-clear-of-timeline');

    // Timeline closed: still clear of the message.
    await refused.getByTestId('message-status').click();
    await expect(timeline).toHaveCount(0);
    await clear(refused);

    // The outbox open: the toast sits beside it, not over the row it is about.
    await page.setViewportSize({ width: 1100, height: 720 });
    await page.getByTestId('outbox-button').click();
    const row = page.getByTestId('outbox-item');
    await expect(row).toHaveCount(1);
    const [p, o] = [await box(page.getByTestId('outbox-panel')), await box(toast)];
    expect(o.x + o.width).toBeLessThanOrEqual(p.x);
  });
});

test('layout: the connection label is whole at every width, and Help looks like the other header buttons', async ({ page }) => {
  await withSignedIn(page, async ({ page }) => {
    const indicator = page.getByTestId('connection-indicator');
    for (const width of [320, 400, 480, 640, 800, 1100]) {
      await page.setViewportSize({ width, height: 640 });
      const fit = await indicator.evaluate((element) => {
        const rect = element.getBoundingClientRect();
        const label = element.querySelector('[role="status"]') as HTMLElement;
        const labelRect = label.getBoundingClientRect();
        const lineHeight = parseFloat(getComputedStyle(label).lineHeight) || 20;
        return {
          inside: rect.left >= 0 && rect.right <= window.innerWidth,
          notClipped: element.scrollWidth <= element.clientWidth + 1,
          oneLine: labelRect.height <= lineHeight * 1.5,
          text: label.textContent,
        };
      });
      expect(fit, `at ${width}px`).toEqual({ inside: true, notClipped: true, oneLine: true, text: 'Connected' });
      await page.screenshot({ path: screenshotPath(`layout-header-${width}`) });
    }
    await page.setViewportSize({ width: 1100, height: 640 });
    const look = (locator: Locator) =>
      locator.evaluate((element) => {
        const style = getComputedStyle(element);
        return {
          height: Math.round(element.getBoundingClientRect().height),
          padding: style.padding,
          radius: style.borderRadius,
          border: style.borderStyle,
          font: `${style.fontSize} ${style.fontFamily}`,
          background: style.backgroundColor,
        };
      });
    const settings = await look(page.getByTestId('settings-button'));
    expect(await look(page.getByRole('button', { name: 'Help' }))).toEqual(settings);
    expect(await look(page.getByRole('button', { name: 'Sign out' }))).toEqual(settings);
  });
});
