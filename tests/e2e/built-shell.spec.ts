/**
 * The built main bundle (out/main/index.js, what electron-builder packs) run once against the
 * fake Electron: it registers the app: scheme, serves the built page, wires IPC, the tray and
 * notifications, and quits in order, as the source does under the scenario tests.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { startServer } from '../../server/index';
import { DEMO_PASSWORD } from '../../server/seed';
import type { IpcResult } from '../../src/shared/result';
import { CONTENT_SECURITY_POLICY } from '../../src/main/shell/window';
import { makeTempDir } from '../support/core';
import { installFakeElectron, uninstallFakeElectron } from '../support/fake-electron';
import { withFakeElectronRequire } from '../support/fake-electron/module';

const out = path.join(__dirname, '../../out');

test('out/main/index.js wires the shell like the source does', async () => {
  const server = await startServer({ seed: true, bcryptRounds: 4 });
  const dataDir = makeTempDir('nova-built-shell-');
  const saved = { url: process.env['NOVA_SERVER_URL'], port: process.env['NOVA_METRICS_PORT'] };
  process.env['NOVA_SERVER_URL'] = server.url;
  process.env['NOVA_METRICS_PORT'] = 'off';
  const fake = installFakeElectron({ platform: 'linux', isPackaged: true, userData: dataDir });
  try {
    withFakeElectronRequire(() => createRequire(__filename)(path.join(out, 'main/index.js')));
    expect(fake.protocol.privileged.get('app')).toMatchObject({ standard: true, secure: true });
    fake.app.emitReady();
    await expect.poll(() => fake.applicationMenu() !== null, { timeout: 15_000 }).toBe(true);

    const window = fake.liveWindow();
    expect(window?.loadedUrls).toEqual(['app://nova/index.html']);
    expect(window?.options.webPreferences).toMatchObject({ sandbox: true, contextIsolation: true, devTools: false });
    expect(fs.existsSync(String(window?.options.webPreferences?.['preload']))).toBe(true);

    // The built page and its assets, through the bundle's protocol handler.
    const page = await fake.protocol.fetch('app://nova/index.html');
    expect(page.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY);
    const html = await page.text();
    const script = /src="\.\/(assets\/index-[^"]+\.js)"/.exec(html)?.[1];
    expect(script).toBeDefined();
    const asset = await fake.protocol.fetch(`app://nova/${script}`);
    expect([asset.status, asset.headers.get('content-type')]).toEqual([200, 'text/javascript; charset=utf-8']);

    // The page signs in through the bundle's IPC; the tray and a notification follow.
    const frame = { url: 'app://nova/index.html', parent: null };
    const login = (await fake.ipcMain.invoke('auth:login', { email: 'alice@nova.local', password: DEMO_PASSWORD }, frame)) as IpcResult<{ status: string }>;
    expect(login).toMatchObject({ ok: true, value: { status: 'signed_in' } });
    await expect.poll(() => fake.trays[0]?.menu?.find('state')?.label, { timeout: 15_000 }).toBe('Connected');
    window?.loseFocus();
    server.control.sendAs('bob@nova.local', server.seed?.conversations.team ?? '', 'from the built bundle');
    await expect.poll(() => fake.notifications.map((n) => n.body), { timeout: 15_000 }).toEqual(['from the built bundle']);
    fake.notifications[0]?.click();
    await expect.poll(() => window?.webContents.commands()).toEqual([{ command: 'open-conversation', conversationId: server.seed?.conversations.team }]);

    fake.app.quit();
    expect(await fake.app.whenQuit()).toEqual({ how: 'quit', code: 0 });
  } finally {
    if (!fake.app.hasEnded) fake.app.exit(0);
    uninstallFakeElectron();
    process.env['NOVA_SERVER_URL'] = saved.url;
    process.env['NOVA_METRICS_PORT'] = saved.port;
    if (saved.url === undefined) delete process.env['NOVA_SERVER_URL'];
    if (saved.port === undefined) delete process.env['NOVA_METRICS_PORT'];
    await server.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
});
