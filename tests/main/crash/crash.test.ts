import { fork } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServerHandle } from '../../../server/index';
import { makeTempDir } from '../../support/core';
import { startDemoServer } from '../../support/real-core';

const ROUNDS = Number(process.env['CRASH_ROUNDS'] ?? 55);
let server: ServerHandle;
let bundle: string;
let workDir: string;

beforeAll(async () => {
  server = await startDemoServer();
  workDir = makeTempDir('nova-crash-');
  // One bundle, started with plain node: fifty-odd restarts must not each pay for a TS compile.
  bundle = path.join(workDir, 'child.cjs');
  await build({
    entryPoints: [path.join(__dirname, 'child.ts')],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    outfile: bundle,
    external: ['better-sqlite3', 'ws', 'electron-log', 'electron-log/*', 'prometheus-remote-write'],
    logLevel: 'silent',
    nodePaths: [path.join(__dirname, '../../../node_modules')],
  });
});

afterAll(async () => {
  await server.close();
  fs.rmSync(workDir, { recursive: true, force: true });
});

type Report = { type: 'ready' } | { type: 'saved'; conversation: 'A' | 'B'; text: string } | { type: 'drained'; pending: number };

function runChild(
  args: readonly string[],
  onReport: (report: Report) => void,
  killAfterReadyMs: number | null,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = fork(bundle, args, {
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      env: { ...process.env, NODE_PATH: path.join(__dirname, '../../../node_modules') },
    });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += String(chunk);
    });
    const guard = setTimeout(() => child.kill('SIGKILL'), 15_000);
    child.on('message', (message: Report) => {
      onReport(message);
      if (message.type === 'ready' && killAfterReadyMs !== null) {
        setTimeout(() => child.kill('SIGKILL'), killAfterReadyMs);
      }
    });
    child.on('exit', (code, signal) => {
      clearTimeout(guard);
      if (signal === 'SIGKILL' || code === 0) resolve();
      else reject(new Error(`child exited ${code ?? signal}: ${stderr}`));
    });
  });
}

describe('crash safety', () => {
  it(`survives ${ROUNDS} SIGKILLs at random points: every saved message is delivered once, in compose order`, async () => {
    const seed = server.seed;
    if (!seed) throw new Error('no seed');
    const dataDir = path.join(workDir, 'data');
    const conversations = { A: seed.conversations.direct, B: seed.conversations.team };
    const saved: Record<'A' | 'B', string[]> = { A: [], B: [] };
    const base = [server.url, server.wsUrl, conversations.A, conversations.B];
    for (let round = 0; round < ROUNDS; round += 1) {
      // Some rounds hold acks back, so kills also land between a send and its ack.
      server.control.delayAcks(round % 3 === 0 ? 40 : 0);
      const killAfter = 20 + Math.floor(Math.random() * 180);
      await runChild([dataDir, ...base, String(round * 100_000), 'compose'], (report) => {
        if (report.type === 'saved') saved[report.conversation].push(report.text);
      }, killAfter);
    }
    server.control.delayAcks(0);
    let drained: number | null = null;
    await runChild([dataDir, ...base, '0', 'drain'], (report) => {
      if (report.type === 'drained') drained = report.pending;
    }, null);
    expect(drained).toBe(0);
    expect(saved.A.length + saved.B.length).toBeGreaterThan(ROUNDS);
    for (const key of ['A', 'B'] as const) {
      const onServer = server.control
        .listMessages(conversations[key])
        .map((m) => m.plaintext ?? '')
        .filter((text) => /^[AB]-\d+$/.test(text));
      // exactly once: no text twice, including messages whose "saved" report the kill cut off
      expect(new Set(onServer).size).toBe(onServer.length);
      const reported = new Set(saved[key]);
      const delivered = onServer.filter((text) => reported.has(text));
      const at = delivered.findIndex((text, i) => text !== saved[key][i]);
      if (at >= 0) console.log(key, at, delivered.slice(Math.max(0, at - 3), at + 5), saved[key].slice(Math.max(0, at - 3), at + 5), delivered.length, saved[key].length);
      expect(delivered).toEqual(saved[key]);
    }
    // Bounded by its round count; the time limit only stops a broken run. A round is a child
    // start, a kill and a restart: on a 2-core machine shared by several suites (load 15) that
    // takes up to ~2.5 s, so a round gets 4 s.
  }, ROUNDS * 4_000);
});
