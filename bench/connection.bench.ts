/**
 * Connection bench: dead-link detection, reconnect after a server outage, and a thundering
 * herd of 200 clients against a server admitting 50 new sockets per second, for our connection
 * manager and for reconnecting-websocket on its own (the baseline).
 *
 *   npx tsx bench/connection.bench.ts [--herd 200] [--trials 5]
 *
 * Bench clients are bare ConnectionServices (no core, no database). Figures are merged into
 * bench/results/latest.json under the keys the issue names.
 */
import { parseArgs } from 'node:util';
import ReconnectingWebSocket from 'reconnecting-websocket';
import WebSocket from 'ws';
import { startServer, type ServerHandle } from '../server/index';
import { DEMO_PASSWORD } from '../server/seed';
import { systemClock } from '../src/main/core/clock';
import { ConnectionService, type LinkAuth } from '../src/main/core/connection';
import { createMemoryLogger } from '../src/main/core/logging';
import { DEFAULT_TIMING, type Timing } from '../src/main/core/options';
import type { TokenPair } from '../src/shared/protocol';
import { startFaultProxy } from '../tests/support/fault-proxy';
import { percentile, recordBenchResults } from './results';

const { values } = parseArgs({
  options: { herd: { type: 'string', default: '200' }, trials: { type: 'string', default: '5' } },
});
const HERD = Number(values.herd);
const TRIALS = Number(values.trials);
const out = (line: string): void => {
  process.stdout.write(`${line}\n`);
};
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A small seeded PRNG per client, as 200 separate apps would each have their own. */
function seeded(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 2 ** 32;
  };
}

