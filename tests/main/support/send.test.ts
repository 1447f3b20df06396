/**
 * "Send to support" against the reference server's rageshake receiver: the multipart body is
 * parsed there, the logs arrive gzipped and are unpacked, everything stored is the redacted
 * bundle the user previewed; caps, retries, cancel, and the bundle kept for Save.
 */
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { startServer, type ServerHandle } from '../../../server';
import type { Core } from '../../../src/main/core';
import type { DesktopPort } from '../../../src/main/core/diagnostics';
import type { EventPayload } from '../../../src/shared/contract';
import { AppError } from '../../../src/shared/errors';
import { makeTempDir, makeTestCore } from '../../support/core';
import { startFaultProxy } from '../../support/fault-proxy';
import * as s from '../../support/secrets';
import { readZip } from '../../support/zip';
import { DEMO_PASSWORD } from '../../../src/shared/demo';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const FAST_RETRIES = { supportRetryBaseMs: 20, supportRetryCapMs: 40, supportRequestTimeoutMs: 5_000 };

async function referenceServer(options: { maxPayloadSize?: number } = {}): Promise<{ server: ServerHandle; reportsDir: string }> {
  const dir = makeTempDir('nova-support-server-');
  const server = await startServer({ seed: true, bcryptRounds: 4, dataFile: path.join(dir, 'server.db'), ...options });
  cleanups.push(async () => {
    await server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  return { server, reportsDir: path.join(dir, 'support-reports') };
}

type Harness = { core: Core; dataDir: string; saved: string[]; progress: Array<EventPayload<'support:progress'>> };

/** A core whose organisation file names `supportUrl`, with a log full of secrets to send. */
function supportCore(supportUrl: string | null, serverUrl = 'http://127.0.0.1:9', logText?: string): Harness {
  const dataDir = makeTempDir('nova-support-core-');
  if (supportUrl !== null) fs.writeFileSync(path.join(dataDir, 'organization.json'), JSON.stringify({ supportUrl }));
  fs.mkdirSync(path.join(dataDir, 'logs'));
  fs.writeFileSync(
    path.join(dataDir, 'logs', 'main.log'),
    logText ??
      [
        `[2026-11-28T10:00:00.000Z] [info]  [main] (auth) signed in as ${s.EMAIL} token ${s.ACCESS_JWT}`,
        `[2026-11-28T10:00:01.000Z] [warn]  [main] (auth) retry with password=${s.PASSWORD}`,
        '[2026-11-28T10:00:02.000Z] [info]  [main] (connection) CONNECTED',
        '',
      ].join('\n'),
  );
  const saved: string[] = [];
  const desktop: DesktopPort = {
    chooseSavePath: (name) => Promise.resolve(path.join(dataDir, `saved-${name}`)),
    revealFile: (file) => saved.push(file),
    openFolder: () => undefined,
  };
  const { core, cleanup } = makeTestCore({
    dataDir,
    serverUrl,
    desktop,
    timing: FAST_RETRIES,
    appInfo: { name: 'Nova', version: '1.2.3', electron: null, chrome: null },
  });
  const progress: Array<EventPayload<'support:progress'>> = [];
  core.events.on('support:progress', (update) => progress.push(update));
  cleanups.push(cleanup);
  return { core, dataDir, saved, progress };
}

function reportDirs(reportsDir: string): string[] {
  if (!fs.existsSync(reportsDir)) return [];
  return fs.readdirSync(reportsDir).flatMap((day) => fs.readdirSync(path.join(reportsDir, day)).map((id) => path.join(reportsDir, day, id)));
}

/** Lower-case words of random letters: they gzip poorly and look like no secret to the redactor. */
function randomWords(count: number): string {
  const bytes = randomBytes(count * 8);
  const words: string[] = [];
  for (let word = 0; word < count; word += 1) {
    const length = 3 + (bytes[word * 8] ?? 0) % 6;
    words.push(Array.from(bytes.subarray(word * 8, word * 8 + length), (byte) => String.fromCharCode(97 + (byte % 26))).join(''));
  }
  return words.join(' ');
}

async function rejection(promise: Promise<unknown>): Promise<AppError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
  throw new Error('expected the send to fail');
}

describe('Send to support', () => {
  it('uploads exactly the previewed bundle: parsed, unpacked and redacted on the receiver', async () => {
    const { server, reportsDir } = await referenceServer();
    const { core, dataDir, progress } = supportCore(`${server.url}/api/submit`);
    await core.start();
    expect(await core.handlers['support:status']({})).toMatchObject({ canSend: true, destination: `127.0.0.1:${server.port}` });

    const preview = await core.handlers['diagnostics:collect']({});
    const result = await core.handlers['support:send']({ bundleId: preview.bundleId, description: 'Messages stay grey since 10:00' });
    expect(result).toMatchObject({ status: 'sent', bundleId: preview.bundleId });
    if (result.status !== 'sent') throw new Error('not sent');
    expect(result.reportUrl).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${server.port}/api/listing/\\d{4}-\\d{2}-\\d{2}/\\d{6}-[0-9a-f]{8}/$`));

    const [dir, ...others] = reportDirs(reportsDir);
    expect(others).toEqual([]);
    if (!dir) throw new Error('no report stored');
    const details = JSON.parse(fs.readFileSync(path.join(dir, 'details.json'), 'utf8')) as Record<string, unknown>;
    expect(details).toMatchObject({
      text: 'Messages stay grey since 10:00',
      app: 'nova-desktop',
      version: '1.2.3',
      labels: ['nova-desktop'],
      data: { bundle_id: preview.bundleId, platform: process.platform },
    });
    expect(String(details['user_agent'])).toMatch(/^Nova\/1\.2\.3 \(/);

    // Every entry of the zip the user previewed arrived, unpacked, byte for byte.
    const zip = await readZip(path.join(dataDir, 'diagnostics', `${preview.bundleId}.zip`));
    expect(zip.map((entry) => entry.name).sort()).toEqual(preview.files.map((file) => file.name).sort());
    const files = details['files'] as Array<{ name: string; field: string }>;
    for (const entry of zip) {
      const storedName = path.posix.basename(entry.name);
      const stored = files.find((file) => file.name === storedName);
      expect(stored?.field, entry.name).toBe(entry.name.startsWith('logs/') ? 'compressed-log' : 'file');
      expect(fs.readFileSync(path.join(dir, storedName)).equals(entry.data), entry.name).toBe(true);
    }
    const log = fs.readFileSync(path.join(dir, 'main.log'), 'utf8');
    expect(log).toContain('(connection) CONNECTED');
    expect(log).toContain('[masked:email]');
    const everything = fs.readdirSync(dir).map((name) => fs.readFileSync(path.join(dir, name), 'utf8')).join('\n');
    for (const secret of [s.EMAIL, s.ACCESS_JWT, s.PASSWORD]) expect(everything).not.toContain(secret);

    // The report URL reads the report back; progress went from preparing to sent with every byte.
    const listing = (await (await fetch(result.reportUrl ?? '')).json()) as { details: { bundle_id?: string; data: { bundle_id: string } } };
    expect(listing.details.data.bundle_id).toBe(preview.bundleId);
    expect(progress[0]?.stage).toBe('preparing');
    const last = progress.at(-1);
    expect(last).toMatchObject({ stage: 'sent', attempt: 1, maxAttempts: 4 });
    expect(last?.sentBytes).toBe(last?.totalBytes);
    expect(last?.totalBytes).toBe(result.sizeBytes);
    expect(progress.some((update) => update.stage === 'uploading' && update.sentBytes > 0)).toBe(true);
  });

  it('refuses a report over the size cap at once, with no retry, and the bundle stays saveable', async () => {
    // maxPayloadSize 16 KiB → reports up to 256 KiB; 600 KB of random text does not gzip below that.
    const { server, reportsDir } = await referenceServer({ maxPayloadSize: 16 * 1024 });
    const noise = Array.from({ length: 8_000 }, () => `[2026-11-28T10:00:00.000Z] [info]  [main] (noise) ${randomWords(16)}`).join('\n');
    const { core, saved, progress } = supportCore(`${server.url}/api/submit`, 'http://127.0.0.1:9', `${noise}\n`);
    await core.start();
    const preview = await core.handlers['diagnostics:collect']({});

    const error = await rejection(core.handlers['support:send']({ bundleId: preview.bundleId, description: '' }));
    expect(error.code).toBe('MESSAGE_TOO_LARGE');
    expect(error.message).toMatch(/answered 413: Reports are limited to 262144 bytes \(RS_CONTENT_TOO_LARGE\)/);
    expect(error.message).toContain('The bundle is kept: use Save…');
    expect(progress.filter((update) => update.stage === 'waiting')).toEqual([]);
    expect(progress.at(-1)?.stage).toBe('failed');
    expect(reportDirs(reportsDir)).toEqual([]);

    const { savedPath } = await core.handlers['diagnostics:save']({ bundleId: preview.bundleId });
    expect(savedPath && fs.statSync(savedPath).size).toBe(preview.sizeBytes);
    expect(saved).toEqual([savedPath]);
  });

  it('retries with backoff while the server is down, then fails and keeps the bundle for Save', async () => {
    const { server } = await referenceServer();
    const { core, progress } = supportCore(`${server.url}/api/submit`);
    await core.start();
    const preview = await core.handlers['diagnostics:collect']({});
    await server.close();

    const error = await rejection(core.handlers['support:send']({ bundleId: preview.bundleId, description: 'help' }));
    expect(error.code).toBe('NETWORK_ERROR');
    expect(error.message).toMatch(/^Could not send the bundle after 4 attempts: the support server could not be reached \(ECONNREFUSED\)\. The bundle is kept/);
    const waits = progress.filter((update) => update.stage === 'waiting');
    expect(waits.map((update) => update.attempt)).toEqual([1, 2, 3]);
    for (const wait of waits) expect(wait.lastError).toContain('ECONNREFUSED');
    expect(new Set(progress.filter((update) => update.stage === 'uploading').map((update) => update.attempt))).toEqual(new Set([1, 2, 3, 4]));

    const { savedPath } = await core.handlers['diagnostics:save']({ bundleId: preview.bundleId });
    expect(savedPath && fs.existsSync(savedPath)).toBe(true);
  });

  it('waits as long as a 503 asks, gets through, and can be cancelled while it waits', async () => {
    const { server, reportsDir } = await referenceServer();
    const { core, progress } = supportCore(`${server.url}/api/submit`);
    await core.start();
    const preview = await core.handlers['diagnostics:collect']({});

    // A 503 with Retry-After: the next attempt waits as long as the server asked, and gets in.
    server.control.unavailable(1_000);
    const sent = await core.handlers['support:send']({ bundleId: preview.bundleId, description: '' });
    expect(sent.status).toBe('sent');
    const waits = progress.filter((update) => update.stage === 'waiting');
    expect(waits).toHaveLength(1);
    expect(waits[0]?.lastError).toContain('answered 503');
    const answeredAt = progress.findIndex((update) => update.stage === 'waiting');
    const retried = progress.slice(answeredAt).find((update) => update.stage === 'uploading');
    expect(retried?.attempt).toBe(2);
    expect(reportDirs(reportsDir)).toHaveLength(1);

    server.control.unavailable(60_000);
    const cancelOnWait = core.events.on('support:progress', (update) => {
      if (update.stage === 'waiting') void core.handlers['support:cancel']({ bundleId: preview.bundleId });
    });
    const cancelled = await core.handlers['support:send']({ bundleId: preview.bundleId, description: '' });
    cancelOnWait();
    expect(cancelled).toEqual({ status: 'cancelled', bundleId: preview.bundleId });
    expect(progress.at(-1)?.stage).toBe('cancelled');
    expect(reportDirs(reportsDir)).toHaveLength(1);
  });

  it('never holds up messaging while an upload hangs on a blackholed support server', async () => {
    const { server, reportsDir } = await referenceServer();
    const proxy = await startFaultProxy(server.port);
    cleanups.push(() => proxy.close());
    proxy.blackhole(true);
    const { core, progress } = supportCore(`${proxy.url}/api/submit`, server.url);
    await core.start();
    await core.handlers['auth:login']({ email: 'alice@nova.local', password: DEMO_PASSWORD });
    const preview = await core.handlers['diagnostics:collect']({});

    const upload = core.handlers['support:send']({ bundleId: preview.bundleId, description: '' });
    const uploading = new Promise<void>((resolve) => {
      const off = core.events.on('support:progress', (update) => {
        if (update.stage === 'uploading') {
          off();
          resolve();
        }
      });
    });
    await uploading;
    const conversationId = server.seed?.conversations.direct ?? '';
    const message = await core.handlers['messages:send']({ conversationId, text: 'sent while the upload hangs' });
    await expect.poll(() => server.control.listMessages(conversationId).some((m) => m.idempotency_key === message.key), { timeout: 10_000 }).toBe(true);
    expect(progress.at(-1)?.stage).toBe('uploading');

    await core.handlers['support:cancel']({ bundleId: preview.bundleId });
    expect(await upload).toEqual({ status: 'cancelled', bundleId: preview.bundleId });
    expect(reportDirs(reportsDir)).toEqual([]);
  });

  it('is hidden without a support URL, and says why if called anyway', async () => {
    const { core } = supportCore(null);
    await core.start();
    const status = await core.handlers['support:status']({});
    expect(status).toMatchObject({ canSend: false, destination: null, organization: { status: 'absent', source: 'default' } });
    const preview = await core.handlers['diagnostics:collect']({});
    const error = await rejection(core.handlers['support:send']({ bundleId: preview.bundleId, description: '' }));
    expect(error.code).toBe('NOT_IMPLEMENTED');
  });
});

describe('the reference receiver', () => {
  it('takes only multipart bodies within the cap, and answers like rageshake', async () => {
    const { server } = await referenceServer({ maxPayloadSize: 1024 });
    const json = await fetch(`${server.url}/api/submit`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"text":"hi"}' });
    expect(json.status).toBe(400);
    expect(await json.json()).toEqual({ error: 'Reports are multipart/form-data', errcode: 'RS_BAD_CONTENT' });

    const big = new FormData();
    big.append('file', new Blob([new Uint8Array(17 * 1024)]), 'big.txt');
    const tooBig = await fetch(`${server.url}/api/submit`, { method: 'POST', body: big });
    expect(tooBig.status).toBe(413);
    expect(await tooBig.json()).toEqual({ error: 'Reports are limited to 16384 bytes', errcode: 'RS_CONTENT_TOO_LARGE' });

    const notGzip = new FormData();
    notGzip.append('compressed-log', new Blob(['plain text']), 'main.log');
    const refused = await fetch(`${server.url}/api/submit`, { method: 'POST', body: notGzip });
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as { errcode: string }).errcode).toBe('RS_BAD_CONTENT');

    expect((await fetch(`${server.url}/api/submit`)).status).toBe(405);
  });

  it('needs a data folder: an in-memory server says so', async () => {
    const server = await startServer();
    cleanups.push(() => server.close());
    const form = new FormData();
    form.append('text', 'hi');
    const answer = await fetch(`${server.url}/api/submit`, { method: 'POST', body: form });
    expect(answer.status).toBe(503);
    expect(((await answer.json()) as { error: string }).error).toMatch(/--data/);
  });
});
