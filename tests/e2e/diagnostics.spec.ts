import fs from 'node:fs';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { startServer } from '../../server';
import { createCore } from '../../src/main/core';
import { MemorySecretStore } from '../../src/main/core/secret-store';
import { DEMO_PASSWORD } from '../../src/shared/demo';
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
  const core = createCore({ dataDir, serverUrl: 'http://127.0.0.1:9', desktop, metricsPort: 'off' });
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
      expect.arrayContaining(['logs/main.log', 'metrics.txt', 'connection-history.json', 'outbox-summary.json', 'versions.json', 'settings.json', 'notifications.json', 'manifest.json']),
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

test('a bundle made after a signed-in session holds none of the tokens the server issued', async ({ page }) => {
  const server = await startServer({ seed: true, bcryptRounds: 4 });
  const dataDir = makeTempDir('nova-e2e-diag-session-');
  const secretStore = new MemorySecretStore();
  const core = createCore({ dataDir, serverUrl: server.url, secretStore, metricsPort: 'off' });
  await core.start();
  const site = await serveRenderer();
  const bridge = await attachCore(page, core, site.url);
  const messageText = `lunch at noon? ${Date.now()}`;
  try {
    await page.goto(site.url);
    const conversationId = server.seed?.conversations.direct;
    if (!conversationId) throw new Error('the seeded server has no direct conversation');
    const sent = await page.evaluate(
      async ({ conversationId, text, password }) => {
        const login = await window.api.authLogin({ email: 'alice@nova.local', password });
        if (!login.ok) throw new Error(`sign-in failed: ${login.error.code}`);
        const send = await window.api.messagesSend({ conversationId, text });
        if (!send.ok) throw new Error(`send failed: ${send.error.code}`);
        return send.value.key;
      },
      { conversationId, text: messageText, password: DEMO_PASSWORD },
    );
    await expect
      .poll(() => server.control.listMessages(conversationId).some((m) => m.idempotency_key === sent), { timeout: 15_000 })
      .toBe(true);

    const stored = await secretStore.get('nova.session');
    const session = JSON.parse(stored ?? '{}') as { accessToken?: string; refreshToken?: string };
    expect(session.accessToken?.length).toBeGreaterThan(20);
    core.log.scope('e2e').info(`session for alice@nova.local with ${session.accessToken ?? ''}`);

    const preview = await page.evaluate(async () => {
      const result = await window.api.diagnosticsCollect({});
      if (!result.ok) throw new Error(result.error.code);
      return result.value;
    });
    const zipPath = fs
      .readdirSync(dataDir, { recursive: true, encoding: 'utf8' })
      .map((name) => path.join(dataDir, name))
      .find((file) => file.endsWith('.zip') && file.includes(preview.bundleId));
    if (!zipPath) throw new Error(`bundle ${preview.bundleId} not found under ${dataDir}`);
    const entries = await readZip(zipPath);
    expect(entries.map((e) => e.name)).toEqual(
      expect.arrayContaining(['logs/main.log', 'metrics.txt', 'connection-history.json', 'outbox-summary.json', 'versions.json', 'settings.json', 'notifications.json', 'manifest.json']),
    );
    const everything = entries.map((e) => e.data.toString('utf8')).join('\n');
    expect(everything).toContain('CONNECTED');
    for (const secret of [session.accessToken, session.refreshToken, DEMO_PASSWORD, 'alice@nova.local', messageText]) {
      expect(everything, 'a secret of the session leaked into the bundle').not.toContain(secret);
    }
    const logText = fs.readFileSync(path.join(dataDir, 'logs', 'main.log'), 'utf8');
    expect(logText).not.toContain(session.accessToken);
    expect(logText).not.toContain(session.refreshToken);
  } finally {
    bridge.dispose();
    await site.close();
    await core.stop();
    await server.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
});