async function tokenFor(server: { url: string }, email: string): Promise<{ token: string; userId: string }> {
  const response = await fetch(`${server.url}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ email, password: DEMO_PASSWORD }),
  });
  const pair = (await response.json()) as TokenPair;
  const claims = JSON.parse(Buffer.from(pair.access_token.split('.')[1] ?? '', 'base64url').toString()) as { sub: string };
  return { token: pair.access_token, userId: claims.sub };
}

function staticAuth(token: string, userId: string): LinkAuth {
  return {
    userId: () => userId,
    currentAccessToken: () => token,
    freshAccessToken: () => Promise.resolve(token),
    refresh: () => Promise.resolve(token),
    request: () => Promise.reject(new Error('no REST in the bench')),
  };
}

function ourClient(serverUrl: string, auth: LinkAuth, timing: Partial<Timing>, random: () => number): ConnectionService {
  return new ConnectionService({
    serverUrl,
    auth,
    clock: systemClock,
    random,
    timing: { ...DEFAULT_TIMING, ...timing },
    log: createMemoryLogger(),
  });
}

/** reconnecting-websocket with its own backoff; we count every socket it constructs. */
function baselineClient(
  wsUrl: string,
  token: string,
  random: () => number,
  onAttempt: () => void,
): { rws: ReconnectingWebSocket; isOpen: () => boolean } {
  class HeaderSocket extends WebSocket {
    constructor(address: string | URL) {
      super(address, [], { headers: { Authorization: `Bearer ${token}` } });
      this.on('error', () => undefined);
      onAttempt();
    }
  }
  let open = false;
  const rws = new ReconnectingWebSocket(wsUrl, undefined, {
    WebSocket: HeaderSocket,
    // Its default floor is drawn once per process; 200 apps would each draw their own.
    minReconnectionDelay: 1000 + random() * 4000,
    maxEnqueuedMessages: 0,
  });
  rws.addEventListener('open', () => {
    open = true;
  });
  rws.addEventListener('close', () => {
    open = false;
  });
  return { rws, isOpen: () => open };
}

async function waitUntil(predicate: () => boolean, timeoutMs: number, stepMs = 5): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (predicate()) return true;
    await sleep(stepMs);
  }
  return predicate();
}

// ---- dead link ----------------------------------------------------------------------------

async function deadLink(): Promise<{ ours: number[]; baseline: number | null }> {
  const server = await startServer({ seed: true, bcryptRounds: 4 });
  const { token, userId } = await tokenFor(server, 'alice@nova.local');
  const ours: number[] = [];
  for (let trial = 0; trial < TRIALS; trial++) {
    const proxy = await startFaultProxy(server.port);
    const link = ourClient(proxy.url, staticAuth(token, userId), { heartbeatIntervalMs: 1000, heartbeatTimeoutMs: 500 }, seeded(trial + 1));
    link.start();
    await waitUntil(() => link.state === 'CONNECTED', 5000);
    // Blackhole at a random phase of the heartbeat cycle; the worst case is right after a pong.
    await sleep(300 + Math.floor(seeded(trial + 99)() * 1000));
    const started = Date.now();
    proxy.blackhole(true);
    await waitUntil(() => link.getStats().heartbeatTimeouts > 0, 10_000, 2);
    ours.push(Date.now() - started);
    link.dispose();
    await proxy.close();
  }
  const proxy = await startFaultProxy(server.port);
  const base = baselineClient(`ws://127.0.0.1:${proxy.port}/ws`, token, seeded(7), () => undefined);
  await waitUntil(base.isOpen, 5000);
  const started = Date.now();
  proxy.blackhole(true);
  const noticed = await waitUntil(() => !base.isOpen(), 10_000, 10);
  const baseline = noticed ? Date.now() - started : null;
  base.rws.close();
  await proxy.close();
  await server.close();
  return { ours, baseline };
}

// ---- server down 5 s ----------------------------------------------------------------------

async function serverReturn(): Promise<number[]> {
  const results = await Promise.all(
    Array.from({ length: TRIALS }, async (_, trial) => {
      const server = await startServer({ seed: true, bcryptRounds: 4 });
      const { token, userId } = await tokenFor(server, 'alice@nova.local');
      const link = ourClient(server.url, staticAuth(token, userId), {}, seeded(1000 + trial));
      link.start();
      await waitUntil(() => link.state === 'CONNECTED', 5000);
      await server.control.restart({ downMs: 5000 });
      const back = Date.now();
      await waitUntil(() => link.state === 'CONNECTED', 60_000, 5);
      const elapsed = Date.now() - back;
      link.dispose();
      await server.close();
      return elapsed;
    }),
  );
  return results;
}

// ---- thundering herd ----------------------------------------------------------------------

type HerdResult = { allMs: number | null; attempts: number; peakPer100ms: number };

function peak(timestamps: readonly number[], from: number): number {
  const buckets = new Map<number, number>();
  for (const at of timestamps) {
    const bucket = Math.floor((at - from) / 100);
    buckets.set(bucket, (buckets.get(bucket) ?? 0) + 1);
  }
  return Math.max(0, ...buckets.values());
}

async function herd(kind: 'ours' | 'baseline'): Promise<HerdResult> {
  const server: ServerHandle = await startServer({ seed: true, bcryptRounds: 4, admissionPerSecond: 50 });
  const users = [await tokenFor(server, 'alice@nova.local'), await tokenFor(server, 'bob@nova.local')];
  const attempts: number[] = [];
  const isConnected: Array<() => boolean> = [];
  const disposers: Array<() => void> = [];
  for (let index = 0; index < HERD; index++) {
    const user = users[index % users.length]!;
    const random = seeded(index * 7919 + (kind === 'ours' ? 1 : 2));
    if (kind === 'ours') {
      const link = ourClient(server.url, staticAuth(user.token, user.userId), {}, random);
      let seen = 0;
      link.onDidTransition(() => undefined);
      const poll = setInterval(() => {
        const now = link.getStats().attemptsStarted;
        for (; seen < now; seen++) attempts.push(Date.now());
      }, 5);
      link.start();
      isConnected.push(() => link.state === 'CONNECTED');
      disposers.push(() => {
        clearInterval(poll);
        link.dispose();
      });
    } else {
      const client = baselineClient(server.wsUrl, user.token, random, () => attempts.push(Date.now()));
      isConnected.push(client.isOpen);
      disposers.push(() => client.rws.close());
    }
  }
  const allUp = (): boolean => isConnected.every((connected) => connected());
  await waitUntil(allUp, 60_000, 20);
  const dropped = Date.now();
  attempts.length = 0;
  await server.control.restart({ downMs: 5000 });
  const back = Date.now();
  const ok = await waitUntil(allUp, 120_000, 10);
  const allMs = ok ? Date.now() - back : null;
  const result = { allMs, attempts: attempts.length, peakPer100ms: peak(attempts, dropped) };
  for (const dispose of disposers) dispose();
  await server.close();
  return result;
}

async function main(): Promise<void> {
  out('dead link (heartbeat 1 s / timeout 0.5 s, blackholing proxy)…');
  const dead = await deadLink();
  out(`  ours: ${dead.ours.join(', ')} ms; baseline: ${dead.baseline ?? 'never (10 s)'}`);
  out('server down 5 s, then back…');
  const back = await serverReturn();
  out(`  ours: ${back.join(', ')} ms`);
  out(`herd of ${HERD}, admission 50/s: ours…`);
  const ours = await herd('ours');
  out(`  ${JSON.stringify(ours)}`);
  out(`herd of ${HERD}, admission 50/s: reconnecting-websocket alone…`);
  const baseline = await herd('baseline');
  out(`  ${JSON.stringify(baseline)}`);
  recordBenchResults({
    dead_link_detect_ms: Math.max(...dead.ours),
    dead_link_detect_p50_ms: percentile(dead.ours, 50),
    dead_link_detect_baseline_ms: dead.baseline,
    reconnect_after_server_return_ms: percentile(back, 50),
    reconnect_after_server_return_max_ms: Math.max(...back),
    reconnect_herd_all_ms: ours.allMs,
    reconnect_herd_attempts: ours.attempts,
    reconnect_herd_peak_per_100ms: ours.peakPer100ms,
    reconnect_herd_all_ms_baseline: baseline.allMs,
    reconnect_herd_attempts_baseline: baseline.attempts,
    reconnect_herd_peak_per_100ms_baseline: baseline.peakPer100ms,
  });
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`${String(error)}\n`);
    process.exit(1);
  },
);
