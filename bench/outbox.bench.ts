/**
 * Outbox benchmarks (issue 4):
 * - outbox_enqueue_p50_ms / _p99_ms: messages:send until the durable commit, next to
 *   fsync_p50_ms: one 4 KiB page rewritten in an allocated file + fdatasync, in the same
 *   folder, sampled in between the enqueues (fsync_idle_p50_ms: the same on an idle disk).
 * - outbox_drain_msgs_per_s: 10,000 messages in 10 conversations queued while offline, then the
 *   connection comes up to the reference server on loopback; time until every one is acked.
 *   outbox_drain_sequential_msgs_per_s: the same 10,000 as Nova's clients send them (one REST
 *   POST at a time, each awaited). outbox_drain_speedup is the ratio.
 * - outbox_drain_rtt50_ms: 2,000 messages in 10 conversations queued offline, then the link
 *   comes up through the fault proxy adding 50 ms of round trip; _single_ms the same with one
 *   message in flight per conversation (window 1, same engine); _floor_ms = RTT × ⌈messages per
 *   conversation ÷ window⌉; _rtt0_proxy_ms the same drain with no added delay (its CPU part).
 * - core_cold_start_ms (createCore + start with 10,000 queued and 100,000 cached messages) and
 *   core_rss_mb_100k, both measured in a fresh child process.
 *
 *   npx tsx bench/outbox.bench.ts [--messages 10000] [--conversations 10] [--cached 100000]
 *     [--quick] [--drain-profile out.cpuprofile] [--server-profile dir] [--no-record]
 *
 * `npm run bench -- outbox --runs 3` records the median of 3 runs per figure. `--quick` runs
 * enqueue and drain only and records nothing (for profiling); `--drain-profile` writes a
 * CPU profile of the drain alone (open it in Chrome DevTools), `--server-profile` the server
 * process's whole run into a folder; `--no-record` leaves latest.json.
 *
 * The reference server runs in its own process (as it would: a peer on loopback), so the two
 * cores are shared as client and server would share them.
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Session } from 'node:inspector/promises';
import { parseArgs } from 'node:util';
import { createCore } from '../src/main/core';
import { createMemoryLogger } from '../src/main/core/logging';
import { offlineLink } from './offline-link';
import { openDatabase } from '../src/main/core/store/database';
import { ensureConversation, PENDING_SORT_SEQ } from '../src/main/core/store/messages';
import { TestLink } from '../tests/support/link';
import { percentile, recordBenchResults } from './results';
import { DEMO_PASSWORD } from '../src/shared/demo';
import { startServerProcess as startServer, type ServerProcess } from './server-process';
import { countMessages, round, rttFigures, type Figures, type RttOptions } from './outbox-rtt';

const { values } = parseArgs({
  options: {
    messages: { type: 'string', default: '10000' },
    conversations: { type: 'string', default: '10' },
    cached: { type: 'string', default: '100000' },
    'cold-start': { type: 'string' },
    quick: { type: 'boolean', default: false },
    'drain-profile': { type: 'string' },
    'server-profile': { type: 'string' },
    'no-record': { type: 'boolean', default: false },
    /** Round trip added by the fault proxy for the drain over a real round trip. */
    'rtt-ms': { type: 'string', default: '50' },
    /** Only the drain over a round trip (for trying things out; a partial section if recorded). */
    'rtt-only': { type: 'boolean', default: false },
    'rtt-messages': { type: 'string', default: '2000' },
  },
});
const out = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

/** Child role: open a prepared data folder as the app would and report time and memory. */
async function coldStartChild(dataDir: string): Promise<void> {
  const started = performance.now();
  const core = createCore({ dataDir, serverUrl: 'http://127.0.0.1:9', logger: createMemoryLogger(), link: offlineLink });
  await core.start();
  const pending = core.getPendingCount();
  const coldStartMs = performance.now() - started;
  const rssMb = process.memoryUsage().rss / (1024 * 1024);
  await core.stop();
  process.stdout.write(JSON.stringify({ coldStartMs, rssMb, pending }));
}

