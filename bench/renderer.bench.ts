/**
 * Renderer benchmarks, in Chromium through the e2e harness: the built renderer, a real
 * core (SQLite store, connection) and the reference server on loopback.
 *
 *   npm run build && npx tsx bench/renderer.bench.ts
 *
 * - thread_open_100k_ms: a conversation with 100,000 stored messages; click to first rows painted.
 * - scroll_frame_p95_ms: p95 frame time while scrolling up through it programmatically (pages
 *   load from the local store as it goes).
 * - renderer_heap_mb_100k: JS heap after that scroll, after a forced GC.
 * - incoming_burst_p99_ms: the server pushes 2,000 messages/s for 5 s into the open
 *   conversation; server send to row in the DOM, over the rows that were drawn.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from '@playwright/test';
import { fork } from 'node:child_process';
import { DEMO_PASSWORD } from '../server/seed';
import { createCoreForTests, type TestCore } from '../src/main/core/testing';
import type { MessagePage } from '../src/shared/contract';
import { createMemoryLogger } from '../src/main/core/logging';
import { attachCore, serveRenderer } from '../tests/e2e/harness';
import { percentile, recordBenchResults, round } from './results';

/** BENCH_HISTORY shrinks the history while working on the bench; the recorded figures use 100,000. */
const HISTORY = Number(process.env['BENCH_HISTORY'] ?? 100_000);
const BURST_PER_SECOND = 2_000;
const BURST_SECONDS = 5;
const SCROLL_FRAMES = 600;
/** A fast flick: 200 px per frame is 12,000 px/s at 60 Hz (about 190 rows a second). */
const SCROLL_STEP_PX = 200;
/** BENCH_DEBUG=1 prints the latency of each stage of the burst path. */
const DEBUG = Boolean(process.env['BENCH_DEBUG']);
/** BENCH_PROFILE=<dir> writes a CPU profile of the page during the burst there. */
const PROFILE_DIR = process.env['BENCH_PROFILE'];

function chromiumPath(): string | undefined {
  if (process.env['CHROMIUM_PATH']) return process.env['CHROMIUM_PATH'];
  for (const candidate of ['/usr/bin/chromium', '/usr/bin/chromium-browser']) if (fs.existsSync(candidate)) return candidate;
  return undefined;
}

