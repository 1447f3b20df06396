/**
 * An update feed for the updater's tests, made the way `npm run dist` makes one: electron-builder
 * packs a small app of the wanted version with this repository's publish settings
 * (electron-builder.yml), and its own PublishManager writes `latest-linux.yml` (and the other
 * channels' files) for a stand-in AppImage (scripts/update-feed.mjs). A local HTTP server on
 * 127.0.0.1:0 serves the folder and can fail, garble or tamper with any file.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type * as ElectronBuilder from 'electron-builder';
import yaml from 'js-yaml';
import { makeTempDir } from './core';
import { createRequire } from 'node:module';

const ROOT = path.resolve(__dirname, '../..');

type FeedScript = Readonly<{
  announceUpdateArtifact(context: unknown, file: string, outDir: string): Promise<void>;
  appImageName(productName: string, version: string): string;
}>;
const load = createRequire(__filename);
const { announceUpdateArtifact, appImageName } = load(path.join(ROOT, 'scripts/update-feed.cjs')) as FeedScript;

type BuilderConfig = Readonly<{ appId: string; productName: string; publish: unknown; generateUpdatesFilesForAllChannels?: boolean }>;

function repositoryConfig(): BuilderConfig {
  return yaml.load(fs.readFileSync(path.join(ROOT, 'electron-builder.yml'), 'utf8')) as BuilderConfig;
}

/** A new version of the app, as a stand-in AppImage: a script that leaves a mark when it runs. */
export function payloadFor(version: string): Buffer {
  return Buffer.from(
    `#!/bin/sh\n# Nova ${version} (a stand-in AppImage for the updater's tests)\n` +
      `[ -n "$NOVA_TEST_UPDATE_MARK" ] && echo "${version} started" >> "$NOVA_TEST_UPDATE_MARK"\nexit 0\n`,
  );
}

export type BuiltRelease = Readonly<{
  version: string;
  /** The installer's file name in the feed folder. */
  file: string;
  payload: Buffer;
  /** The sha512 (base64) electron-builder wrote for it. */
  sha512: string;
}>;

export type UpdateFeed = {
  dir: string;
  releases: BuiltRelease[];
  /** The `app-update.yml` the packaging wrote into the app's resources (the updater reads its cache folder name there). */
  appUpdateConfig: string;
  /** Packs a release into the folder, as `npm run dist` for that version would. */
  release(version: string): Promise<BuiltRelease>;
  cleanup(): void;
};

/** A feed folder; add releases with `release(version)` (each is one electron-builder run, 2–4 s). */
export function createUpdateFeed(): UpdateFeed {
  const work = makeTempDir('nova-update-feed-');
  const dir = path.join(work, 'feed');
  fs.mkdirSync(dir);
  const resources = path.join(work, 'resources');
  fs.mkdirSync(resources);
  const electronDist = path.join(work, 'electron-dist');
  fs.mkdirSync(electronDist);
  fs.writeFileSync(path.join(electronDist, 'electron'), '#!/bin/sh\n# stand-in for Electron\n', { mode: 0o755 });
  const releases: BuiltRelease[] = [];

  const feed: UpdateFeed = {
    dir,
    releases,
    appUpdateConfig: path.join(resources, 'app-update.yml'),
    async release(version) {
      const config = repositoryConfig();
      const project = path.join(work, `app-${version}`);
      fs.mkdirSync(project);
      fs.writeFileSync(
        path.join(project, 'package.json'),
        JSON.stringify({ name: 'nova-desktop', productName: config.productName, version, main: 'main.js', description: 'Nova Desktop', author: 'Nova Desktop team' }),
      );
      fs.writeFileSync(path.join(project, 'main.js'), '// the app would be here\n');
      const file = appImageName(config.productName, version);
      const payload = payloadFor(version);
      const output = path.join(work, `out-${version}`);
      const { build, Platform } = load('electron-builder') as typeof ElectronBuilder;
      // Its progress lines go to a stream of their own, not into the test's output.
      const { log } = load('builder-util/out/log') as { log: { stream: { write(text: string): boolean } } };
      const stream = log.stream;
      log.stream = { write: () => true };
      try {
        await build({
          projectDir: project,
          targets: Platform.LINUX.createTarget('dir'),
          publish: 'never',
          config: {
            appId: config.appId,
            productName: config.productName,
            publish: config.publish as never,
            generateUpdatesFilesForAllChannels: config.generateUpdatesFilesForAllChannels ?? false,
            directories: { output },
            electronDist,
            electronVersion: (JSON.parse(fs.readFileSync(path.join(ROOT, 'node_modules/electron/package.json'), 'utf8')) as { version: string }).version,
            files: ['main.js', 'package.json'],
            npmRebuild: false,
            nodeGypRebuild: false,
            afterPack: async (context) => {
              fs.writeFileSync(path.join(dir, file), payload, { mode: 0o755 });
              await announceUpdateArtifact(context, path.join(dir, file), dir);
            },
          },
        });
      } finally {
        log.stream = stream;
      }
      fs.copyFileSync(path.join(output, 'linux-unpacked', 'resources', 'app-update.yml'), feed.appUpdateConfig);
      fs.rmSync(output, { recursive: true, force: true });
      fs.rmSync(project, { recursive: true, force: true });
      const written = yaml.load(fs.readFileSync(path.join(dir, channelFileOf(version)), 'utf8')) as { files: { url: string; sha512: string }[] };
      const entry = written.files.find((candidate) => candidate.url === file);
      if (!entry) throw new Error(`electron-builder wrote no entry for ${file}`);
      const built = { version, file, payload, sha512: entry.sha512 };
      releases.push(built);
      return built;
    },
    cleanup() {
      fs.rmSync(work, { recursive: true, force: true });
    },
  };
  return feed;
}

