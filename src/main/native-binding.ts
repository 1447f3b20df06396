import fs from 'node:fs';
import path from 'node:path';

/**
 * Where the Electron-ABI build of better-sqlite3 lives. node_modules keeps the Node-ABI build
 * so `npm test` works; Electron loads this separate file through better-sqlite3's
 * `nativeBinding` option (decisions.md, "One native module, two runtimes").
 * - packaged: electron-builder rebuilt node_modules for Electron inside the app, so no override;
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
