/**
 * The update prompt in the built page, against a real core and the reference server, with the
 * shell's updater (the real UpdateController around the real electron-updater, on the fake
 * Electron's app and net) reading a feed electron-builder wrote: Help checks, the version is
 * downloaded and verified, and the prompt says that messages are still on their way, offers to
 * update after they are sent, shows the bounded wait, and asks the shell to restart once the
 * outbox is empty. Screenshots: test-results/update-*.png.
 */
import fs from 'node:fs';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { AppImageUpdater } from 'electron-updater';
import { resolveUpdateSetup } from '../../src/main/shell/update-policy';
import { makeTempDir } from '../support/core';
import { installFakeElectron, uninstallFakeElectron } from '../support/fake-electron';
import { createUpdateFeed, startFeedServer } from '../support/update-feed';
import { testUpdates } from '../support/updates';
import { screenshotPath } from './harness';
import { startSession } from './session';

test('update prompt: messages waiting, "Update after they are sent", restart once the outbox is empty', async ({ page }) => {
  test.setTimeout(90_000);
  const feed = createUpdateFeed();
  await feed.release('0.2.0');
  const feedServer = await startFeedServer(feed.dir);
  const install = makeTempDir('nova-e2e-install-');
  const resources = path.join(install, 'resources');
  fs.mkdirSync(resources);
  fs.copyFileSync(feed.appUpdateConfig, path.join(resources, 'app-update.yml'));
  fs.writeFileSync(path.join(install, 'Nova-0.1.0.AppImage'), '#!/bin/sh\n', { mode: 0o755 });
  const savedEnv = { APPIMAGE: process.env['APPIMAGE'], XDG_CACHE_HOME: process.env['XDG_CACHE_HOME'] };
  process.env['APPIMAGE'] = path.join(install, 'Nova-0.1.0.AppImage');
  process.env['XDG_CACHE_HOME'] = path.join(install, 'cache');
  const fake = installFakeElectron({ platform: 'linux', isPackaged: true, userData: path.join(install, 'data'), version: '0.1.0', resourcesPath: resources });
  fake.app.emitReady();

  // The app's own timing: the server freezes the link below, and the outbox must stay stuck on
  // it rather than end it with the e2e table's short pong deadline.
  const { core, server, updates, close } = await startSession(page, {
    appTiming: true,
    open: 'Team',
    updates: (core) =>
      testUpdates(core, {
        setup: resolveUpdateSetup({
          config: { url: feedServer.url, allowDowngrade: false, checkIntervalHours: 4 },
          isPackaged: true,
          platform: 'linux',
          packageType: null,
          env: process.env,
        }),
        createUpdater: () => new AppImageUpdater(),
      }),
  });
  try {

    // Two messages the server does not take yet.
    server.control.halfOpen('freeze');
    const composer = page.getByTestId('composer-input');
    for (const text of ['Sending this before the update', 'And this one too']) {
      await composer.fill(text);
      await composer.press('Enter');
    }
    await expect(page.getByTestId('outbox-button')).toContainText('2');

    // Help: the version and channel, then a check from the button finds 0.2.0.
    await page.getByRole('button', { name: 'Help', exact: true }).click();
    const help = page.getByTestId('help-updates');
    await expect(help).toContainText('Nova 0.1.0, Stable channel, from 127.0.0.1:');
    await expect(help).toContainText('Not checked yet since Nova started.');
    await help.getByRole('button', { name: 'Check for updates' }).click();
    await expect(help.getByTestId('update-last-check')).toContainText(': a new version was found. Nova 0.2.0 is available (0.1.0 is running).');
    await expect(help).toContainText('Nova 0.2.0 is downloaded and verified.', { timeout: 15_000 });
    await help.scrollIntoViewIfNeeded();
    await page.screenshot({ path: screenshotPath('update-help') });
    await page.getByRole('button', { name: 'Close help' }).click();

    const prompt = page.getByRole('region', { name: 'Update' });
    await expect(prompt).toContainText('Nova 0.2.0 is ready');
    await expect(prompt).toContainText('2 messages are still being sent. They are saved on this computer either way.');
    await expect(prompt.getByRole('button')).toHaveText(['Update after they are sent', 'Restart now', 'Later']);
    await page.screenshot({ path: screenshotPath('update-prompt-pending-messages') });

    await prompt.getByRole('button', { name: 'Update after they are sent' }).click();
    await expect(prompt).toContainText('Updating once your messages are sent');
    await expect(prompt).toContainText(/2 messages left to send\. Nova restarts into 0\.2\.0 by itself when they are sent, or in [12]:\d\d at most/);
    await page.screenshot({ path: screenshotPath('update-prompt-waiting') });
    expect(updates.restarts()).toBe(0);

    // The server takes the messages: the outbox empties and the shell is asked to restart.
    server.control.halfOpen('off');
    await expect(prompt).toContainText('Restarting into Nova 0.2.0…', { timeout: 20_000 });
    expect(updates.restarts()).toBe(1);
    expect(core.getPendingCount()).toBe(0);
    expect(server.control.listMessages(server.seed?.conversations.team ?? '').map((message) => message.plaintext)).toEqual(
      expect.arrayContaining(['Sending this before the update', 'And this one too']),
    );
  } finally {
    await close();
    uninstallFakeElectron();
    for (const [key, value] of Object.entries(savedEnv)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
    await feedServer.close();
    feed.cleanup();
    fs.rmSync(install, { recursive: true, force: true });
  }
});