/** The Linux feed file a version lands in first: its pre-release tag's channel, else `latest`. */
export function channelFileOf(version: string): string {
  const tag = /-([a-z]+)/.exec(version)?.[1];
  return `${tag ?? 'latest'}-linux.yml`;
}

export function sha512Base64(bytes: Buffer): string {
  return crypto.createHash('sha512').update(bytes).digest('base64');
}

type Override =
  | Readonly<{ kind: 'status'; status: number }>
  | Readonly<{ kind: 'body'; body: string }>
  | Readonly<{ kind: 'tamper' }>
  | Readonly<{ kind: 'hang' }>;

export type FeedServer = {
  /** The feed's URL, ending in a slash (what an organisation puts in `updates.url`). */
  url: string;
  /** Request paths (without the query electron-updater adds to defeat caches), in order. */
  requests: string[];
  /** Answer this file with an HTTP status. */
  fail(file: string, status: number): void;
  /** Answer this file with something else. */
  garble(file: string, body: string): void;
  /** Serve this file with one byte changed: same size, another hash. */
  tamper(file: string): void;
  /** Accept the request for this file and never answer. */
  hang(file: string): void;
  restore(file: string): void;
  close(): Promise<void>;
};

export async function startFeedServer(dir: string, base = '/nova/'): Promise<FeedServer> {
  const overrides = new Map<string, Override>();
  const requests: string[] = [];
  const server = http.createServer((request, response) => {
    const pathname = decodeURIComponent(new URL(request.url ?? '/', 'http://127.0.0.1').pathname);
    requests.push(pathname);
    const name = pathname.startsWith(base) ? pathname.slice(base.length) : null;
    const override = name === null ? undefined : overrides.get(name);
    if (override?.kind === 'hang') return;
    if (override?.kind === 'status') {
      response.writeHead(override.status, { 'content-type': 'text/plain' }).end(`${override.status}\n`);
      return;
    }
    if (override?.kind === 'body') {
      response.writeHead(200, { 'content-type': 'text/yaml', 'content-length': Buffer.byteLength(override.body) }).end(override.body);
      return;
    }
    const file = name === null || name.includes('/') || name.startsWith('.') ? null : path.join(dir, name);
    if (file === null || !fs.existsSync(file)) {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    const bytes = Buffer.from(fs.readFileSync(file));
    if (override?.kind === 'tamper') bytes[bytes.length - 2] = (bytes[bytes.length - 2] ?? 0) ^ 0xff;
    response.writeHead(200, { 'content-type': name?.endsWith('.yml') ? 'text/yaml' : 'application/octet-stream', 'content-length': bytes.length }).end(bytes);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}${base}`,
    requests,
    fail: (file, status) => overrides.set(file, { kind: 'status', status }),
    garble: (file, body) => overrides.set(file, { kind: 'body', body }),
    tamper: (file) => overrides.set(file, { kind: 'tamper' }),
    hang: (file) => overrides.set(file, { kind: 'hang' }),
    restore: (file) => overrides.delete(file),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
