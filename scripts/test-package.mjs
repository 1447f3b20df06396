// `npm run test:package`: builds the app, packs it with the real electron-builder configuration
// (`--linux dir`) and checks what a user would get. Electron cannot be downloaded here, so
// electronDist points at a stand-in `electron` that carries Electron's fuse wire (the sentinel and
// the stock fuse states): electron-builder copies it, flips the fuses in it, and this script reads
// them back. The Electron build of better-sqlite3 cannot be compiled here either, so a marker file
// stands in for it (NOVA_ELECTRON_SQLITE) and the check is that it, not node_modules' Node build,
// ends up in app.asar.unpacked. The update feed: electron-builder writes app-update.yml into the
// package from the publish configuration, and (scripts/test-package-hooks.mjs) latest-linux.yml
// and the other channels' files for a stand-in AppImage, through the writer `npm run dist` uses;
// electron-updater's own parser then reads them back.
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { packedSqlitePath } from './electron-native.mjs';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const require = createRequire(path.join(root, 'package.json'));
const npx = process.platform === 'win32' ? 'npx.cmd' : 'npx';
const started = Date.now();

const FUSE_SENTINEL = 'dL7pKGdnNz796PbbjQWNKmHXBZaB9tsX';
const ENABLE = 0x31;
const DISABLE = 0x30;
// Electron's shipped fuse states (wire v1, 8 fuses), in FuseV1Options order.
const STOCK_FUSES = [ENABLE, DISABLE, ENABLE, ENABLE, DISABLE, DISABLE, DISABLE, ENABLE];
// What electron-builder.yml must turn them into (FuseV1Options index → state).
const EXPECTED_FUSES = {
  RunAsNode: [0, DISABLE],
  EnableCookieEncryption: [1, ENABLE],
  EnableNodeOptionsEnvironmentVariable: [2, DISABLE],
  EnableNodeCliInspectArguments: [3, DISABLE],
  EnableEmbeddedAsarIntegrityValidation: [4, ENABLE],
  OnlyLoadAppFromAsar: [5, ENABLE],
  GrantFileProtocolExtraPrivileges: [7, DISABLE],
};
const REQUIRED_ENTRIES = ['/package.json', '/out/main/index.js', '/out/preload/index.js', '/out/renderer/index.html'];
const ALLOWED_TOP_LEVEL = new Set(['/out', '/package.json', '/node_modules']);
const ASAR_BUDGET_BYTES = 20 * 1024 * 1024;

const results = [];
function check(name, isOk, detail = '') {
  results.push({ name, isOk });
  process.stdout.write(`${isOk ? 'ok  ' : 'FAIL'} ${name}${detail ? `: ${detail}` : ''}\n`);
}

function run(command, args, env = process.env) {
  // Windows runs npx.cmd only through a shell.
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit', env, shell: process.platform === 'win32' });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} exited with ${result.status}`);
}

