/// <reference lib="dom" />
/**
 * Runs the built renderer in Chromium against a real core in the test process. The page is served
 * by the shell's `app:` protocol handler (see APP_LIKE_ORIGIN), `window.api` is generated from
 * the IPC contract and forwards to the same registerIpc() the Electron shell uses; core events
 * are pushed back into the page. Only Electron itself is missing.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Page } from '@playwright/test';
import {
  EVENT_CHANNELS,
  INVOKE_CHANNELS,
  eventMethodName,
  methodName,
} from '../../src/shared/contract';
import type { Core } from '../../src/main/core';
import { registerIpc } from '../../src/main/ipc';
import { createAppProtocolHandler } from '../../src/main/shell/app-protocol';
import { CONTENT_SECURITY_POLICY, createUrlTrust } from '../../src/main/shell/window';
import { FakeIpcMain } from '../support/ipc';
import { testUpdates, type TestUpdates } from '../support/updates';

const RENDERER_DIR = path.join(__dirname, '../../out/renderer');

/**
 * The closest Chromium gets to Electron's `app://nova`: Chromium (and so Playwright's router)
 * cannot serve a custom scheme, so the page lives on a secure origin that no network can answer
 * (`.invalid` is reserved), and every request to it is answered by the shell's own `app:`
 * protocol handler: the same files and the same Content-Security-Policy header as in the app.
 */
export const APP_LIKE_ORIGIN = 'https://app.nova.invalid';

/** The built renderer at APP_LIKE_ORIGIN; `attachCore` installs the route that serves it. */
export function serveRenderer(): Promise<{ url: string; close: () => Promise<void> }> {
  if (!fs.existsSync(path.join(RENDERER_DIR, 'index.html'))) {
    throw new Error('out/renderer is missing: run `npm run build` first (npm run test:e2e does).');
  }
  return Promise.resolve({ url: `${APP_LIKE_ORIGIN}/index.html`, close: () => Promise.resolve() });
}

/** Answers APP_LIKE_ORIGIN with the app protocol handler; anything else the page asks for is refused. */
async function routeAppOrigin(page: Page): Promise<void> {
  const handler = createAppProtocolHandler({ root: RENDERER_DIR, contentSecurityPolicy: CONTENT_SECURITY_POLICY });
  await page.route(
    (url) => url.origin === APP_LIKE_ORIGIN,
    async (route) => {
      const request = route.request();
      const response = await handler(new Request(request.url(), { method: request.method() }));
      await route.fulfill({
        status: response.status,
        headers: Object.fromEntries(response.headers),
        body: Buffer.from(await response.arrayBuffer()),
      });
    },
  );
}

type PageBridge = { ipc: FakeIpcMain; dispose: () => void };

/**
 * Installs window.api in the page before any of its scripts run. The channels the Electron shell
 * answers itself (the updater) come from `updates`: by default the updater of a user whose
 * organisation named no feed.
 */
export async function attachCore(page: Page, core: Core, pageUrl: string, updates: TestUpdates = testUpdates(core)): Promise<PageBridge> {
  if (new URL(pageUrl).origin === APP_LIKE_ORIGIN) await routeAppOrigin(page);
  const ipc = new FakeIpcMain();
  const disposeIpc = registerIpc(ipc, { ...core.handlers, ...updates.controller.handlers }, createUrlTrust(pageUrl), core.log.scope('ipc'));
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
  const push = (channel: string, payload: unknown): void => {
    if (isDisposed || page.isClosed()) return;
    queue.push([channel, payload]);
    if (isDelivering) return;
    isDelivering = true;
    // Emissions of the same turn (a flushed window is several events) leave together.
    setImmediate(deliver);
  };
  const unsubscribers = [
    ...EVENT_CHANNELS.map((channel) => core.events.on(channel, (payload) => push(channel, payload))),
    // The shell sends the updater's status itself (webContents.send), not through the core.
    updates.relay.on((status) => push('update:status', status)),
  ];
  return {
    ipc,
    dispose: () => {
      isDisposed = true;
      disposeIpc();
      unsubscribers.forEach((off) => off());
      updates.controller.dispose();
    },
  };
}

export function screenshotPath(name: string): string {
  return path.join(__dirname, '../../test-results', `${name}.png`);
}
