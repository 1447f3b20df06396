import fs from 'node:fs';
import path from 'node:path';

/**
 * Where the Electron-ABI build of better-sqlite3 lives. node_modules keeps the Node-ABI build
 * so `npm test` works; Electron loads this separate file through better-sqlite3's
 * `nativeBinding` option (decisions.md, "One native module, two runtimes").
 * - packaged: no override. electron-builder's afterPack hook (scripts/electron-native.mjs) put the
 *   Electron build where better-sqlite3 looks by default, app.asar.unpacked/node_modules/…;
 * - development: `npm start` builds it once into .electron-native/<electron version>/.
 */
export function resolveSqliteBinding(options: {
  isPackaged: boolean;
  appPath: string;
  electronVersion: string;
}): string | undefined {
  if (options.isPackaged) return undefined;
  const candidate = path.join(options.appPath, '.electron-native', options.electronVersion, 'better_sqlite3.node');
  return fs.existsSync(candidate) ? candidate : undefined;
}
