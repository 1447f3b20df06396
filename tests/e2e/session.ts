/**
 * The one way an e2e spec starts the app: the reference server (seeded, on a file so it can be
 * restarted on the same port), optionally behind the TCP fault proxy, a real core with the e2e
 * timing table, and the built page bridged to it. Signing in as a demo user, opening a
 * conversation by name and going offline/online are the same steps in every spec.
 */
import fs from 'node:fs';
import { expect, type Locator, type Page } from '@playwright/test';
import { startServer, type ServerHandle, type ServerOptions } from '../../server/index';
import { DEMO_EMAILS, DEMO_PASSWORD } from '../../server/seed';
import type { CoreOptions, Timing } from '../../src/main/core';
import { MemorySecretStore } from '../../src/main/core/secret-store';
import type { TestCore } from '../../src/main/core/testing';
import { makeTempDir, makeTestCore } from '../support/core';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy';
import { TestLink } from '../support/link';
import { testUpdates, type TestUpdates } from '../support/updates';
import { attachCore, serveRenderer } from './harness';

/**
 * Reconnects fast enough for a test and never gives up while the server is away. The pong,
 * handshake and connect deadlines stay above what a loaded 2-core machine stalls for (as in
 * tests/support/timing.ts), or a healthy link would be declared dead, or legacy, at random.
 */
export const E2E_TIMING: Partial<Timing> = {
  backoffBaseMs: 200,
  backoffCapMs: 1_000,
  giveUpAfterFailures: 1_000,
  heartbeatIntervalMs: 2_000,
  heartbeatTimeoutMs: 1_500,
  handshakeWaitMs: 2_000,
  connectTimeoutMs: 3_000,
  retryBaseMs: 200,
  retryCapMs: 1_000,
};

export const VIEWPORT = { width: 1100, height: 720 } as const;

/** How long a spec waits for the link to come up (a restart of the server included). */
export const CONNECT_TIMEOUT_MS = 15_000;

export type DemoUser = keyof typeof DEMO_EMAILS;

/** Fills the sign-in form with a demo user's address (or any address) and the demo password. */
export async function fillSignIn(page: Page, user: DemoUser | string, password = DEMO_PASSWORD): Promise<void> {
  await page.getByLabel('E-mail').fill(user in DEMO_EMAILS ? DEMO_EMAILS[user as DemoUser] : user);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
}

export function indicator(page: Page): Locator {
  return page.getByTestId('connection-indicator');
}

export async function expectConnected(page: Page, timeout = CONNECT_TIMEOUT_MS): Promise<void> {
  await expect(indicator(page)).toHaveAttribute('data-state', 'CONNECTED', { timeout });
}

export async function expectNotConnected(page: Page): Promise<void> {
  await expect(indicator(page)).not.toHaveAttribute('data-state', 'CONNECTED', { timeout: 10_000 });
}

/** Signs in through the form and waits for the link. */
export async function signIn(page: Page, user: DemoUser = 'alice'): Promise<void> {
  await fillSignIn(page, user);
  await expectConnected(page);
}

/** A conversation in the list, by its exact name (a group's preview may name a person too). */
export function conversationRow(page: Page, name: string): Locator {
  return page.getByTestId('conversation').filter({ has: page.locator('.conversation-name', { hasText: new RegExp(`^${escapeRegExp(name)}$`) }) });
}

/** Opens a conversation by its name and waits for its thread. */
export async function openConversation(page: Page, name: string): Promise<void> {
  await conversationRow(page, name).click();
  await expect(page.getByTestId('thread')).toHaveAttribute('aria-label', name);
}

/** After the server came back: Retry now if the banner offers it, then the link. */
export async function reconnect(page: Page): Promise<void> {
  const retry = page.getByRole('button', { name: 'Retry now' });
  if (await retry.isVisible()) await retry.click();
  await expectConnected(page);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/gu, '\\$&');
}

/** The seeded reference server on a file, so `restart` brings the same data back on the same port. */
export type DemoServer = Readonly<{
  readonly handle: ServerHandle;
  /** Stops the server; its file stays for `restart`. */
  stop: () => Promise<void>;
  /** Starts it again (stopping it first if it runs) on the same port and file. */
  restart: () => Promise<ServerHandle>;
  close: () => Promise<void>;
}>;

export async function startDemoServer(options: ServerOptions = {}): Promise<DemoServer> {
  const work = makeTempDir('nova-e2e-server-');
  const settings: ServerOptions = { seed: true, bcryptRounds: 4, dataFile: `${work}/server.db`, jwtSecret: 'e2e-session-secret-long-enough-for-hs256', ...options };
  let handle = await startServer(settings);
  const port = handle.port;
  let isOpen = true;
  return {
    get handle() {
      return handle;
    },
    stop: async () => {
      if (isOpen) await handle.close();
      isOpen = false;
    },
    restart: async () => {
      if (isOpen) await handle.close();
      handle = await startServer({ ...settings, port });
      isOpen = true;
      return handle;
    },
    close: async () => {
      if (isOpen) await handle.close();
      isOpen = false;
      fs.rmSync(work, { recursive: true, force: true });
    },
  };
}

