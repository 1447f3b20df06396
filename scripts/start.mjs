// `npm start`: build, make sure SQLite is built for Electron, start the reference server unless
// NOVA_SERVER_URL names one, then launch Electron. `--dev` runs electron-vite's dev mode instead.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureElectronSqlite } from './electron-native.mjs';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const isDev = process.argv.includes('--dev');
const npx = process.platform === 'win32' ? 'npx.cmd' : 'npx';

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit', ...options });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

async function waitForHealth(url, deadlineMs) {
  const until = Date.now() + deadlineMs;
  while (Date.now() < until) {
    try {
      const response = await fetch(new URL('/health', url));
      if (response.ok) return;
    } catch {
      // not up yet
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`the reference server did not answer at ${url} within ${deadlineMs} ms`);
}

async function main() {
  if (!isDev) run(npx, ['electron-vite', 'build']);
  ensureElectronSqlite(root);

  const env = { ...process.env };
  let server = null;
  if (!env.NOVA_SERVER_URL) {
    const port = env.NOVA_DEV_SERVER_PORT ?? '8787';
    const dataDir = path.join(os.homedir(), '.nova-dev-server');
    fs.mkdirSync(dataDir, { recursive: true });
    server = spawn(npx, ['tsx', 'server/cli.ts', '--seed', '--port', port, '--data', path.join(dataDir, 'server.db')], {
      cwd: root,
      stdio: 'inherit',
    });
    env.NOVA_SERVER_URL = `http://127.0.0.1:${port}`;
    env.NOVA_DEMO_SERVER = '1';
    await waitForHealth(env.NOVA_SERVER_URL, 30_000);
  }

  const electron = isDev
    ? spawn(npx, ['electron-vite', 'dev'], { cwd: root, stdio: 'inherit', env })
    : spawn((await import('electron')).default, ['.'], { cwd: root, stdio: 'inherit', env });
  const stopServer = () => server?.kill('SIGTERM');
  process.on('SIGINT', () => electron.kill('SIGINT'));
  electron.on('exit', (code) => {
    stopServer();
    process.exit(code ?? 0);
  });
}

main().catch((error) => {
  process.stderr.write(`npm start failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
