// Builds better-sqlite3 for Electron's ABI into .electron-native/<electron version>/, leaving
// node_modules built for Node so `npm test` keeps working, and puts that build into packaged
// apps through electron-builder's afterPack hook (docs/decisions.md).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

/** Where the build for `platform`/`arch` lives; the host's build keeps the short path `npm start` uses. */
export function electronSqlitePath(root, electronVersion, target = { platform: process.platform, arch: process.arch }) {
  const isHost = target.platform === process.platform && target.arch === process.arch;
  const folder = isHost ? electronVersion : path.join(electronVersion, `${target.platform}-${target.arch}`);
  return path.join(root, '.electron-native', folder, 'better_sqlite3.node');
}

export function ensureElectronSqlite(root, target = { platform: process.platform, arch: process.arch }) {
  const require = createRequire(path.join(root, 'package.json'));
  const electronVersion = require('electron/package.json').version;
  const output = electronSqlitePath(root, electronVersion, target);
  if (fs.existsSync(output)) return output;

  const isHost = target.platform === process.platform && target.arch === process.arch;
  const source = path.dirname(require.resolve('better-sqlite3/package.json'));
  const work = path.join(root, '.electron-native', `build-${electronVersion}-${target.platform}-${target.arch}`, 'better-sqlite3');
  fs.rmSync(work, { recursive: true, force: true });
  fs.cpSync(source, work, { recursive: true, filter: (file) => !file.includes(`${path.sep}build${path.sep}`) });

  process.stdout.write(`Building SQLite for Electron ${electronVersion} on ${target.platform}-${target.arch} (once)…\n`);
  const npx = process.platform === 'win32' ? 'npx.cmd' : 'npx';
  // A prebuilt binary when one is published, else a compile against Electron's headers, which
  // only works for the machine's own platform and architecture.
  const env = { ...process.env, npm_config_nodedir: '' };
  // Windows runs npx.cmd only through a shell (Node refuses to spawn .cmd files directly).
  const shell = process.platform === 'win32';
  let result = spawnSync(
    npx,
    ['--no-install', 'prebuild-install', '--runtime=electron', `--target=${electronVersion}`, `--platform=${target.platform}`, `--arch=${target.arch}`],
    { cwd: work, stdio: 'inherit', env, shell },
  );
  if (result.status !== 0 && isHost) {
    result = spawnSync(
      npx,
      ['--no-install', 'node-gyp', 'rebuild', '--release', '--runtime=electron', `--target=${electronVersion}`, '--dist-url=https://electronjs.org/headers'],
      { cwd: work, stdio: 'inherit', env, shell },
    );
  }
  const built = path.join(work, 'build', 'Release', 'better_sqlite3.node');
  if (result.status !== 0 || !fs.existsSync(built)) {
    throw new Error(`could not build better-sqlite3 for Electron ${electronVersion} on ${target.platform}-${target.arch}; see the output above`);
  }
  fs.mkdirSync(path.dirname(output), { recursive: true });
  fs.copyFileSync(built, output);
  return output;
}

// electron-builder's Arch enum, by value.
const ARCH_NAMES = ['ia32', 'x64', 'armv7l', 'arm64', 'universal'];

/** The file inside a packed app that better-sqlite3 loads when no nativeBinding is passed. */
export function packedSqlitePath(resourcesDir) {
  return path.join(resourcesDir, 'app.asar.unpacked', 'node_modules', 'better-sqlite3', 'build', 'Release', 'better_sqlite3.node');
}

/**
 * electron-builder afterPack hook (electron-builder.yml). node_modules holds the Node build, so
 * the packed copy is replaced with the Electron build before fuses and signing. NOVA_ELECTRON_SQLITE
 * names a prebuilt file to pack instead (a build made on another machine; the packaging test).
 */
export async function afterPack(context) {
  const arch = ARCH_NAMES[context.arch];
  // A universal macOS app is merged from the x64 and arm64 slices, which were handled one by one.
  if (arch === 'universal') return;
  if (!arch) throw new Error(`afterPack: unknown architecture ${String(context.arch)}`);

  const root = context.packager.projectDir;
  const explicit = process.env['NOVA_ELECTRON_SQLITE'];
  const source = explicit ? path.resolve(explicit) : ensureElectronSqlite(root, { platform: context.electronPlatformName, arch });
  const destination = packedSqlitePath(context.packager.getResourcesDir(context.appOutDir));
  if (!fs.existsSync(destination)) {
    throw new Error(`afterPack: ${destination} is missing; better-sqlite3 must be unpacked from the asar (asarUnpack)`);
  }
  fs.copyFileSync(source, destination);
  process.stdout.write(`  • packed better-sqlite3 for Electron from ${path.relative(root, source) || source}\n`);
}
