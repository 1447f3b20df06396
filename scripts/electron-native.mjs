// Builds better-sqlite3 for Electron's ABI into .electron-native/<electron version>/, leaving
// node_modules built for Node so `npm test` keeps working (docs/decisions.md).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

export function electronSqlitePath(root, electronVersion) {
  return path.join(root, '.electron-native', electronVersion, 'better_sqlite3.node');
}

export function ensureElectronSqlite(root) {
  const require = createRequire(path.join(root, 'package.json'));
  const electronVersion = require('electron/package.json').version;
  const target = electronSqlitePath(root, electronVersion);
  if (fs.existsSync(target)) return target;

  const source = path.dirname(require.resolve('better-sqlite3/package.json'));
  const work = path.join(root, '.electron-native', `build-${electronVersion}`, 'better-sqlite3');
  fs.rmSync(work, { recursive: true, force: true });
  fs.cpSync(source, work, { recursive: true, filter: (file) => !file.includes(`${path.sep}build${path.sep}`) });

  process.stdout.write(`Building SQLite for Electron ${electronVersion} (once)…\n`);
  const npx = process.platform === 'win32' ? 'npx.cmd' : 'npx';
  // A prebuilt binary when one is published, else a compile against Electron's headers.
  const env = { ...process.env, npm_config_nodedir: '' };
  let result = spawnSync(npx, ['--no-install', 'prebuild-install', '--runtime=electron', `--target=${electronVersion}`], { cwd: work, stdio: 'inherit', env });
  if (result.status !== 0) {
    result = spawnSync(
      npx,
      ['--no-install', 'node-gyp', 'rebuild', '--release', '--runtime=electron', `--target=${electronVersion}`, '--dist-url=https://electronjs.org/headers'],
      { cwd: work, stdio: 'inherit', env },
    );
  }
  const built = path.join(work, 'build', 'Release', 'better_sqlite3.node');
  if (result.status !== 0 || !fs.existsSync(built)) {
    throw new Error('could not build better-sqlite3 for Electron; see the output above');
  }
  fs.mkdirSync(path.dirname(target), { recursive: true });
  fs.copyFileSync(built, target);
  return target;
}
