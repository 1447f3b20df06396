/**
 * The electron-builder configuration as electron-builder itself loads it: what gets packed, the
 * native module, the fuses, every installer target and the icons they need. Schema validation
 * (5 s) and what the packer then produces are left to `npm run test:package`, which runs the real
 * electron-builder on this file.
 */
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { getConfig } from 'app-builder-lib/out/util/config/config';
import type { Configuration } from 'electron-builder';
import { beforeAll, describe, expect, it } from 'vitest';

const root = path.resolve(__dirname, '../..');
let config: Configuration;

beforeAll(async () => {
  config = await getConfig(root, null, null);
});

function targetNames(target: unknown): string[] {
  const list = Array.isArray(target) ? target : [target];
  return list.map((entry: unknown) => (typeof entry === 'string' ? entry : String((entry as { target: string }).target)));
}

/** Width and height from a PNG's IHDR chunk. */
function pngSize(bytes: Buffer): { width: number; height: number } {
  expect(bytes.subarray(1, 4).toString('latin1')).toBe('PNG');
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
}

describe('electron-builder configuration', () => {
  it('names the app and reads its build resources from resources/', () => {
    expect(config.appId).toBe('dev.nova.desktop');
    expect(config.productName).toBe('Nova');
    expect(config.directories?.buildResources).toBe('resources');
  });

  it('packs only the built app and its manifest', () => {
    // electron-builder normalizes `files` into file sets; ours is one set without from/to.
    const sets = (Array.isArray(config.files) ? config.files : [config.files]) as unknown[];
    const patterns = sets.flatMap((set) => (typeof set === 'string' ? [set] : ((set as { filter?: string[] }).filter ?? [])));
    expect(sets.every((set) => typeof set === 'string' || !('from' in (set as object)))).toBe(true);
    const included = patterns.filter((pattern) => !pattern.startsWith('!'));
    expect(included).toEqual(['out/**', 'package.json']);
    expect(config.asar).toBe(true);
    expect(config.extraResources ?? []).toEqual([]);
    expect(config.extraFiles ?? []).toEqual([]);
  });

  it('unpacks native addons and never rebuilds node_modules in place', async () => {
    expect(config.asarUnpack).toContain('**/*.node');
    expect(config.npmRebuild).toBe(false);
    expect(config.nodeGypRebuild).toBe(false);
    expect(config.afterPack).toBe('./scripts/electron-native.mjs');
    const hookModule = pathToFileURL(path.join(root, 'scripts/electron-native.mjs')).href;
    const hook = (await import(hookModule)) as { afterPack?: unknown };
    expect(typeof hook.afterPack).toBe('function');
  });

  it('turns the Electron fuses to their hardened states', () => {
    expect(config.electronFuses).toEqual({
      runAsNode: false,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      enableCookieEncryption: true,
      onlyLoadAppFromAsar: true,
      enableEmbeddedAsarIntegrityValidation: true,
      grantFileProtocolExtraPrivileges: false,
    });
  });

  it('ties Windows notifications to the appId the shell sets as its AppUserModelID', () => {
    const shell = fs.readFileSync(path.join(root, 'src/main/index.ts'), 'utf8');
    expect(shell).toContain(`const APP_USER_MODEL_ID = '${config.appId}';`);
  });

  it('builds AppImage and deb, nsis, dmg and zip', () => {
    expect(targetNames(config.linux?.target)).toEqual(['AppImage', 'deb']);
    expect(targetNames(config.win?.target)).toEqual(['nsis']);
    expect(targetNames(config.mac?.target)).toEqual(['dmg', 'zip']);
  });

  it('publishes a generic update feed, with files for every channel, for the electron-updater the app ships', () => {
    // The app reads its feed from the organisation file; this is where releases are uploaded,
    // and it makes electron-builder write app-update.yml and latest*.yml / beta*.yml / alpha*.yml.
    expect(config.publish).toEqual({ provider: 'generic', url: 'https://updates.nova.invalid/desktop/' });
    expect(config.generateUpdatesFilesForAllChannels).toBe(true);
    const manifest = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    expect(manifest.dependencies['electron-updater']).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('files the Linux desktop entry under instant messaging', () => {
    // InstantMessaging is an additional category; the freedesktop spec wants its main one, Network.
    expect(config.linux?.category?.split(';')).toEqual(['Network', 'InstantMessaging']);
  });

  it('has a Linux icon at every size from 16 to 1024 px', () => {
    const folder = path.join(root, String(config.linux?.icon));
    for (const size of [16, 24, 32, 48, 64, 128, 256, 512, 1024]) {
      const file = path.join(folder, `${size}x${size}.png`);
      expect(pngSize(fs.readFileSync(file)), file).toEqual({ width: size, height: size });
    }
  });

  it('has a Windows .ico up to 256 px', () => {
    const ico = fs.readFileSync(path.join(root, String(config.win?.icon)));
    expect(ico.readUInt16LE(2)).toBe(1); // type 1: icon
    const count = ico.readUInt16LE(4);
    // A width byte of 0 means 256 px.
    const widths = Array.from({ length: count }, (_, index) => ico[6 + index * 16] || 256);
    expect(widths).toEqual([16, 24, 32, 48, 64, 128, 256]);
  });

  it('has a macOS .icns with PNG entries up to 1024 px', () => {
    const icns = fs.readFileSync(path.join(root, String(config.mac?.icon)));
    expect(icns.subarray(0, 4).toString('latin1')).toBe('icns');
    expect(icns.readUInt32BE(4)).toBe(icns.length);
    const entries = new Map<string, number>();
    for (let offset = 8; offset < icns.length; offset += icns.readUInt32BE(offset + 4)) {
      entries.set(icns.subarray(offset, offset + 4).toString('latin1'), pngSize(icns.subarray(offset + 8)).width);
    }
    expect(entries.get('ic07')).toBe(128);
    expect(entries.get('ic08')).toBe(256);
    expect(entries.get('ic09')).toBe(512);
    expect(entries.get('ic10')).toBe(1024);
    expect(entries.get('icp4')).toBe(16);
  });
});
