/**
 * Connection bench: dead-link detection, reconnect after a server outage, and a thundering
 * herd of 200 clients against a server admitting 50 new sockets per second, for our connection
 * manager and for reconnecting-websocket on its own (the baseline).
 *
 *   npx tsx bench/connection.bench.ts [--herd 200] [--trials 5] [--only dead,return,herd]
 *     [--outages 5,30,120] [--no-record]
 *
 * The herd's outages are real time (no scaled clock): each outage length runs its four herds
 * (ours and the baseline, planned and crash) side by side, each against its own server.
 *
 * Bench clients are bare ConnectionServices (no core, no database). `npm run bench -- connection`
 * records the figures in
 * bench/results/latest.json under the keys the issue names.
 */
import { execFile } from 'node:child_process';
import { parseArgs } from 'node:util';
import ReconnectingWebSocket from 'reconnecting-websocket';
import WebSocket from 'ws';
import { startServer, type ServerHandle } from '../server/index';
import { DEMO_PASSWORD } from '../server/seed';
import { systemClock } from '../src/main/core/clock';
import { ConnectionService, type LinkAuth } from '../src/main/core/connection';
import { ChangeWindow } from '../src/main/core/events';
import { createMemoryLogger } from '../src/main/core/logging';
import { Metrics } from '../src/main/core/metrics';
import { DEFAULT_TIMING, type Timing } from '../src/main/core/options';
import type { TokenPair } from '../src/shared/protocol';
import { startFaultProxy } from '../tests/support/fault-proxy';
import { percentile, recordBenchResults } from './results';

const { values } = parseArgs({
  options: {
    herd: { type: 'string', default: '200' },
    trials: { type: 'string', default: '5' },
    /** Comma-separated subset of dead,return,herd (all by default). */
    only: { type: 'string', default: 'dead,return,herd' },
    /** Outage lengths of the herd, in seconds of real time. */
    outages: { type: 'string', default: '5,30,120' },
    /** Child role: run one herd (`ours|baseline:planned|crash:seconds`) and print its result as JSON. */
    case: { type: 'string' },
    /** Print the figures without writing bench/results/latest.json (for trying things out). */
    'no-record': { type: 'boolean', default: false },
  },
});
const PARTS = new Set(values.only.split(','));
const SETTLE_MS = Number(process.env.NOVA_BENCH_SETTLE_MS ?? DEFAULT_TIMING.resetAfterConnectedMs + 1000);
const NO_RECORD = values['no-record'];
const HERD = Number(values.herd);
const TRIALS = Number(values.trials);
const OUTAGES = values.outages.split(',').map(Number);
const out = (line: string): void => {
  process.stdout.write(`${line}\n`);
};
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A small seeded PRNG per client, as 200 separate apps would each have their own (mulberry32,
 * seeded through a hash). A plain xorshift seeded with nearby numbers gives correlated first
 * draws, which bunched the clients' first retries and the hint's spread in an earlier version.
 */
