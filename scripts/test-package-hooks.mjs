// afterPack for `npm run test:package`: the app's own hook (the Electron build of SQLite), then a
// stand-in installer announced the way an installer target announces one, so electron-builder's
// PublishManager writes the update feed (latest-linux.yml, and beta/alpha) as `npm run dist` does
// next to a real AppImage. The AppImage tool itself cannot be downloaded here.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { afterPack as packNativeModule } from './electron-native.mjs';

const { announceUpdateArtifact, appImageName } = createRequire(import.meta.url)('./update-feed.cjs');

export async function afterPack(context) {
  await packNativeModule(context);
  const { productName, version } = context.packager.appInfo;
  const file = path.join(context.outDir, appImageName(productName, version));
  fs.writeFileSync(file, `stand-in for the ${productName} ${version} AppImage (npm run test:package)\n`);
  await announceUpdateArtifact(context, file, context.outDir);
}
