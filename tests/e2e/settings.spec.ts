/**
 * The page as the app serves it: from the app-like origin through the shell's protocol handler,
 * under the strict policy; and the notification settings, driven by keyboard against a real core
 * and the reference server.
 */
import { expect, test } from '@playwright/test';
import { CONTENT_SECURITY_POLICY } from '../../src/main/shell/window';
import { makeTestCore } from '../support/core';
import { APP_LIKE_ORIGIN, attachCore, screenshotPath, serveRenderer } from './harness';
import { startSession } from './session';

test('the page runs under the app policy: no connections, no inline script, nothing from elsewhere', async ({ page }) => {
  const { core, cleanup } = makeTestCore();
  await core.start();
  const site = await serveRenderer();
  const bridge = await attachCore(page, core, site.url);
  try {
    const violations: string[] = [];
    page.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) violations.push(message.text());
    });
    const response = await page.goto(site.url);
    expect(response?.headers()['content-security-policy']).toBe(CONTENT_SECURITY_POLICY);
    expect(await page.evaluate(() => location.origin)).toBe(APP_LIKE_ORIGIN);
    await expect(page.getByTestId('connection-indicator')).toBeVisible();
    expect(violations).toEqual([]);

    const attempts = await page.evaluate(async () => {
      const blocked: string[] = [];
      document.addEventListener('securitypolicyviolation', (event) => blocked.push(event.effectiveDirective));
      const outcome = (promise: Promise<unknown>): Promise<string> => promise.then(() => 'allowed', () => 'refused');
      const sameOrigin = await outcome(fetch('/index.html'));
      const elsewhere = await outcome(fetch('https://example.org/'));
      // Chromium reports a socket the policy refuses as a violation and an error, not a throw.
      const socket = await new Promise<string>((resolve) => {
        const ws = new WebSocket('wss://app.nova.invalid/ws');
        ws.onopen = () => resolve('allowed');
        ws.onerror = () => resolve('refused');
      });
      const script = document.createElement('script');
      script.textContent = 'window.__inlineRan = true';
      document.body.append(script);
      const image = new Image();
      image.src = 'https://example.org/pixel.png';
      await new Promise((resolve) => setTimeout(resolve, 50));
      return { sameOrigin, elsewhere, socket, inline: (window as unknown as { __inlineRan?: boolean }).__inlineRan === true, blocked };
    });
    expect(attempts).toMatchObject({ sameOrigin: 'refused', elsewhere: 'refused', socket: 'refused', inline: false });
    expect(new Set(attempts.blocked)).toEqual(new Set(['connect-src', 'script-src-elem', 'img-src']));
  } finally {
    bridge.dispose();
    await site.close();
    await cleanup();
  }
});

test('notification settings: reachable from the header, changed by keyboard, stored by the core', async ({ page }) => {
  const { core, server, close } = await startSession(page);
  try {
    await expect(page.getByTestId('conversation')).toHaveCount(2, { timeout: 10_000 });

    // Keyboard only: focus the header button, open, move through the options.
    await page.getByTestId('settings-button').focus();
    await page.keyboard.press('Enter');
    const panel = page.getByRole('dialog', { name: 'Settings' });
    await expect(panel).toBeVisible();
    await expect(panel.getByRole('button', { name: 'Close' })).toBeFocused();
    await page.keyboard.press('Tab');
    await expect(panel.getByRole('checkbox', { name: /Show notifications for new messages/ })).toBeFocused();
    await page.keyboard.press('Tab');
    await page.keyboard.press('Space');
    await expect(panel.getByRole('checkbox', { name: /Show the message text/ })).not.toBeChecked();
    await expect(panel.getByRole('status')).toHaveText('Saved.');
    const muteTeam = panel.getByRole('checkbox', { name: 'Mute Team' });
    for (let presses = 0; presses < 4 && !(await muteTeam.evaluate((element) => element === document.activeElement)); presses += 1) {
      await page.keyboard.press('Tab');
    }
    await expect(muteTeam).toBeFocused();
    await page.keyboard.press('Space');
    await expect(muteTeam).toBeChecked();

    const team = server.seed?.conversations.team ?? '';
    expect(core.preferences.get().notifications).toEqual({ enabled: true, showPreviews: false, doNotDisturb: false, mutedConversationIds: [team] });
    await page.screenshot({ path: screenshotPath('settings-notifications') });

    await page.keyboard.press('Escape');
    await expect(panel).toHaveCount(0);
    await expect(page.getByTestId('settings-button')).toBeFocused();
  } finally {
    await close();
  }
});