function seeded(seed: number): () => number {
  let state = Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
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

/** `onToken` runs once per dial: the gate asks for a token right before every attempt. */
function staticAuth(token: string, userId: string, onToken: () => void = () => undefined): LinkAuth {
  return {
    userId: () => userId,
    currentAccessToken: () => token,
    freshAccessToken: () => {
      onToken();
      return Promise.resolve(token);
    },
    refresh: () => Promise.resolve(token),
    request: () => Promise.reject(new Error('no REST in the bench')),
  };
}

/** One registry for every simulated client: the bench reads its own counters, not these. */
const benchMetrics = new Metrics({ defaultMetrics: false });

function ourClient(serverUrl: string, auth: LinkAuth, timing: Partial<Timing>, random: () => number): ConnectionService {
  const all = { ...DEFAULT_TIMING, ...timing };
  return new ConnectionService({
    serverUrl,
    auth,
    clock: systemClock,
    random,
    timing: all,
    log: createMemoryLogger(),
    metrics: benchMetrics,
    changes: new ChangeWindow(systemClock, all.eventBatchMs),
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

type HerdResult = {
  allMs: number | null;
  attempts: number;
  peakPer100ms: number;
  /** Per client, from the server's return until it was connected again. */
  p50Ms: number | null;
  p95Ms: number | null;
};

function peak(timestamps: readonly number[], from: number): number {
  const buckets = new Map<number, number>();
  for (const at of timestamps) {
    const bucket = Math.floor((at - from) / 100);
    buckets.set(bucket, (buckets.get(bucket) ?? 0) + 1);
  }
  return Math.max(0, ...buckets.values());
}

/**
 * `planned`: the server announces the restart (a `reconnect` frame, then close 1012), which
 * reconnecting-websocket ignores. `crash`: the TCP connections are destroyed with no close frame
 * and no hint (clients see 1006). Either way the server is down `downMs` (real time), then admits
 * 50 sockets/s, telling each socket it turns away its own turn (retry_after_ms).
 */
async function herd(kind: 'ours' | 'baseline', restart: 'planned' | 'crash', downMs: number): Promise<HerdResult> {
  const server: ServerHandle = await startServer({ seed: true, bcryptRounds: 4, admissionPerSecond: 50 });
  const users = [await tokenFor(server, 'alice@nova.local'), await tokenFor(server, 'bob@nova.local')];
  const attempts: number[] = [];
  const onAttempt = (): void => {
    attempts.push(Date.now());
  };
  const isConnected: Array<() => boolean> = [];
  const disposers: Array<() => void> = [];
  for (let index = 0; index < HERD; index++) {
    const user = users[index % users.length]!;
    const random = seeded(index * 7919 + (kind === 'ours' ? 1 : 2) + downMs);
    if (kind === 'ours') {
      const link = ourClient(server.url, staticAuth(user.token, user.userId, onAttempt), {}, random);
      link.start();
      isConnected.push(() => link.state === 'CONNECTED');
      disposers.push(() => link.dispose());
    } else {
      const client = baselineClient(server.wsUrl, user.token, random, onAttempt);
      isConnected.push(client.isOpen);
      disposers.push(() => client.rws.close());
    }
  }
  const allUp = (): boolean => isConnected.every((connected) => connected());
  await waitUntil(allUp, 60_000, 20);
  // Clients that have just connected still carry the backoff of their way in (ours resets it
  // after 10 s connected, reconnecting-websocket after its 5 s minUptime): let both settle, as
  // apps that were connected before the restart would be.
  await sleep(SETTLE_MS);
  const dropped = Date.now();
  attempts.length = 0;
  const statsBefore = server.control.stats();
  await server.control.restart(restart === 'planned' ? { downMs, announce: true } : { downMs, crash: true });
  const back = Date.now();
  const attemptsWhileDown = attempts.length;
  // Each client's first moment connected after the return, polled every 10 ms.
  const connectedAfter: Array<number | null> = isConnected.map(() => null);
  const deadline = back + 180_000;
  while (Date.now() < deadline && connectedAfter.some((at) => at === null)) {
    const now = Date.now();
    isConnected.forEach((connected, index) => {
      if (connectedAfter[index] === null && connected()) connectedAfter[index] = now - back;
    });
    await sleep(10);
  }
  const times = connectedAfter.filter((at): at is number => at !== null);
  const allMs = times.length === HERD ? Math.max(...times) : null;
  const statsAfter = server.control.stats();
  const refused = statsAfter.upgradesRefused - statsBefore.upgradesRefused;
  const reached = statsAfter.connectionAttempts - statsBefore.connectionAttempts;
  out(`    ${kind} ${restart} ${downMs / 1000} s: while down ${attemptsWhileDown} attempts; back: ${reached} upgrades, ${refused} refused (503)`);
  const result = {
    allMs,
    attempts: attempts.length,
    peakPer100ms: peak(attempts, dropped),
    p50Ms: times.length > 0 ? percentile(times, 50) : null,
    p95Ms: times.length > 0 ? percentile(times, 95) : null,
  };
  for (const dispose of disposers) dispose();
  await server.close();
  return result;
}

/**
 * One herd in a process of its own: four herds of 200 sockets, their servers and their timers in
 * one event loop bunched the clients' arrivals behind each other's work.
 */
function herdInChild(kind: 'ours' | 'baseline', restart: 'planned' | 'crash', seconds: number): Promise<HerdResult> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', __filename, '--case', `${kind}:${restart}:${seconds}`, '--herd', String(HERD)],
      { maxBuffer: 1024 * 1024, env: process.env },
      (error, stdout) => {
        if (error) return reject(error);
        const lines = stdout.trim().split('\n');
        for (const line of lines.slice(0, -1)) out(line);
        resolve(JSON.parse(lines.at(-1) ?? '{}') as HerdResult);
      },
    );
  });
}