function sha256(file) {
  return crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

function writeStubElectron(folder) {
  fs.mkdirSync(folder, { recursive: true });
  const stub = path.join(folder, 'electron');
  const wire = Buffer.from([1, STOCK_FUSES.length, ...STOCK_FUSES]);
  fs.writeFileSync(stub, Buffer.concat([Buffer.from('#!/bin/sh\n# stand-in for Electron (npm run test:package)\nexit 0\n# '), Buffer.from(FUSE_SENTINEL), wire, Buffer.from('\n')]));
  fs.chmodSync(stub, 0o755);
}

function readFuses(executable) {
  const bytes = fs.readFileSync(executable);
  const at = bytes.indexOf(FUSE_SENTINEL);
  if (at < 0) return null;
  const start = at + FUSE_SENTINEL.length;
  return [...bytes.subarray(start + 2, start + 2 + bytes[start + 1])];
}

/** The publish configuration in the package, and the feed electron-builder wrote next to the installer. */
function checkUpdateFeed(manifest, resources, output) {
  const yaml = require('js-yaml');
  const builderConfig = yaml.load(fs.readFileSync(path.join(root, 'electron-builder.yml'), 'utf8'));
  const appUpdateFile = path.join(resources, 'app-update.yml');
  const appUpdate = fs.existsSync(appUpdateFile) ? yaml.load(fs.readFileSync(appUpdateFile, 'utf8')) : null;
  check('resources/app-update.yml names the generic feed', appUpdate?.provider === 'generic' && appUpdate?.url === builderConfig.publish?.url, JSON.stringify(appUpdate));
  check('app-update.yml names the updater cache folder', appUpdate?.updaterCacheDirName === `${manifest.name}-updater`, String(appUpdate?.updaterCacheDirName));

  const { parseUpdateInfo } = require('electron-updater/out/providers/Provider');
  const installer = path.join(output, `${manifest.productName}-${manifest.version}.AppImage`);
  const sha512 = fs.existsSync(installer) ? crypto.createHash('sha512').update(fs.readFileSync(installer)).digest('base64') : null;
  for (const channel of ['latest', 'beta', 'alpha']) {
    const name = `${channel}-linux.yml`;
    const file = path.join(output, name);
    let info = null;
    try {
      info = parseUpdateInfo(fs.readFileSync(file, 'utf8'), name, new URL(`file://${file}`));
    } catch (error) {
      check(`${name} is written and electron-updater parses it`, false, error.message.split('\n')[0]);
      continue;
    }
    const entry = info.files?.[0];
    check(
      `${name} is written and electron-updater parses it`,
      info.version === manifest.version && entry?.url === path.basename(installer) && typeof info.releaseDate === 'string',
      `${info.version}, ${entry?.url}`,
    );
    check(`${name} carries the installer's sha512 and size`, sha512 !== null && entry?.sha512 === sha512 && entry?.size === fs.statSync(installer).size);
  }
}

function main() {
  const manifest = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
  const nodeSqlite = path.join(path.dirname(require.resolve('better-sqlite3/package.json')), 'build', 'Release', 'better_sqlite3.node');
  const nodeSqliteHash = sha256(nodeSqlite);

  run(npx, ['electron-vite', 'build']);

  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'nova-package-'));
  try {
    const electronDist = path.join(scratch, 'electron-dist');
    writeStubElectron(electronDist);
    const marker = path.join(scratch, 'better_sqlite3.node');
    fs.writeFileSync(marker, `stand-in for the Electron build of better-sqlite3 ${crypto.randomUUID()}\n`);
    const output = path.join(scratch, 'dist');

    const packStarted = Date.now();
    run(
      npx,
      [
        'electron-builder',
        '--linux',
        'dir',
        '-c.npmRebuild=false',
        `-c.electronDist=${electronDist}`,
        `-c.directories.output=${output}`,
        '-c.afterPack=./scripts/test-package-hooks.mjs',
        '--publish',
        'never',
      ],
      { ...process.env, NOVA_ELECTRON_SQLITE: marker },
    );
    const packSeconds = (Date.now() - packStarted) / 1000;

    const appOutDir = path.join(output, 'linux-unpacked');
    const resources = path.join(appOutDir, 'resources');
    const asarFile = path.join(resources, 'app.asar');
    check('app.asar exists', fs.existsSync(asarFile));
    const entries = require('@electron/asar').listPackage(asarFile, { isPack: false }).map((entry) => entry.split(path.sep).join('/'));

    for (const entry of REQUIRED_ENTRIES) check(`asar contains ${entry}`, entries.includes(entry));
    const strangers = entries.filter((entry) => entry.split('/').length === 2 && !ALLOWED_TOP_LEVEL.has(entry));
    check('asar holds only out/, package.json and node_modules/ at the top', strangers.length === 0, strangers.join(', '));
    for (const folder of ['src', 'tests', 'server', 'bench', 'test-results', 'scripts', 'resources', 'docs', '.electron-native', '.tools']) {
      check(`asar has no ${folder}/`, !entries.some((entry) => entry === `/${folder}` || entry.startsWith(`/${folder}/`)));
    }
    const sources = entries.filter((entry) => /\.(ts|tsx|mts|cts)$/.test(entry));
    check('asar has no TypeScript sources', sources.length === 0, sources.slice(0, 5).join(', '));

    const packedModules = new Set(entries.filter((entry) => /^\/node_modules\/(@[^/]+\/)?[^/@]+$/.test(entry)).map((entry) => entry.slice('/node_modules/'.length)));
    const devDependencies = Object.keys(manifest.devDependencies ?? {});
    // A devDependency a runtime dependency also needs (js-yaml, for electron-updater) is packed
    // as that dependency's; the lockfile says which packages only development uses.
    const lock = JSON.parse(fs.readFileSync(path.join(root, 'package-lock.json'), 'utf8'));
    const isDevOnly = (name) => lock.packages?.[`node_modules/${name}`]?.dev === true;
    const packedDev = devDependencies.filter((name) => packedModules.has(name) && isDevOnly(name));
    const neededAtRuntime = devDependencies.filter((name) => packedModules.has(name) && !isDevOnly(name));
    check(
      `asar has none of the ${devDependencies.length} devDependencies (react, vitest, electron, typescript, playwright, …) but what runtime dependencies need`,
      packedDev.length === 0,
      packedDev.length > 0 ? packedDev.join(', ') : neededAtRuntime.length > 0 ? `needed at run time: ${neededAtRuntime.join(', ')}` : '',
    );
    const missingRuntime = Object.keys(manifest.dependencies ?? {}).filter((name) => !packedModules.has(name));
    check('asar has every runtime dependency', missingRuntime.length === 0, missingRuntime.join(', '));

    const packedSqlite = packedSqlitePath(resources);
    check('better-sqlite3 .node is in app.asar.unpacked', fs.existsSync(packedSqlite), path.relative(appOutDir, packedSqlite));
    check('the packed .node is the Electron build, not node_modules’ Node build', fs.existsSync(packedSqlite) && sha256(packedSqlite) === sha256(marker));
    check('node_modules’ better-sqlite3 was not rebuilt', sha256(nodeSqlite) === nodeSqliteHash);

    const executable = path.join(appOutDir, manifest.name);
    const fuses = fs.existsSync(executable) ? readFuses(executable) : null;
    check('the packed executable carries a fuse wire', fuses !== null, path.relative(output, executable));
    for (const [name, [index, state]] of Object.entries(EXPECTED_FUSES)) {
      check(`fuse ${name} ${state === ENABLE ? 'on' : 'off'}`, fuses?.[index] === state);
    }

    checkUpdateFeed(manifest, resources, output);

    const asarBytes = fs.statSync(asarFile).size;
    check(`app.asar is under ${ASAR_BUDGET_BYTES / 1024 / 1024} MB`, asarBytes < ASAR_BUDGET_BYTES, `${(asarBytes / 1024 / 1024).toFixed(1)} MB, ${entries.length} entries`);
    process.stdout.write(`electron-builder --linux dir took ${packSeconds.toFixed(1)} s\n`);
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }

  const failed = results.filter((result) => !result.isOk).length;
  process.stdout.write(`package checks: ${results.length - failed} passed, ${failed} failed (${((Date.now() - started) / 1000).toFixed(1)} s)\n`);
  if (failed > 0) process.exitCode = 1;
}

try {
  main();
} catch (error) {
  process.stderr.write(`test:package failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
}
