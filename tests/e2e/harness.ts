/// <reference lib="dom" />
/**
 * Runs the built renderer in Chromium against a real core in the test process. `window.api` is
 * generated from the IPC contract and forwards to the same registerIpc() the Electron shell
 * uses; core events are pushed back into the page. Only Electron itself is missing.
 */
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import type { Page } from '@playwright/test';
import {
  EVENT_CHANNELS,
  INVOKE_CHANNELS,
  eventMethodName,
  methodName,
} from '../../src/shared/contract';
import type { Core } from '../../src/main/core';
import { registerIpc } from '../../src/main/ipc';
import { createUrlTrust } from '../../src/main/window';
import { FakeIpcMain } from '../support/ipc';

const RENDERER_DIR = path.join(__dirname, '../../out/renderer');
const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

/** Serves out/renderer on loopback (file:// would block the module script by CORS). */
export async function serveRenderer(): Promise<{ url: string; close: () => Promise<void> }> {
  if (!fs.existsSync(path.join(RENDERER_DIR, 'index.html'))) {
    throw new Error('out/renderer is missing: run `npm run build` first (npm run test:e2e does).');
  }
  const server = http.createServer((req, res) => {
    const pathname = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    const file = path.normalize(path.join(RENDERER_DIR, pathname === '/' ? 'index.html' : pathname));
    if (!file.startsWith(RENDERER_DIR) || !fs.existsSync(file) || fs.statSync(file).isDirectory()) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'Content-Type': MIME[path.extname(file)] ?? 'application/octet-stream' });
    fs.createReadStream(file).pipe(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Chromium opens speculative connections that never send a request; close() counts them
        // as busy, not idle, and would wait for the 60 s headers timeout (the spec timeout).
        server.closeAllConnections();
      }),
  };
}

type PageBridge = { ipc: FakeIpcMain; dispose: () => void };

/** Installs window.api in the page before any of its scripts run. */
export async function attachCore(page: Page, core: Core, pageUrl: string): Promise<PageBridge> {
  const ipc = new FakeIpcMain();
  const disposeIpc = registerIpc(ipc, core.handlers, createUrlTrust(pageUrl), core.log.scope('ipc'));
  await page.exposeBinding('__novaInvoke', (source, channel: string, req: unknown) =>
    ipc.invoke(channel, req, { url: source.frame.url(), parent: source.frame.parentFrame() }),
  );
  await page.addInitScript(
    ({ invoke, events }) => {
      type Listener = (payload: unknown) => void;
      const listeners = new Map<string, Set<Listener>>();
      const w = window as unknown as Record<string, unknown>;
      const api: Record<string, unknown> = {};
      for (const [method, channel] of invoke) {
        api[method] = (req: unknown) => (w['__novaInvoke'] as (c: string, r: unknown) => Promise<unknown>)(channel, req);
      }
      for (const [method, channel] of events) {
        api[method] = (listener: Listener) => {
          const set = listeners.get(channel) ?? new Set<Listener>();
          listeners.set(channel, set);
          set.add(listener);
          return () => set.delete(listener);
        };
      }
      w['__novaEmit'] = (channel: string, payload: unknown) => {
        for (const listener of listeners.get(channel) ?? []) listener(payload);
      };
      // Electron delivers each webContents.send as its own task, in order: so do we, whatever
      // number of events one delivery from the test process carries.
      const queued: Array<readonly [string, unknown]> = [];
      const tasks = new MessageChannel();
      tasks.port1.onmessage = () => {
        const next = queued.shift();
        if (next) (w['__novaEmit'] as (c: string, p: unknown) => void)(next[0], next[1]);
      };
      w['__novaDeliver'] = (batch: ReadonlyArray<readonly [string, unknown]>) => {
        for (const event of batch) {
          queued.push(event);
          tasks.port2.postMessage(null);
        }
      };
      Object.defineProperty(window, 'api', { value: Object.freeze(api), writable: false });
    },
    {
      invoke: INVOKE_CHANNELS.map((c) => [methodName(c), c] as const),
      events: EVENT_CHANNELS.map((c) => [eventMethodName(c), c] as const),
    },
  );
  // Like webContents.send: every emission is delivered once, in order, and nothing waits for the
  // page. Emissions queue here while one delivery (a DevTools call) is in flight, and go as one
  // the next time: a DevTools round trip per event would cost the test process far more than IPC
  // costs the Electron main process.
  let queue: Array<readonly [string, unknown]> = [];
  let isDelivering = false;
  let isDisposed = false;
  const deliver = (): void => {
    if (isDisposed || page.isClosed() || queue.length === 0) {
      isDelivering = false;
      return;
    }
    const batch = queue;
    queue = [];
    // One JSON string: Playwright validates and serializes structured arguments value by value,
    // which for a burst of messages cost the test process more than the core's own work.
    page
      .evaluate((json) => {
        const events = JSON.parse(json) as ReadonlyArray<readonly [string, unknown]>;
        (window as unknown as { __novaDeliver?: (e: typeof events) => void }).__novaDeliver?.(events);
      }, JSON.stringify(batch))
      .catch(() => undefined)
      .finally(deliver);
  };
  const unsubscribers = EVENT_CHANNELS.map((channel) =>
    core.events.on(channel, (payload) => {
      if (isDisposed || page.isClosed()) return;
      queue.push([channel, payload]);
      if (isDelivering) return;
      isDelivering = true;
      // Emissions of the same turn (a flushed window is several events) leave together.
      setImmediate(deliver);
    }),
  );
  return {
    ipc,
    dispose: () => {
      isDisposed = true;
      disposeIpc();
      unsubscribers.forEach((off) => off());
    },
  };
}

export function screenshotPath(name: string): string {
  return path.join(__dirname, '../../test-results', `${name}.png`);
}