export type SessionOptions = Readonly<{
  /** Signed in through the form as this user (and connected), or left on the sign-in screen (`null`). */
  signInAs?: DemoUser | null;
  /** A conversation to open by name once signed in. */
  open?: string;
  /** Over E2E_TIMING. */
  timing?: Partial<Timing>;
  /** The core's timing as the app ships it, for states the e2e table would end early. */
  appTiming?: boolean;
  core?: Partial<CoreOptions>;
  /** Through the TCP fault proxy: offline is then this client alone, the server stays up. */
  proxy?: boolean;
  updates?: (core: TestCore) => TestUpdates;
}>;

export type Session = Readonly<{
  page: Page;
  core: TestCore;
  /** The server as it runs now (a new handle after `goOnline` restarted it). */
  readonly server: ServerHandle;
  proxy: FaultProxy | null;
  updates: TestUpdates;
  /** Offline: through the proxy, cut and refused; without one, the server is stopped. */
  goOffline: () => Promise<void>;
  /** Online again (the server restarted on its port and file when it was stopped), connected. */
  goOnline: () => Promise<void>;
  /** Another client of the reference server, signed in as `user`. */
  connectAs: (user: DemoUser) => Promise<TestLink>;
  close: () => Promise<void>;
}>;

export async function startSession(page: Page, options: SessionOptions = {}): Promise<Session> {
  const server = await startDemoServer();
  const proxy = options.proxy ? await startFaultProxy(server.handle.port) : null;
  const timing = options.appTiming ? (options.timing ?? {}) : { ...E2E_TIMING, ...options.timing };
  const made = makeTestCore({
    serverUrl: proxy ? proxy.url : server.handle.url,
    isDemoServer: true,
    secretStore: new MemorySecretStore(),
    ...options.core,
    timing,
  });
  await made.core.start();
  const updates = (options.updates ?? testUpdates)(made.core);
  const site = await serveRenderer();
  const bridge = await attachCore(page, made.core, site.url, updates);
  const links: TestLink[] = [];
  const session: Session = {
    page,
    core: made.core,
    get server() {
      return server.handle;
    },
    proxy,
    updates,
    goOffline: async () => {
      if (proxy) {
        proxy.refuse(true);
        proxy.cutAll();
      } else {
        await server.stop();
      }
      await expectNotConnected(page);
    },
    goOnline: async () => {
      if (proxy) proxy.refuse(false);
      else await server.restart();
      await reconnect(page);
    },
    connectAs: async (user) => {
      const link = new TestLink({ url: server.handle.url, wsUrl: server.handle.wsUrl, email: DEMO_EMAILS[user], password: DEMO_PASSWORD });
      await link.connect();
      links.push(link);
      return link;
    },
    close: async () => {
      links.forEach((link) => link.disconnect());
      bridge.dispose();
      await site.close();
      await made.cleanup();
      await proxy?.close();
      await server.close();
    },
  };
  try {
    await page.setViewportSize(VIEWPORT);
    await page.goto(site.url);
    const user = options.signInAs === undefined ? 'alice' : options.signInAs;
    if (user !== null) await signIn(page, user);
    if (options.open !== undefined) await openConversation(page, options.open);
  } catch (error) {
    await session.close();
    throw error;
  }
  return session;
}

/** Runs `body` in a session and closes it whatever happens. */
export async function withSession(page: Page, options: SessionOptions, body: (session: Session) => Promise<void>): Promise<void> {
  const session = await startSession(page, options);
  try {
    await body(session);
  } finally {
    await session.close();
  }
}

/**
 * Opens New conversation from the list's button and fills in a group: its name, then each person
 * found by a search (`[query, display name]`). Answers the dialog, not yet created.
 */
export async function fillNewGroup(page: Page, name: string, people: ReadonlyArray<readonly [string, string]>): Promise<Locator> {
  await page.getByTestId('new-conversation-button').click();
  const dialog = page.getByRole('dialog', { name: 'New conversation' });
  await dialog.getByRole('radio', { name: 'Group' }).check();
  await dialog.getByTestId('group-name').fill(name);
  for (const [query, person] of people) {
    await dialog.getByTestId('people-search').fill(query);
    await dialog.getByTestId('person').filter({ hasText: person }).click();
  }
  return dialog;
}

/**
 * A group created offline with Carol, with messages written to it, that the server then refuses:
 * Carol left the organisation meanwhile, so the server answers her as unknown. Ends connected,
 * in the refused conversation. Needs a session through the proxy: the server stays up to be changed.
 */
export async function refusedGroup(session: Session, name: string, texts: readonly string[]): Promise<void> {
  const { page } = session;
  if (session.proxy === null) throw new Error('refusedGroup needs startSession(page, { proxy: true })');
  await session.goOffline();
  const dialog = await fillNewGroup(page, name, [['car', 'Carol Diaz']]);
  await dialog.getByTestId('create-group').click();
  await expect(page.getByTestId('creation-note')).toHaveAttribute('data-creation', 'pending');
  const composer = page.getByTestId('composer-input');
  for (const text of texts) {
    await composer.fill(text);
    await composer.press('Enter');
    await expect(page.getByTestId('message').filter({ hasText: text })).toHaveAttribute('data-state', 'saved');
  }
  const carol = session.server.seed?.users.carol ?? '';
  const db = session.server.control.db();
  db.prepare("UPDATE users SET org_id = 'partner' WHERE id = ?").run(carol);
  db.prepare('DELETE FROM members WHERE user_id = ?').run(carol);
  await session.goOnline();
  await expect(page.getByTestId('creation-note')).toHaveAttribute('data-creation', 'failed', { timeout: 10_000 });
}