/** The targets for one case: ours against reconnecting-websocket's own backoff. */
function targetsMet(restart: 'planned' | 'crash', ours: HerdResult, baseline: HerdResult): boolean {
  const allWithin = ours.allMs !== null && baseline.allMs !== null && ours.allMs <= baseline.allMs + 2000;
  const attempts = restart === 'planned' ? ours.attempts <= baseline.attempts / 2 : ours.attempts <= baseline.attempts;
  return allWithin && attempts && ours.peakPer100ms <= baseline.peakPer100ms;
}

async function main(): Promise<void> {
  if (values.case !== undefined) {
    const [kind, restart, seconds] = values.case.split(':');
    const result = await herd(kind === 'baseline' ? 'baseline' : 'ours', restart === 'crash' ? 'crash' : 'planned', Number(seconds) * 1000);
    out(JSON.stringify(result));
    return;
  }
  const figures: Record<string, number | boolean | null> = {};
  if (PARTS.has('dead')) {
    out('dead link (heartbeat 1 s / timeout 0.5 s, blackholing proxy)…');
    const dead = await deadLink();
    out(`  ours: ${dead.ours.join(', ')} ms; baseline: ${dead.baseline ?? 'never (10 s)'}`);
    figures.dead_link_detect_ms = Math.max(...dead.ours);
    figures.dead_link_detect_p50_ms = percentile(dead.ours, 50);
    figures.dead_link_detect_baseline_ms = dead.baseline;
  }
  if (PARTS.has('return')) {
    out('server down 5 s, then back…');
    const back = await serverReturn();
    out(`  ours: ${back.join(', ')} ms`);
    figures.reconnect_after_server_return_ms = percentile(back, 50);
    figures.reconnect_after_server_return_max_ms = Math.max(...back);
  }
  if (PARTS.has('herd')) {
    let allMet = true;
    for (const seconds of OUTAGES) {
      // The four herds of one outage run side by side, each in its own process against its own
      // server: the outage is real time, and four in a row would take four times as long.
      out(`herd of ${HERD}, down ${seconds} s, admission 50/s: ours and reconnecting-websocket alone, planned and crash, side by side…`);
      const cases = (['planned', 'crash'] as const).flatMap((restart) => (['ours', 'baseline'] as const).map((kind) => ({ restart, kind })));
      const results = await Promise.all(cases.map(({ restart, kind }) => herdInChild(kind, restart, seconds)));
      for (const restart of ['planned', 'crash'] as const) {
        const ours = results[cases.findIndex((c) => c.restart === restart && c.kind === 'ours')]!;
        const baseline = results[cases.findIndex((c) => c.restart === restart && c.kind === 'baseline')]!;
        const met = targetsMet(restart, ours, baseline);
        allMet &&= met;
        out(`  ${restart} ${seconds} s: ours ${JSON.stringify(ours)}`);
        out(`  ${restart} ${seconds} s: baseline ${JSON.stringify(baseline)} → targets ${met ? 'met' : 'MISSED'}`);
        for (const [suffix, result] of [['', ours], ['_baseline', baseline]] as const) {
          const prefix = `reconnect_herd_${restart}_${seconds}s`;
          figures[`${prefix}_all_ms${suffix}`] = result.allMs;
          figures[`${prefix}_attempts${suffix}`] = result.attempts;
          figures[`${prefix}_peak_per_100ms${suffix}`] = result.peakPer100ms;
          figures[`${prefix}_p50_ms${suffix}`] = result.p50Ms;
          figures[`${prefix}_p95_ms${suffix}`] = result.p95Ms;
        }
        figures[`reconnect_herd_${restart}_${seconds}s_targets_met`] = met;
      }
    }
    figures.reconnect_herd_targets_met = allMet;
  }
  if (!NO_RECORD) recordBenchResults(figures);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`${String(error)}\n`);
    process.exit(1);
  },
);
