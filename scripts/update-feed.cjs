// The update feed as electron-builder writes it. `npm run dist` builds installers (AppImage, deb,
// nsis, dmg/zip), and for each one electron-builder's PublishManager writes `latest*.yml` (and,
// with generateUpdatesFilesForAllChannels, `beta*.yml` and `alpha*.yml`) next to it. Here, where
// those installer tools cannot be downloaded, a packaging run announces a stand-in artifact the
// same way an installer target does, so the very same writer produces the feed: npm run
// test:package does it for the app, the updater's tests for a small app of the version they need.
// CommonJS, so the TypeScript test suites (vitest and Playwright alike) and the .mjs scripts can
// all load it.
const fs = require('node:fs');
const path = require('node:path');

/**
 * From an afterPack hook: tells electron-builder that `file` is this build's installer for the
 * app's platform, as its deb target does (sha512 by electron-builder's own hashFile, and the size).
 * Its PublishManager then writes the feed into `outDir`.
 */
async function announceUpdateArtifact(context, file, outDir) {
  const { packager, arch } = context;
  const { hashFile } = require('app-builder-lib/out/util/hash');
  await packager.info.emitArtifactBuildCompleted({
    file,
    // What electron-builder reads from an installer target: where its output goes.
    target: { name: 'AppImage', outDir, options: null },
    arch,
    packager,
    isWriteUpdateInfo: true,
    safeArtifactName: path.basename(file),
    updateInfo: { sha512: await hashFile(file), size: fs.statSync(file).size },
  });
}

/** The installer name electron-builder gives an AppImage (linux.artifactName's default). */
function appImageName(productName, version) {
  return `${productName}-${version}.AppImage`;
}

module.exports = { announceUpdateArtifact, appImageName };