async function waitFor(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

type ServerProcess = Readonly<{
  url: string;
  conversationId: string;
  lastSeq: number;
  burst: (perSecond: number, seconds: number) => Promise<{ sent: number; sendMs: number }>;
  stop: () => void;
}>;

/** The server (and the burst it sends) runs in its own process, as a real server would. */
async function startServerProcess(history: number): Promise<ServerProcess> {
  const child = fork(path.join(__dirname, 'renderer-server.ts'), [], { execArgv: ['--import', 'tsx'], stdio: 'inherit' });
  const next = (kind: string): Promise<Record<string, unknown>> =>
    new Promise((resolve) => {
      const onMessage = (message: Record<string, unknown>): void => {
        if (message['kind'] !== kind) return;
        child.off('message', onMessage);
        resolve(message);
      };
      child.on('message', onMessage);
    });
  await next('listening');
  child.send({ kind: 'start', history });
  const ready = await next('ready');
  return {
    url: String(ready['url']),
    conversationId: String(ready['conversationId']),
    lastSeq: Number(ready['lastSeq']),
    burst: async (perSecond, seconds) => {
      child.send({ kind: 'burst', perSecond, seconds });
      const done = await next('burstDone');
      return { sent: Number(done['sent']), sendMs: Number(done['sendMs']) };
    },
    stop: () => {
      child.send({ kind: 'stop' });
    },
  };
}

/** Pages the local store from the newest message back: what the thread will read. */
async function countStored(core: TestCore, conversationId: string): Promise<number> {
  let count = 0;
  let olderCursor: string | null = null;
  for (let page = 0; page < 1_000; page++) {
    const result: MessagePage = await core.handlers['messages:list']({ conversationId, olderCursor, limit: 500 }).catch((error: unknown) => {
      throw new Error(`messages:list failed (${error instanceof Error ? error.message : String(error)}): this bench needs the local store`);
    });
    count += result.messages.length;
    olderCursor = result.olderCursor;
    if (olderCursor === null) break;
  }
  return count;
}

async function main(): Promise<void> {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'nova-bench-renderer-'));
  const server = await startServerProcess(HISTORY);
  const { conversationId } = server;
  const core = createCoreForTests({ dataDir: path.join(work, 'app'), serverUrl: server.url, logger: createMemoryLogger() });
  await core.start();
  await core.handlers['auth:login']({ email: 'alice@nova.local', password: DEMO_PASSWORD });
  const lastSeq = server.lastSeq;
  const syncStarted = Date.now();
  await waitFor(async () => (await countStored(core, conversationId)) >= HISTORY, 600_000, 'the core to sync 100,000 messages');
  process.stdout.write(`synced ${HISTORY} messages into the local store in ${Date.now() - syncStarted} ms\n`);

  const site = await serveRenderer();
  const executablePath = chromiumPath();
  const browser = await chromium.launch({
    headless: true,
    ...(executablePath ? { executablePath } : {}),
    args: ['--disable-gpu', '--disable-dev-shm-usage', '--no-first-run', '--js-flags=--expose-gc'],
  });
  const page = await browser.newPage({ viewport: { width: 1100, height: 800 } });
  const bridge = await attachCore(page, core, site.url);
  // tsx keeps function names with a __name helper that the page does not have.
  await page.addInitScript(() => {
    (window as unknown as { __name: (f: unknown) => unknown }).__name = (f) => f;
  });
  try {
    await page.goto(site.url);
    await page.getByTestId('conversation').first().waitFor();

    // Thread open: click to the first message rows painted (two frames after they exist).
    const threadOpenMs = await page.evaluate(async (id) => {
      const buttons = [...document.querySelectorAll<HTMLButtonElement>('[data-testid="conversation"]')];
      const button = buttons.find((b) => b.textContent?.includes('Direct conversation')) ?? buttons[0];
      if (!button) throw new Error(`no conversation button for ${id}`);
      const started = performance.now();
      button.click();
      await new Promise<void>((resolve) => {
        const poll = (): void => {
          if (document.querySelectorAll('[data-testid="message"]').length > 0) resolve();
          else requestAnimationFrame(poll);
        };
        poll();
      });
      await new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)));
      return performance.now() - started;
    }, conversationId);

    // Scroll up through history: frame times while pages load from the store underneath.
    const frames = await page.evaluate(async ([count, step]) => {
      const scroller = document.querySelector<HTMLElement>('[data-testid="message-scroll"]');
      if (!scroller) throw new Error('no message list');
      const times: number[] = [];
      let last = performance.now();
      for (let i = 0; i < count; i++) {
        scroller.scrollTop = Math.max(0, scroller.scrollTop - step);
        const now = await new Promise<number>((resolve) => requestAnimationFrame(resolve));
        times.push(now - last);
        last = now;
      }
      return times;
    }, [SCROLL_FRAMES, SCROLL_STEP_PX] as const);
    const loaded = await page.evaluate(() => document.querySelectorAll('[data-testid="message"]').length);
    if (DEBUG) {
      const sorted = [...frames].sort((a, b) => a - b);
      process.stdout.write(`frames: ${JSON.stringify(sorted.filter((_, i) => i % 30 === 0 || i > sorted.length - 20).map((f) => Math.round(f)))}\n`);
      const second = await page.evaluate(async (count) => {
        const scroller = document.querySelector<HTMLElement>('[data-testid="message-scroll"]');
        if (!scroller) return [];
        const times: number[] = [];
        let last = performance.now();
        for (let i = 0; i < count; i++) {
          scroller.scrollTop = scroller.scrollTop + 600;
          const now = await new Promise<number>((resolve) => requestAnimationFrame(resolve));
          times.push(now - last);
          last = now;
        }
        return times;
      }, 200);
      process.stdout.write(`down over loaded rows p95: ${percentile(second, 95)} p50: ${percentile(second, 50)}\n`);
    }

    // The heap figure is the worst case: every one of the 100,000 messages paged into the view.
    await page.evaluate(async () => {
      const scroller = document.querySelector<HTMLElement>('[data-testid="message-scroll"]');
      if (!scroller) return;
      let quietFrames = 0;
      for (let i = 0; i < 20_000 && quietFrames < 30; i++) {
        scroller.scrollTop = 0;
        await new Promise((resolve) => requestAnimationFrame(resolve));
        const isLoading = scroller.getAttribute('aria-busy') === 'true';
        quietFrames = scroller.scrollTop === 0 && !isLoading ? quietFrames + 1 : 0;
      }
    });
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('HeapProfiler.collectGarbage');
    const heap = (await cdp.send('Runtime.getHeapUsage')) as { usedSize: number };

    // Burst: back to the newest row, then 2,000 messages/s for 5 s from Bob.
    await page.evaluate(() => {
      const scroller = document.querySelector<HTMLElement>('[data-testid="message-scroll"]');
      scroller?.focus();
    });
    await page.keyboard.press('End');
    await page.evaluate(() => {
      const w = window as unknown as { __burstSeen: Array<[string, number]> };
      w.__burstSeen = [];
      const seen = new Set<string>();
      const observer = new MutationObserver(() => {
        const at = Date.now();
        for (const row of document.querySelectorAll<HTMLElement>('[data-testid="message"]')) {
          const text = row.querySelector('.message-text')?.textContent ?? '';
          if (!text.startsWith('burst ')) continue;
          const key = row.dataset['key'] ?? text;
          if (seen.has(key)) continue;
          seen.add(key);
          w.__burstSeen.push([text, at]);
        }
      });
      observer.observe(document.body, { childList: true, subtree: true });
    });
    // Stages (BENCH_DEBUG): server send → core frame received → core event (after the bus's
    // window) → page received the event → row in the DOM.
    const frameLatencies: number[] = [];
    const coreLatencies: number[] = [];
    const offFrame = DEBUG
      ? core.connection.onFrame((frame) => {
          const text = frame.type === 'message' ? frame.message.plaintext : undefined;
          const stamp = text !== undefined ? /^burst \d+ (\d+)/.exec(text)?.[1] : undefined;
          if (stamp) frameLatencies.push(Date.now() - Number(stamp));
        })
      : () => undefined;
    const offCore = core.events.on('messages:changed', ({ messages }) => {
      const at = Date.now();
      for (const m of messages) {
        const stamp = /^burst \d+ (\d+)/.exec(m.text)?.[1];
        if (stamp) coreLatencies.push(at - Number(stamp));
      }
    });
    if (DEBUG) {
      await page.evaluate(() => {
        const w = window as unknown as { __burstArrived: number[]; __novaEmit: (c: string, p: unknown) => void };
        w.__burstArrived = [];
        const emit = w.__novaEmit;
        w.__novaEmit = (channel, payload) => {
          if (channel === 'messages:changed') {
            const at = Date.now();
            for (const m of (payload as { messages: Array<{ text: string }> }).messages) {
              const stamp = /^burst \d+ (\d+)/.exec(m.text)?.[1];
              if (stamp) w.__burstArrived.push(at - Number(stamp));
            }
          }
          emit(channel, payload);
        };
      });
    }
    const cdpProfile = PROFILE_DIR ? await page.context().newCDPSession(page) : null;
    if (cdpProfile) {
      await cdpProfile.send('Profiler.enable');
      await cdpProfile.send('Profiler.start');
    }
    const { sent, sendMs: burstSendMs } = await server.burst(BURST_PER_SECOND, BURST_SECONDS);
    if (cdpProfile && PROFILE_DIR) {
      const { profile } = (await cdpProfile.send('Profiler.stop')) as { profile: unknown };
      fs.writeFileSync(path.join(PROFILE_DIR, 'renderer-burst.cpuprofile'), JSON.stringify(profile));
    }
    await waitFor(
      async () => (await core.handlers['conversations:list']({})).some((c) => c.id === conversationId && c.lastSeq >= lastSeq + sent),
      60_000,
      'the burst to reach the store',
    );
    await page.waitForTimeout(500);
    const seen = await page.evaluate(() => (window as unknown as { __burstSeen: Array<[string, number]> }).__burstSeen);
    offCore();
    offFrame();
    if (DEBUG) {
      const arrived = await page.evaluate(() => (window as unknown as { __burstArrived: number[] }).__burstArrived);
      const stage = (name: string, samples: readonly number[]): void => {
        process.stdout.write(`${name}: p50 ${percentile(samples, 50)} p99 ${percentile(samples, 99)} n ${samples.length}\n`);
      };
      stage('server send → core frame received', frameLatencies);
      stage('server send → core event emitted (after the bus window)', coreLatencies);
      stage('server send → event received in the page', arrived);
    }
    const latencies = seen.map(([text, at]) => at - Number(/^burst \d+ (\d+)/.exec(text)?.[1]));

    const figures = {
      thread_open_100k_ms: round(threadOpenMs, 1),
      scroll_frame_p95_ms: round(percentile(frames, 95), 1),
      renderer_heap_mb_100k: round(heap.usedSize / 1024 / 1024, 1),
      incoming_burst_p99_ms: round(percentile(latencies, 99), 1),
      incoming_burst_p50_ms: round(percentile(latencies, 50), 1),
      incoming_burst_rows_drawn: latencies.length,
      incoming_burst_sent: sent,
      incoming_burst_send_ms: burstSendMs,
      renderer_scroll_rows_loaded: loaded,
    };
    process.stdout.write(`${JSON.stringify(figures, null, 2)}\n`);
    if (HISTORY === 100_000) recordBenchResults(figures);
  } finally {
    bridge.dispose();
    await browser.close();
    await site.close();
    await core.stop();
    server.stop();
    fs.rmSync(work, { recursive: true, force: true });
  }
}

void main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
