/**
 * Component tests drive the renderer through the same `NovaApi` shape the preload builds, from
 * the contract's `buildApi`. The core itself runs in the e2e suite; here each test scripts the
 * answers it needs and emits events the way main would.
 */
import { cleanup } from '@testing-library/react';
import {
  buildApi,
  type EventChannel,
  type EventPayload,
  type InvokeChannel,
  type MessageView,
  type NovaApi,
  type OutboxItem,
  type Req,
  type Res,
} from '../../src/shared/contract';
import type { AppErrorData, ErrorCode } from '../../src/shared/errors';
import type { IpcResult } from '../../src/shared/result';
import { connectBridge } from '../../src/renderer/src/bridge';
import { installShortcuts } from '../../src/renderer/src/keys';
import { initialAppState, useAppStore } from '../../src/renderer/src/store';

type Answer<C extends InvokeChannel> = (req: Req<C>) => IpcResult<Res<C>> | Promise<IpcResult<Res<C>>>;

export type ScriptedApi = Readonly<{
  api: NovaApi;
  calls: Array<{ channel: InvokeChannel; req: unknown }>;
  answer<C extends InvokeChannel>(channel: C, answer: Answer<C>): void;
  emit<E extends EventChannel>(channel: E, payload: EventPayload<E>): void;
  callsTo(channel: InvokeChannel): unknown[];
}>;

let errorCounter = 0;
export function errorData(code: ErrorCode, message = `${code} happened`, retryAfterMs?: number): AppErrorData {
  errorCounter += 1;
  return { code, message, id: `err-${errorCounter}`, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) };
}

export function ok<T>(value: T): IpcResult<T> {
  return { ok: true, value };
}

/** Every channel answers NOT_IMPLEMENTED until the test scripts it, as an unfinished core does. */
export function scriptedApi(): ScriptedApi {
  const answers = new Map<InvokeChannel, (req: unknown) => unknown>();
  const listeners = new Map<EventChannel, Set<(payload: unknown) => void>>();
  const calls: Array<{ channel: InvokeChannel; req: unknown }> = [];
  const api = buildApi({
    invoke: async (channel, req) => {
      calls.push({ channel, req });
      const answer = answers.get(channel);
      if (answer) return answer(req);
      return { ok: false, error: errorData('NOT_IMPLEMENTED', `${channel} is not available yet.`) };
    },
    subscribe: (channel, listener) => {
      const set = listeners.get(channel) ?? new Set();
      listeners.set(channel, set);
      set.add(listener);
      return () => set.delete(listener);
    },
  });
  return {
    api,
    calls,
    answer: (channel, answer) => answers.set(channel, answer as (req: unknown) => unknown),
    emit: (channel, payload) => listeners.get(channel)?.forEach((listener) => listener(payload)),
    callsTo: (channel) => calls.filter((c) => c.channel === channel).map((c) => c.req),
  };
}

let disconnect: (() => void) | null = null;
let uninstallShortcuts: (() => void) | null = null;

/** A fresh store, a bridge to a scripted api and the window's shortcut listener; call from beforeEach. */
export function setUp(): ScriptedApi {
  tearDown();
  useAppStore.setState(initialAppState, true);
  const scripted = scriptedApi();
  disconnect = connectBridge(scripted.api);
  uninstallShortcuts = installShortcuts();
  return scripted;
}

export function tearDown(): void {
  cleanup();
  disconnect?.();
  disconnect = null;
  uninstallShortcuts?.();
  uninstallShortcuts = null;
}

export function message(overrides: Partial<MessageView> & Pick<MessageView, 'key'>): MessageView {
  return {
    serverId: null,
    conversationId: 'c1',
    senderId: 'me',
    isOwn: true,
    text: `text of ${overrides.key}`,
    seq: null,
    composedAt: Date.UTC(2026, 10, 28, 9, 0),
    state: 'saved',
    error: null,
    ...overrides,
  };
}

export function outboxItem(overrides: Partial<OutboxItem> & Pick<OutboxItem, 'key'>): OutboxItem {
  return {
    conversationId: 'c1',
    conversationName: 'Bob',
    state: 'saved',
    composedAt: Date.UTC(2026, 10, 28, 9, 0),
    attempts: 0,
    lastError: null,
    nextAttemptAt: null,
    sizeBytes: 10,
    history: [],
    ...overrides,
  };
}

export function signedIn(): EventPayload<'auth:changed'> {
  return {
    signedIn: true,
    user: { id: 'me', email: 'alice@nova.local', username: 'alice' },
    serverUrl: 'http://127.0.0.1:8787',
    isDemoServer: true,
  };
}
