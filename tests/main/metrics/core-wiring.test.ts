/**
 * Families that real core paths move today, driven through those paths (handlers, the shell's
 * IPC registration, the logger, the event bus, notifySystem, start), not through the API.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { CORE_INVOKE_CHANNELS, invokeChannels } from '../../../src/shared/contract';
import { registerIpc } from '../../../src/main/ipc';
import { ManualClock } from '../../support/clock';
import { makeTestCore } from '../../support/core';
import { FakeIpcMain, TRUSTED_URL, trustedFrame } from '../../support/ipc';
import { appHandlers } from '../../support/updates';
import { sampleValue } from './exposition';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

function testCore(overrides: Parameters<typeof makeTestCore>[0] = {}) {
  const test = makeTestCore(overrides);
  cleanups.push(test.cleanup);
  return test;
}

describe('metrics moved by the core', () => {
  it('counts and times every renderer call through the shell IPC path, by channel and result', async () => {
    const { core } = testCore();
    const ipc = new FakeIpcMain();
    registerIpc(ipc, appHandlers(core), (url) => url === TRUSTED_URL, core.log.scope('ipc'));
    await ipc.invoke('auth:status', {}, trustedFrame);
    await ipc.invoke('auth:status', {}, trustedFrame);
    await ipc.invoke('messages:send', { conversationId: 'c-1', text: 'hello' }, trustedFrame);
    const text = await core.metricsSnapshot();
    expect(sampleValue(text, 'ipc_requests_total', { channel: 'auth:status', result: 'ok' })).toBe(2);
    expect(sampleValue(text, 'ipc_requests_total', { channel: 'messages:send', result: 'NOT_SIGNED_IN' })).toBe(1);
    expect(sampleValue(text, 'ipc_request_duration_seconds_count', { channel: 'auth:status' })).toBe(2);
  });

  it('wraps every core handler, so a channel added later is counted too', async () => {
    const { core } = testCore();
    for (const channel of CORE_INVOKE_CHANNELS) {
      const request = invokeChannels[channel].req.safeParse({});
      const handler = core.handlers[channel] as (req: unknown) => Promise<unknown>;
      await handler(request.success ? request.data : {}).catch(() => undefined);
    }
    const text = await core.metricsSnapshot();
    // Some handlers call others (diagnostics reads connection:get and outbox:list), so at least once.
    const counted = CORE_INVOKE_CHANNELS.filter((channel) => (sampleValue(text, 'ipc_request_duration_seconds_count', { channel }) ?? 0) >= 1);
    expect(counted).toEqual(CORE_INVOKE_CHANNELS);
  });

  it('counts log lines by level, including scoped and renderer lines', async () => {
    const { core } = testCore();
    const before = sampleValue(await core.metricsSnapshot(), 'log_lines_total', { level: 'warn' }) ?? 0;
    core.log.scope('outbox').scope('flush').warn('flush: slow');
    await core.handlers['log:write']({ level: 'warn', scope: 'composer', message: 'draft restore failed' });
    await core.handlers['log:write']({ level: 'error', scope: 'composer', message: 'x' });
    const text = await core.metricsSnapshot();
    expect(sampleValue(text, 'log_lines_total', { level: 'warn' })).toBe(before + 2);
    expect(sampleValue(text, 'log_lines_total', { level: 'error' })).toBe(1);
  });

  it('counts notifications and events emitted on the core bus', async () => {
    const { core } = testCore();
    // The core's `events` is the bus its services emit on; the renderer-facing view only subscribes.
    const bus = core.events;
    core.notifications.raise('OFFLINE', 'connection');
    bus.emit('outbox:changed', { items: [] });
    const text = await core.metricsSnapshot();
    expect(sampleValue(text, 'notifications_shown_total', { code: 'OFFLINE', severity: 'warning' })).toBe(1);
    expect(sampleValue(text, 'core_events_total', { channel: 'notification' })).toBe(1);
    expect(sampleValue(text, 'core_events_total', { channel: 'outbox:changed' })).toBe(1);
  });

  it('tracks OS events, start time, uptime, connection state and database size', async () => {
    const clock = new ManualClock({ start: 1_750_000_000_000 });
    const { core } = testCore({ clock, appInfo: { name: 'Nova', version: '0.1.0', electron: null, chrome: null } });
    await core.start();
    clock.advance(30_000);
    core.notifySystem('suspend');
    core.notifySystem('offline');
    const text = await core.metricsSnapshot();
    expect(sampleValue(text, 'system_events_total', { event: 'suspend' })).toBe(1);
    expect(sampleValue(text, 'os_online')).toBe(0);
    expect(sampleValue(text, 'core_start_time_seconds')).toBe(1_750_000_000);
    expect(sampleValue(text, 'core_uptime_seconds')).toBe(30);
    expect(sampleValue(text, 'ws_connection_state', { state: 'CLOSED' })).toBe(1);
    expect(sampleValue(text, 'nova_desktop_info', { version: '0.1.0' })).toBe(1);
    expect(sampleValue(text, 'db_size_bytes')).toBeGreaterThan(0);
    core.notifySystem('online');
    expect(sampleValue(await core.metricsSnapshot(), 'os_online')).toBe(1);
  });
});
