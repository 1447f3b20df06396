/**
 * The outbox drain over a real round trip (see outbox.bench.ts): 2,000 messages queued offline
 * in 10 conversations, then the link comes up through the fault proxy adding the round trip.
 * Besides the total, each drain is split where the time goes: dialling (TCP, upgrade, handshake),
 * the wait before the first send (resync, gates), and sending (first send until the outbox is
 * empty), which is what the round-trip floor bounds.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createCore } from '../src/main/core';
import { createMemoryLogger } from '../src/main/core/logging';
import { DEFAULT_OUTBOX_LIMITS } from '../src/main/core/options';
import { DEMO_PASSWORD } from '../src/shared/demo';
import { startFaultProxy } from '../tests/support/fault-proxy';
import { TestLink } from '../tests/support/link';
import type { ServerProcess } from './server-process';

export type Figures = Record<string, number | boolean | null>;
export type RttOptions = Readonly<{ rttMs: number; messages: number; conversations: number; out: (line: string) => void }>;

export function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}

export async function countMessages(link: TestLink, conversationId: string): Promise<number> {
  let after = 0;
  let count = 0;
  for (let page = 0; page < 1_000; page += 1) {
    const response = await link.request('GET', `/conversations/${conversationId}/messages?after_seq=${after}&limit=200`);
    const items = response.body as { sequence_number: number }[];
    count += items.length;
    const last = items.at(-1);
    if (!last || items.length < 200) break;
    after = last.sequence_number;
  }
  return count;
}


type Drain = Readonly<{
  ms: number;
  /** link.connect() until the handshake: TCP, upgrade and handshake round trips. */
  connectMs: number;
  /** link.connect() until the first send frame left: adds what runs before sending (resync). */
  firstSendMs: number | null;
  firstAckMs: number | null;
  left: number;
  delivered: number;
  clientCpuMs: number;
  serverCpuMs: number | null;
}>;

/** CPU time (user + system) a process has used so far, from /proc (Linux), in ms; null elsewhere. */
function processCpuMs(pid: number | undefined): number | null {
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    // utime and stime are fields 14 and 15 of stat, 12 and 13 after the command name, in clock ticks.
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  } catch {
    return null;
  }
}

/**
 * The drain over a real round trip: `messages` queued offline in `conversations`, then the link
 * comes up through the fault proxy adding `rttMs`. Timed from link.connect() (dial, upgrade and
 * handshake included, as a user waits for them) until the outbox is empty. `window` is the
 * pipeline depth per conversation: ours, or 1 (one message in flight per conversation).
 */
async function drainOverRtt(
  server: ServerProcess,
  window: number,
  rttMs: number,
  messages: number,
  conversationCount: number,
  out: (line: string) => void,
): Promise<Drain> {
  const proxy = await startFaultProxy(server.port);
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'nova-outbox-rtt-'));
  try {
    const link = new TestLink({ url: proxy.url, wsUrl: `ws://127.0.0.1:${proxy.port}/ws`, email: 'alice@nova.local', password: DEMO_PASSWORD });
    await link.signIn();
    const conversations: string[] = [];
    for (let i = 0; i < conversationCount; i += 1) {
      const response = await link.request('POST', '/conversations', {
        type: 'group',
        name: `rtt ${window} ${i}`,
        participant_ids: [link.currentUserId() ?? ''],
      });
      conversations.push((response.body as { id: string }).id);
    }
    const core = createCore({
      dataDir: root,
      serverUrl: proxy.url,
      logger: createMemoryLogger(),
      link,
      outboxLimits: { maxMessages: messages + 1_000, pipelineWindow: window },
    });
    await core.start();
    for (let i = 0; i < messages; i += 1) {
      await core.handlers['messages:send']({ conversationId: conversations[i % conversationCount] ?? '', text: `rtt message ${i} ${'x'.repeat(40)}` });
    }
    proxy.latency(rttMs);
    const serverCpuBefore = processCpuMs(server.child.pid);
    const cpuBefore = process.cpuUsage();
    let firstSendAt: number | null = null;
    const send = link.sendFrame.bind(link);
    link.sendFrame = (frame) => {
      if (firstSendAt === null && frame.type === 'send') firstSendAt = performance.now();
      return send(frame);
    };
    const started = performance.now();
    await link.connect();
    const connectMs = performance.now() - started;
    // Polled every 10 ms (each poll commits the pending batch): ±10 ms on drains of 0.3–10 s.
    const deadline = started + 120_000;
    // NOVA_BENCH_TRACE=1 prints elapsed:pending at every poll.
    const trace: string[] = [];
    let firstAckMs: number | null = null;
    while (core.getPendingCount() > 0 && performance.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      const pending = core.getPendingCount();
      if (firstAckMs === null && pending < messages) firstAckMs = performance.now() - started;
      if (process.env['NOVA_BENCH_TRACE']) trace.push(`${Math.round(performance.now() - started)}:${pending}`);
    }
    if (trace.length > 0) out(trace.join(' '));
    const ms = performance.now() - started;
    const cpu = process.cpuUsage(cpuBefore);
    const serverCpuAfter = processCpuMs(server.child.pid);
    const left = core.getPendingCount();
    proxy.latency(0);
    let delivered = 0;
    for (const id of conversations) delivered += await countMessages(link, id);
    link.disconnect();
    await core.stop();
    return {
      ms,
      connectMs,
      firstSendMs: firstSendAt === null ? null : firstSendAt - started,
      firstAckMs,
      left,
      delivered,
      clientCpuMs: (cpu.user + cpu.system) / 1000,
      serverCpuMs: serverCpuBefore === null || serverCpuAfter === null ? null : serverCpuAfter - serverCpuBefore,
    };
  } finally {
    await proxy.close();
    fs.rmSync(root, { recursive: true, force: true });
  }
}

