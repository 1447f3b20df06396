import { expect, test } from '@playwright/test';
import { screenshotPath } from './harness';
import { withSession } from './session';

test('the sign-in screen shows the server it talks to and names the demo accounts', async ({ page }) => {
  await withSession(page, { signInAs: null }, async ({ server }) => {
    await expect(page.getByTestId('server-url')).toHaveText(server.url);
    const demo = page.getByTestId('demo-accounts');
    await expect(demo).toContainText('alice@nova.local');
    await expect(demo).toContainText('carol@nova.local — uses two-factor sign-in');
    await demo.getByRole('button', { name: 'bob@nova.local' }).click();
    await expect(page.getByLabel('E-mail')).toHaveValue('bob@nova.local');
    await expect(page.getByTestId('connection-indicator')).toContainText('Signed out');
    await page.screenshot({ path: screenshotPath('sign-in') });
  });
});
