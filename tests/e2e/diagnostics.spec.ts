import fs from 'node:fs';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { createCore } from '../../src/main/core';
import type { DesktopPort } from '../../src/main/core/diagnostics';
import { makeTempDir } from '../support/core';
import * as s from '../support/secrets';
import { readZip } from '../support/zip';
import { attachCore, screenshotPath, serveRenderer } from './harness';

test('Help → collect, review and save a bundle that holds none of the session secrets', async ({ page }) => {
  const dataDir = makeTempDir('nova-e2e-diag-');
  const savedPath = path.join(dataDir, 'saved', 'support.zip');
  fs.mkdirSync(path.dirname(savedPath));
  const revealed: string[] = [];
  const desktop: DesktopPort = {
    chooseSavePath: () => Promise.resolve(savedPath),
    revealFile: (file) => revealed.push(file),
    openFolder: () => undefined,
  };
  // The real file logger under dataDir/logs, as in the app.
  const core = createCore({ dataDir, serverUrl: 'http://127.0.0.1:9', desktop });
  await core.start();
  const site = await serveRenderer();
  const bridge = await attachCore(page, core, site.url);
  try {
    await page.goto(site.url);
    // The session: a sign-in attempt with a password, and renderer and main log lines with secrets.
    await page.evaluate(
      async ({ email, password, token, text }) => {
        await window.api.authLogin({ email, password });
        await window.api.logWrite({ level: 'info', scope: 'composer', message: `draft {"text":"${text}"} for ${email}` });
        await window.api.logWrite({ level: 'warn', scope: 'auth', message: `retry with Bearer ${token}` });
      },
      { email: s.EMAIL, password: s.PASSWORD, token: s.OPAQUE_TOKEN, text: s.MESSAGE_TEXT },
    );
    core.log.scope('auth').info('token pair', { access_token: s.ACCESS_JWT, refresh_token: s.REFRESH_JWT });
    core.log.scope('contacts').info(`call ${s.PHONE}`);

    await page.getByRole('button', { name: 'Help' }).click();
    const panel = page.getByRole('dialog', { name: 'Help and support' });
    await panel.getByRole('button', { name: 'Collect diagnostics' }).click();
    await expect(panel.getByRole('status')).toContainText('Bundle ready');
    await expect(panel.getByRole('list', { name: 'Masked items by kind' })).toContainText('E-mail addresses');
    await expect(panel.getByLabel('Review what you would share')).toContainText('[masked:');
    await page.screenshot({ path: screenshotPath('help-diagnostics-preview') });

    await panel.getByRole('button', { name: 'Save…' }).click();
    await expect(panel.getByRole('status')).toContainText(`Saved to ${savedPath}`);
    expect(revealed).toEqual([savedPath]);

    const entries = await readZip(savedPath);
    expect(entries.map((e) => e.name)).toEqual(
      expect.arrayContaining(['logs/main.log', 'metrics.txt', 'connection-history.json', 'outbox-summary.txt', 'versions.json', 'settings.json', 'notifications.json', 'manifest.json']),
    );
    const everything = entries.map((e) => e.data.toString('utf8')).join('\n');
    expect(everything).toContain('(renderer.composer) draft');
    for (const secret of [s.EMAIL, s.PASSWORD, s.OPAQUE_TOKEN, s.ACCESS_JWT, s.REFRESH_JWT, s.PHONE, s.MESSAGE_TEXT]) {
      expect(everything, secret).not.toContain(secret);
    }
  } finally {
    bridge.dispose();
    await site.close();
    await core.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
});