export async function rttFigures(server: ServerProcess, { rttMs, messages, conversations: conversationCount, out }: RttOptions): Promise<Figures> {
  const window = DEFAULT_OUTBOX_LIMITS.pipelineWindow;
  const ours = await drainOverRtt(server, window, rttMs, messages, conversationCount, out);
  out(
    `drain over ${rttMs} ms RTT, window ${window}: ${ours.ms.toFixed(0)} ms (${ours.left} left, ${ours.delivered} on the server; ` +
      `CPU client ${ours.clientCpuMs.toFixed(0)} ms incl. proxy, server ${ours.serverCpuMs ?? '?'} ms)`,
  );
  const single = await drainOverRtt(server, 1, rttMs, messages, conversationCount, out);
  out(`drain over ${rttMs} ms RTT, window 1: ${single.ms.toFixed(0)} ms (${single.left} left, ${single.delivered} on the server)`);
  // The same drain with no added delay, through the same proxy: what is CPU, not round trips.
  const direct = await drainOverRtt(server, window, 0, messages, conversationCount, out);
  out(`drain through the proxy, no added RTT, window ${window}: ${direct.ms.toFixed(0)} ms (CPU client ${direct.clientCpuMs.toFixed(0)} ms, server ${direct.serverCpuMs ?? '?'} ms)`);
  const floorMs = rttMs * Math.ceil(messages / conversationCount / window);
  const sendingMs = ours.firstSendMs === null ? null : ours.ms - ours.firstSendMs;
  out(
    `  where the ${ours.ms.toFixed(0)} ms went: dial+upgrade+handshake ${ours.connectMs.toFixed(0)} ms, ` +
      `then ${((ours.firstSendMs ?? ours.ms) - ours.connectMs).toFixed(0)} ms to the first send, sending ${sendingMs?.toFixed(0) ?? '?'} ms (floor ${floorMs} ms)`,
  );
  return {
    outbox_drain_rtt50_ms: Math.round(ours.ms),
    outbox_drain_rtt50_single_ms: Math.round(single.ms),
    outbox_drain_rtt50_floor_ms: floorMs,
    outbox_drain_rtt50_speedup: round(single.ms / ours.ms),
    outbox_drain_rtt50_vs_floor: round(ours.ms / floorMs),
    outbox_drain_rtt0_proxy_ms: Math.round(direct.ms),
    // Dial, upgrade, handshake and the first send's round trip: round trips no window shortens.
    outbox_drain_rtt50_connect_ms: Math.round(ours.connectMs),
    outbox_drain_rtt50_first_send_ms: ours.firstSendMs === null ? null : Math.round(ours.firstSendMs),
    // From the first send until the outbox is empty: the part the round-trip floor bounds.
    outbox_drain_rtt50_sending_ms: sendingMs === null ? null : Math.round(sendingMs),
    outbox_drain_rtt50_sending_vs_floor: sendingMs === null ? null : round(sendingMs / floorMs),
    outbox_drain_rtt50_first_ack_ms: ours.firstAckMs === null ? null : Math.round(ours.firstAckMs),
    outbox_drain_rtt50_client_cpu_ms: Math.round(ours.clientCpuMs),
    outbox_drain_rtt50_server_cpu_ms: ours.serverCpuMs === null ? null : Math.round(ours.serverCpuMs),
    outbox_drain_rtt50_delivered_ok: ours.left === 0 && single.left === 0 && ours.delivered === messages && single.delivered === messages,
  };
}
