/**
 * Help's support features in Chromium against the real core and the reference server: Send to
 * support uploads the previewed bundle to the server's rageshake stand-in, and the connection
 * check walks every step, live, against the real server and through a blackholing proxy.
 */
import fs from 'node:fs';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { startServer } from '../../server';
import { createCore } from '../../src/main/core';
import type { DesktopPort } from '../../src/main/core/diagnostics';
import { MemorySecretStore } from '../../src/main/core/secret-store';
import { DEMO_PASSWORD } from '../../src/shared/demo';
import { makeTempDir } from '../support/core';
import { startFaultProxy } from '../support/fault-proxy';
import { attachCore, screenshotPath, serveRenderer } from './harness';

test('Help → Send to support uploads the previewed bundle to the support server', async ({ page }) => {
  const serverDir = makeTempDir('nova-e2e-support-server-');
  const server = await startServer({ seed: true, bcryptRounds: 4, dataFile: path.join(serverDir, 'server.db') });
  const dataDir = makeTempDir('nova-e2e-support-');
  fs.writeFileSync(path.join(dataDir, 'organization.json'), JSON.stringify({ supportUrl: `${server.url}/api/submit` }));
  const desktop: DesktopPort = { chooseSavePath: () => Promise.resolve(null), revealFile: () => undefined, openFolder: () => undefined };
  const core = createCore({ dataDir, serverUrl: server.url, secretStore: new MemorySecretStore(), desktop, metricsPort: 'off', appInfo: { name: 'Nova', version: '0.1.0', electron: null, chrome: null } });
  await core.start();
  const site = await serveRenderer();
  const bridge = await attachCore(page, core, site.url);
  try {
    await page.goto(site.url);
    await page.evaluate(async (password) => {
      const login = await window.api.authLogin({ email: 'alice@nova.local', password });
      if (!login.ok) throw new Error(login.error.code);
    }, DEMO_PASSWORD);

    await page.getByRole('button', { name: 'Help' }).click();
    const panel = page.getByRole('dialog', { name: 'Help and support' });
    await panel.getByRole('button', { name: 'Collect diagnostics' }).click();
    await expect(panel.getByRole('status')).toContainText('Bundle ready');
    await panel.getByRole('button', { name: 'Send to support…' }).click();
    const form = panel.getByRole('region', { name: 'Send to support' });
    await expect(form).toContainText(`Sends the files listed above to 127.0.0.1:${server.port}`);
    await form.getByLabel('What happened? (optional)').fill('Messages to Bob stay grey since this morning.');
    await form.scrollIntoViewIfNeeded();
    await page.screenshot({ path: screenshotPath('help-send-to-support-form') });

    await form.getByRole('button', { name: 'Send' }).click();
    await expect(form).toContainText('Sent to support', { timeout: 15_000 });
    await expect(form).toContainText('/api/listing/');
    await form.scrollIntoViewIfNeeded();
    await page.screenshot({ path: screenshotPath('help-send-to-support-sent') });

    const reports = path.join(serverDir, 'support-reports');
    const [day] = fs.readdirSync(reports);
    const [report] = fs.readdirSync(path.join(reports, day ?? ''));
    const dir = path.join(reports, day ?? '', report ?? '');
    const details = JSON.parse(fs.readFileSync(path.join(dir, 'details.json'), 'utf8')) as { text: string; app: string };
    expect(details).toMatchObject({ text: 'Messages to Bob stay grey since this morning.', app: 'nova-desktop' });
    const log = fs.readFileSync(path.join(dir, 'main.log'), 'utf8');
    expect(log).toContain('(auth)');
    expect(log).not.toContain('alice@nova.local');
  } finally {
    bridge.dispose();
    await site.close();
    await core.stop();
    await server.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
    fs.rmSync(serverDir, { recursive: true, force: true });
  }
});

test('Help → Check my connection shows each step live, and names a blackholed link', async ({ page }) => {
  const server = await startServer({ seed: true, bcryptRounds: 4 });
  const proxy = await startFaultProxy(server.port);
  const dataDir = makeTempDir('nova-e2e-doctor-');
  const core = createCore({
    dataDir,
    serverUrl: `http://127.0.0.1:${proxy.port}`,
    secretStore: new MemorySecretStore(),
    metricsPort: 'off',
    timing: { doctorStepTimeoutMs: 3_000 },
  });
  await core.start();
  const site = await serveRenderer();
  const bridge = await attachCore(page, core, site.url);
  try {
    await page.goto(site.url);
    await page.evaluate(async (password) => {
      const login = await window.api.authLogin({ email: 'alice@nova.local', password });
      if (!login.ok) throw new Error(login.error.code);
    }, DEMO_PASSWORD);
    await page.getByRole('button', { name: 'Help' }).click();
    const check = page.getByRole('dialog', { name: 'Help and support' }).getByRole('region', { name: 'Connection check' });
    await check.getByRole('button', { name: 'Check my connection' }).click();
    await expect(check).toContainText('Everything checked out: Nova can reach the server.', { timeout: 15_000 });
    const steps = check.getByRole('list', { name: 'Connection check steps' }).getByRole('listitem');
    await expect(steps).toHaveCount(10);
    await expect(steps.filter({ hasText: 'Round trip' })).toContainText(/OK.*Round trip \d+ ms/);
    await check.scrollIntoViewIfNeeded();
    await page.screenshot({ path: screenshotPath('help-doctor-pass'), fullPage: true });

    // The link goes silent: the check shows the health step running, then names the cause.
    proxy.blackhole(true);
    await check.getByRole('button', { name: 'Check again' }).click();
    const health = steps.filter({ hasText: 'Server health' });
    await expect(health).toContainText('Checking');
    await check.scrollIntoViewIfNeeded();
    await page.screenshot({ path: screenshotPath('help-doctor-running'), fullPage: true });
    await expect(check).toContainText('Problem found at “Server health”', { timeout: 15_000 });
    await expect(health).toContainText('Likely cause: Something on the way swallows the traffic');
    await expect(health).toContainText('Try: Disconnect and reconnect the VPN');
    await page.screenshot({ path: screenshotPath('help-doctor-blackhole'), fullPage: true });

    // The report is part of the next bundle.
    const preview = await page.evaluate(async () => {
      const result = await window.api.diagnosticsCollect({});
      if (!result.ok) throw new Error(result.error.code);
      return result.value;
    });
    expect(preview.files.map((file) => file.name)).toContain('connection-doctor.json');
  } finally {
    bridge.dispose();
    await site.close();
    await core.stop();
    await proxy.close();
    await server.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
});
