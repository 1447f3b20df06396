/**
 * Sign-in, the two-factor step and a revoked session, against the reference server through a
 * real core (auth and connection).
 */
import { expect, test } from '@playwright/test';
import { SESSION_SECRET_KEY } from '../../src/main/core/auth';
import { MemorySecretStore } from '../../src/main/core/secret-store';
import { screenshotPath } from './harness';
import { fillSignIn as signIn, startSession } from './session';

test('two-factor sign-in with clear errors, then a revoked token shows "Signed out"', async ({ page }) => {
  const { server, close } = await startSession(page, { signInAs: null });
  const backupCode = server.seed?.carol.backupCodes[0] ?? '';
  try {

    // A wrong code, then a backup code: signed in and connected.
    await signIn(page, 'carol@nova.local');
    const code = page.getByLabel('Code');
    await code.fill('000000');
    await code.press('Enter');
    await expect(page.getByRole('alert')).toContainText('That code is not valid');
    await page.screenshot({ path: screenshotPath('session-01-two-factor-invalid') });
    await code.fill(backupCode);
    await code.press('Enter');
    await expect(page.getByTestId('connection-indicator')).toHaveAttribute('data-state', 'CONNECTED', { timeout: 10_000 });

    // The same backup code a second time is refused as already used.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await expect(page.getByTestId('connection-banner')).toHaveCount(0);
    await signIn(page, 'carol@nova.local');
    await code.fill(backupCode);
    await code.press('Enter');
    await expect(page.getByRole('alert')).toContainText('already used');
    await page.screenshot({ path: screenshotPath('session-02-two-factor-reused') });
    await page.getByRole('button', { name: 'Back' }).click();

    // Alice signs in; the server revokes her tokens: the app says she was signed out.
    await signIn(page, 'alice@nova.local');
    await expect(page.getByTestId('connection-indicator')).toHaveAttribute('data-state', 'CONNECTED', { timeout: 10_000 });
    await page.screenshot({ path: screenshotPath('session-03-signed-in') });
    server.control.revokeUser('alice@nova.local');
    await expect(page.getByTestId('connection-banner')).toContainText('Signed out', { timeout: 10_000 });
    await expect(page.getByTestId('connection-indicator')).toContainText('Signed out');
    await expect(page.getByRole('button', { name: 'Sign in', exact: true })).toBeVisible();
    await page.screenshot({ path: screenshotPath('session-04-signed-out') });
  } finally {
    await close();
  }
});

test('a locked-out sign-in says when to try again; a reused refresh token signs out "for your safety"', async ({ page }) => {
  const secrets = new MemorySecretStore();
  const { server, close } = await startSession(page, { signInAs: null, core: { secretStore: secrets } });
  try {

    // Five wrong passwords for bob: the fifth answer is the lockout, with its wait.
    await page.getByLabel('E-mail').fill('bob@nova.local');
    for (let i = 0; i < 5; i += 1) {
      await page.getByLabel('Password').fill(`wrong password ${i}`);
      await page.getByRole('button', { name: 'Sign in', exact: true }).click();
      await expect(page.getByRole('alert')).toHaveAttribute('data-code', i < 4 ? 'INVALID_CREDENTIALS' : 'RATE_LIMITED');
    }
    await expect(page.getByRole('alert')).toContainText('Too many failed sign-in attempts. Try again in 1 minute.');
    await page.screenshot({ path: screenshotPath('session-05-sign-in-locked-out') });

    // Alice signs in; a copy of her refresh token is taken, her app rotates its own, then the copy comes back.
    await signIn(page, 'alice@nova.local');
    await expect(page.getByTestId('connection-indicator')).toHaveAttribute('data-state', 'CONNECTED', { timeout: 10_000 });
    const refreshToken = async (): Promise<string> =>
      (JSON.parse((await secrets.get(SESSION_SECRET_KEY)) ?? '{}') as { refreshToken?: string }).refreshToken ?? '';
    const stolen = await refreshToken();
    server.control.dropAllSockets({ code: 4001, reason: 'token_expired' });
    await expect.poll(refreshToken, { timeout: 10_000 }).not.toBe(stolen);
    const thief = await fetch(`${server.url}/api/v1/auth/refresh`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ refresh_token: stolen }),
    });
    expect(thief.status).toBe(401);
    await expect(page.getByText(/You were signed out for your safety/)).toBeVisible({ timeout: 10_000 });
    await expect(page.getByTestId('connection-indicator')).toContainText('Signed out');
    await expect(page.getByRole('button', { name: 'Sign in', exact: true })).toBeVisible();
    await page.screenshot({ path: screenshotPath('session-06-signed-out-for-safety') });
  } finally {
    await close();
  }
});