/**
 * The raw cost of one durable write of the kind SQLite makes at a commit: one 4 KiB page
 * written into a file that is already allocated, then fdatasync (what SQLite calls on Linux;
 * Node's fdatasync is fsync where there is none). After its first checkpoint the WAL is reused
 * from the start, so its commits rewrite allocated space: a growing file would add the cost of
 * allocation and a size update to every sample (1.5–2.5× here), which SQLite's steady state
 * does not pay. The pages walk forward through the file, as WAL frames do.
 */
function fsyncProbe(dir: string, samples: number): { sample: () => void; p50: () => number } {
  const file = path.join(dir, 'fsync-probe');
  const page = 4096;
  const fd = fs.openSync(file, 'w');
  fs.writeSync(fd, Buffer.alloc(page * samples));
  fs.fsyncSync(fd);
  const times: number[] = [];
  const payload = Buffer.alloc(page, 1);
  return {
    sample: () => {
      const t = performance.now();
      fs.writeSync(fd, payload, 0, page, (times.length % samples) * page);
      fs.fdatasyncSync(fd);
      times.push(performance.now() - t);
    },
    p50: () => {
      fs.closeSync(fd);
      fs.rmSync(file);
      return percentile(times, 50);
    },
  };
}

function startServerProcess(): Promise<ServerProcess> {
  // --server-profile DIR: the server process writes its own CPU profile there when it exits.
  return startServer(values['server-profile'] ? ['--cpu-prof', '--cpu-prof-dir', values['server-profile']] : []);
}
async function main(): Promise<void> {
  const coldStartDir = values['cold-start'];
  if (coldStartDir) {
    await coldStartChild(coldStartDir);
    return;
  }
  // Repeats and medians are scripts/bench.mjs's (`--runs N`): one run here.
  out(`load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  const figures = values['rtt-only'] ? await rttOnly() : await runOnce();
  out(JSON.stringify(figures, null, 2));
  if (!values['no-record'] && !values.quick) recordBenchResults(figures);
}

function rttOptions(): RttOptions {
  return { rttMs: Number(values['rtt-ms']), messages: Number(values['rtt-messages']), conversations: Number(values.conversations), out };
}

async function rttOnly(): Promise<Figures> {
  const server = await startServerProcess();
  try {
    return await rttFigures(server, rttOptions());
  } finally {
    server.child.kill();
  }
}

async function runOnce(): Promise<Figures> {
  const MESSAGES = Number(values.messages);
  const CONVERSATIONS = Number(values.conversations);
  const CACHED = Number(values.cached);
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'nova-outbox-bench-'));
  const server = await startServerProcess();
  try {
    const link = new TestLink({ url: server.url, wsUrl: server.wsUrl, email: 'alice@nova.local', password: DEMO_PASSWORD });
    await link.signIn();
    const conversations: string[] = [];
    for (let i = 0; i < CONVERSATIONS; i += 1) {
      const response = await link.request('POST', '/conversations', {
        type: 'group',
        name: `bench ${i}`,
        participant_ids: [link.currentUserId() ?? ''],
      });
      conversations.push((response.body as { id: string }).id);
    }

    // ---- enqueue latency vs raw fsync ---------------------------------------------------------
    const dataDir = path.join(root, 'drain');
    const core = createCore({
      dataDir,
      serverUrl: server.url,
      logger: createMemoryLogger(),
      link,
      outboxLimits: { maxMessages: MESSAGES + 1_000 },
    });
    await core.start();
    // The baseline is sampled in between the enqueues, so both see the same disk, busy with the
    // same WAL and checkpoint writes, and the same neighbours' load. The idle figure (the disk
    // quiet, before the loop) is recorded next to it for comparison.
    const idle = fsyncProbe(dataDir, 300);
    for (let i = 0; i < 300; i += 1) idle.sample();
    const fsyncIdleMs = idle.p50();
    const fsync = fsyncProbe(dataDir, 500);
    const enqueueTimes: number[] = [];
    for (let i = 0; i < MESSAGES; i += 1) {
      const conversationId = conversations[i % CONVERSATIONS] ?? '';
      const t = performance.now();
      await core.handlers['messages:send']({ conversationId, text: `bench message ${i} ${'x'.repeat(40)}` });
      enqueueTimes.push(performance.now() - t);
      if (i % 20 === 0) fsync.sample();
    }
    const fsyncMs = fsync.p50();
    const enqueueP50 = percentile(enqueueTimes, 50);
    const enqueueP99 = percentile(enqueueTimes, 99);
    out(
      `enqueue p50 ${enqueueP50.toFixed(3)} ms, p99 ${enqueueP99.toFixed(3)} ms; ` +
        `raw fdatasync p50 ${fsyncMs.toFixed(3)} ms in between (${fsyncIdleMs.toFixed(3)} ms on an idle disk)`,
    );

    // ---- drain: offline queue, then the connection comes up --------------------------------
    const profiler = values['drain-profile'] ? new Session() : null;
    if (profiler) {
      profiler.connect();
      await profiler.post('Profiler.enable');
      await profiler.post('Profiler.start');
    }
    const drainStart = performance.now();
    const cpuBefore = process.cpuUsage();
    await link.connect();
    // Polled every 20 ms: each poll commits the pending batch and counts, so polling faster
    // would slow the drain it measures (±20 ms on a drain of a second or more).
    for (let i = 0; i < 15_000 && core.getPendingCount() > 0; i += 1) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const drainMs = performance.now() - drainStart;
    // This process's CPU time over the drain: steadier than the rate on shared cores.
    const cpu = process.cpuUsage(cpuBefore);
    const drainCpuMs = (cpu.user + cpu.system) / 1000;
    if (profiler) {
      const { profile } = await profiler.post('Profiler.stop');
      fs.writeFileSync(values['drain-profile'] ?? '', JSON.stringify(profile));
      profiler.disconnect();
    }
    const left = core.getPendingCount();
    const drainRate = (MESSAGES - left) / (drainMs / 1000);
    out(`drain: ${MESSAGES - left} acked in ${drainMs.toFixed(0)} ms → ${drainRate.toFixed(0)} msg/s (${left} left), client CPU ${drainCpuMs.toFixed(0)} ms`);
    let delivered = 0;
    for (const id of conversations) delivered += await countMessages(link, id);
    link.disconnect();
    await core.stop();
    if (values.quick) {
      out(`delivered on the server: ${delivered} of ${MESSAGES}`);
      return {
        outbox_enqueue_p50_ms: round(enqueueP50),
        fsync_p50_ms: round(fsyncMs),
        fsync_idle_p50_ms: round(fsyncIdleMs),
        outbox_enqueue_vs_fsync: round(enqueueP50 / fsyncMs),
        outbox_drain_msgs_per_s: Math.round(drainRate),
        outbox_drain_client_cpu_ms: Math.round(drainCpuMs),
      };
    }

    // ---- sequential: one REST POST at a time, awaited, as Nova's clients send ---------------
    const sequentialConversations: string[] = [];
    for (let i = 0; i < CONVERSATIONS; i += 1) {
      const response = await link.request('POST', '/conversations', {
        type: 'group',
        name: `sequential ${i}`,
        participant_ids: [link.currentUserId() ?? ''],
      });
      sequentialConversations.push((response.body as { id: string }).id);
    }
    const sequentialStart = performance.now();
    for (let i = 0; i < MESSAGES; i += 1) {
      const conversationId = sequentialConversations[i % CONVERSATIONS] ?? '';
      const response = await link.request('POST', `/conversations/${conversationId}/messages`, {
        plaintext: `bench message ${i} ${'x'.repeat(40)}`,
        idempotency_key: randomUUID(),
      });
      if (response.status !== 200) throw new Error(`sequential POST answered ${response.status}`);
    }
    const sequentialMs = performance.now() - sequentialStart;
    const sequentialRate = MESSAGES / (sequentialMs / 1000);
    out(`sequential REST: ${sequentialRate.toFixed(0)} msg/s`);

    // ---- cold start with 10,000 queued and 100,000 cached ------------------------------------
    const coldDir = path.join(root, 'cold');
    fs.mkdirSync(coldDir, { recursive: true });
    const db = openDatabase(path.join(coldDir, 'nova.db'));
    const owner = 'bench-owner';
    const insertMessage = db.prepare(
      `INSERT INTO messages (owner_id, conversation_id, key, server_id, seq, sort_seq, sender_id, text, composed_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const insertOutbox = db.prepare(
      `INSERT INTO outbox (key, owner_id, conversation_id, size_bytes, composed_at, state) VALUES (?, ?, ?, ?, ?, 'saved')`,
    );
    db.transaction(() => {
      for (let c = 0; c < CONVERSATIONS; c += 1) ensureConversation(db, owner, `c${c}`);
      for (let i = 0; i < CACHED; i += 1) {
        const c = i % CONVERSATIONS;
        const seq = Math.floor(i / CONVERSATIONS) + 1;
        insertMessage.run(owner, `c${c}`, `s${i}`, `s${i}`, seq, seq, 'someone', `cached message ${i} ${'y'.repeat(60)}`, i);
      }
      for (let i = 0; i < MESSAGES; i += 1) {
        const key = randomUUID();
        insertMessage.run(owner, `c${i % CONVERSATIONS}`, key, null, null, PENDING_SORT_SEQ, owner, `queued ${i}`, i);
        insertOutbox.run(key, owner, `c${i % CONVERSATIONS}`, 10, i);
      }
    })();
    db.close();
    const measure = (): { coldStartMs: number; rssMb: number; pending: number } =>
      JSON.parse(
        execFileSync(process.execPath, ['--import', 'tsx', __filename, '--cold-start', coldDir], { encoding: 'utf8' }),
      ) as { coldStartMs: number; rssMb: number; pending: number };
    const runs = [measure(), measure(), measure()];
    const coldStartMs = percentile(runs.map((r) => r.coldStartMs), 50);
    const rssMb = Math.max(...runs.map((r) => r.rssMb));
    out(`cold start ${coldStartMs.toFixed(1)} ms (pending ${runs[0]?.pending}), rss ${rssMb.toFixed(1)} MB`);
    // On a server of its own: this one now lists the drains' 20 conversations of 1,000 messages,
    // and a fresh client resyncs every conversation it is shown before sending, which would time
    // that history's download instead of the drain.
    const rtt = await rttOnly();

    return {
      outbox_enqueue_p50_ms: round(enqueueP50),
      outbox_enqueue_p99_ms: round(enqueueP99),
      fsync_p50_ms: round(fsyncMs),
      fsync_idle_p50_ms: round(fsyncIdleMs),
      outbox_enqueue_vs_fsync: round(enqueueP50 / fsyncMs),
      outbox_enqueue_vs_fsync_idle: round(enqueueP50 / fsyncIdleMs),
      outbox_drain_msgs_per_s: Math.round(drainRate),
      outbox_drain_client_cpu_ms: Math.round(drainCpuMs),
      outbox_drain_sequential_msgs_per_s: Math.round(sequentialRate),
      outbox_drain_speedup: round(drainRate / sequentialRate),
      outbox_drain_delivered_ok: left === 0 && delivered === MESSAGES,
      core_cold_start_ms: round(coldStartMs),
      core_rss_mb_100k: round(rssMb),
      ...rtt,
    };
  } finally {
    server.child.kill();
    fs.rmSync(root, { recursive: true, force: true });
  }
}


void main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
