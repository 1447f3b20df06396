/**
 * The connection and auth metric families, moved by real code paths: the reference server,
 * real sockets, the fault proxy, and the core's own exposition read as a scraper reads it.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { AppNotification } from '../../../src/shared/contract';
import { CloseCode } from '../../../src/shared/protocol';
import { SESSION_SECRET_KEY } from '../../../src/main/core/auth';
import { sampleValue } from '../metrics/exposition';
import { startServer } from '../../../server/index';
import { startBareLink } from './harness';
import { startRealCoreRig, type RealCoreRig } from '../../support/real-core';
import { LOADED_TIMEOUT_MS } from '../../support/timing';
import { recordTransitions } from '../../support/transitions';

const WAIT = { timeout: LOADED_TIMEOUT_MS, interval: 10 };

let rig: RealCoreRig | null = null;
afterEach(async () => {
  await rig?.cleanup();
  rig = null;
});

async function sample(r: RealCoreRig, name: string, labels: Readonly<Record<string, string>> = {}): Promise<number> {
  return sampleValue(await r.core.metricsSnapshot(), name, labels) ?? 0;
}

/** Waits until the core has made an upgrade attempt the server holds unanswered (half-open). */
async function holdNextUpgrade(r: RealCoreRig): Promise<void> {
  r.server.control.halfOpen('upgrades');
  const attempts = r.server.control.connectionAttempts();
  r.server.control.dropAllSockets();
  await vi.waitFor(() => expect(r.server.control.connectionAttempts()).toBeGreaterThan(attempts), WAIT);
}

describe('connection metrics', () => {
  it('counts a lost link, its reconnect, the socket lifecycle and the state transitions', async () => {
    rig = await startRealCoreRig();
    await rig.signIn();
    await rig.waitForState('CONNECTED');
    expect(await sample(rig, 'ws_connection_state', { state: 'CONNECTED' })).toBe(1);
    expect(await sample(rig, 'ws_connections_total', { status: 'opened' })).toBe(1);
    expect(await sample(rig, 'ws_messages_received_total', { message_type: 'protocol_handshake' })).toBe(1);

    const mark = rig.transitions.mark();
    expect(rig.server.control.dropAllSockets()).toBe(1);
    await rig.transitions.next({ from: 'CONNECTED', to: 'RECONNECTING' }, { after: mark });
    await rig.transitions.next({ to: 'CONNECTED' }, { after: mark });

    const text = await rig.core.metricsSnapshot();
    expect(sampleValue(text, 'ws_reconnections_total', { reason: 'connection_lost' })).toBe(1);
    expect(sampleValue(text, 'ws_reconnect_delay_seconds_count')).toBe(1);
    expect(sampleValue(text, 'ws_errors_total', { error_type: 'connection_lost' })).toBe(1);
    expect(sampleValue(text, 'ws_connections_total', { status: 'opened' })).toBe(2);
    expect(sampleValue(text, 'ws_connections_total', { status: 'closed' })).toBe(1);
    expect(sampleValue(text, 'ws_connection_transitions_total', { to: 'RECONNECTING' })).toBe(1);
    expect(sampleValue(text, 'ws_connection_transitions_total', { to: 'CONNECTED' })).toBe(2);
    expect(sampleValue(text, 'ws_connection_state', { state: 'CONNECTED' })).toBe(1);
    expect(sampleValue(text, 'ws_connection_state', { state: 'RECONNECTING' })).toBe(0);
    expect(sampleValue(text, 'ws_messages_received_total', { message_type: 'protocol_handshake' })).toBe(2);
  });

  it('samples the heartbeat round trip, then counts the timeout of a blackholed link', async () => {
    rig = await startRealCoreRig({ timing: { heartbeatIntervalMs: 300, heartbeatTimeoutMs: 400 } });
    await rig.signIn();
    await rig.waitForState('CONNECTED');
    const r = rig;
    await vi.waitFor(async () => expect(await sample(r, 'ws_heartbeat_rtt_seconds_count')).toBeGreaterThanOrEqual(2), WAIT);
    // The reference server advertises json_ping, so each probe is a frame both ways.
    expect(await sample(rig, 'ws_messages_sent_total', { message_type: 'ping' })).toBeGreaterThanOrEqual(2);
    expect(await sample(rig, 'ws_messages_received_total', { message_type: 'pong' })).toBeGreaterThanOrEqual(2);

    const mark = rig.transitions.mark();
    rig.proxy.blackhole(true);
    await rig.transitions.next({ from: 'CONNECTED', closeCode: CloseCode.HEARTBEAT_TIMEOUT }, { after: mark });
    expect(await sample(rig, 'ws_errors_total', { error_type: 'heartbeat_timeout' })).toBe(1);
    expect(await sample(rig, 'ws_reconnections_total', { reason: 'heartbeat_timeout' })).toBe(1);
    rig.proxy.blackhole(false);
    await rig.transitions.next({ to: 'CONNECTED' }, { after: mark });
  });

  it('counts sign-in, refresh and sign-out, and every REST call by role with no id in any label', async () => {
    rig = await startRealCoreRig({ server: { accessTokenTtlS: 1 }, timing: { tokenRefreshMarginMs: 0 } });
    await rig.signIn();
    await rig.waitForState('CONNECTED');
    expect(await sample(rig, 'auth_events_total', { event: 'login' })).toBe(1);
    expect(await sample(rig, 'http_requests_total', { endpoint: 'auth_login', status_class: '2xx' })).toBe(1);

    const r = rig;
    await vi.waitFor(async () => expect(await sample(r, 'auth_events_total', { event: 'refresh' })).toBeGreaterThanOrEqual(1), WAIT);
    expect(await sample(rig, 'http_requests_total', { endpoint: 'auth_refresh', status_class: '2xx' })).toBeGreaterThanOrEqual(1);

    const listed = await sample(rig, 'http_requests_total', { endpoint: 'conversations_list', status_class: '2xx' });
    const response = await rig.core.connection.request('GET', '/conversations');
    expect(response.status).toBe(200);
    // Delivery lists conversations on its own after each connect, so at least our one call.
    expect(await sample(rig, 'http_requests_total', { endpoint: 'conversations_list', status_class: '2xx' })).toBeGreaterThanOrEqual(listed + 1);
    expect(await sample(rig, 'message_api_latency_seconds_count', { endpoint: 'conversations_list' })).toBeGreaterThanOrEqual(listed + 1);

    await rig.core.handlers['auth:logout']({});
    const text = await rig.core.metricsSnapshot();
    expect(sampleValue(text, 'auth_events_total', { event: 'logout' })).toBe(1);
    expect(sampleValue(text, 'http_requests_total', { endpoint: 'auth_logout', status_class: '2xx' })).toBe(1);
    expect(sampleValue(text, 'ws_connection_state', { state: 'CLOSED' })).toBe(1);

    const conversations = (response.body as { conversations: Array<{ id: string }> }).conversations;
    expect(conversations.length).toBeGreaterThan(0);
    const userId = rig.server.control.userId('alice@nova.local') ?? 'missing';
    for (const secret of ['alice@nova.local', userId, ...conversations.map((c) => c.id), 'Bearer', 'eyJ']) {
      expect(text).not.toContain(secret);
    }
  });

  it('counts a refused sign-in and the revoked session', async () => {
    rig = await startRealCoreRig();
    await expect(rig.core.handlers['auth:login']({ email: 'alice@nova.local', password: 'wrong' })).rejects.toMatchObject({
      code: 'INVALID_CREDENTIALS',
    });
    expect(await sample(rig, 'auth_events_total', { event: 'login_failed' })).toBe(1);
    expect(await sample(rig, 'http_requests_total', { endpoint: 'auth_login', status_class: '4xx' })).toBe(1);
    await rig.signIn();
    await rig.waitForState('CONNECTED');
    rig.server.control.revokeUser('alice@nova.local');
    await rig.waitForState('CLOSED');
    // Whichever path hears it first (the socket's 4001 or a REST 401), the session ends once.
    expect(await sample(rig, 'auth_events_total', { event: 'revoked' })).toBe(1);
  });

  it('counts a refused refresh', async () => {
    const server = await startServer({ seed: true, bcryptRounds: 4 });
    const bare = await startBareLink(server.url);
    try {
      server.control.revokeUser('alice@nova.local');
      await expect(bare.auth.refresh()).rejects.toMatchObject({ code: 'TOKEN_REVOKED' });
      const text = await bare.metrics.snapshot();
      expect(sampleValue(text, 'auth_events_total', { event: 'refresh_failed' })).toBe(1);
      expect(sampleValue(text, 'auth_events_total', { event: 'revoked' })).toBe(1);
      expect(sampleValue(text, 'http_requests_total', { endpoint: 'auth_refresh', status_class: '4xx' })).toBe(1);
    } finally {
      bare.dispose();
      await server.close();
    }
  });
});

describe('REST probe after a handshake that failed without a status (protocol §8.1)', () => {
  it('refreshes an expired token through the probe and dials again with the new one', async () => {
    // The margin keeps the proactive refresh away, so only the probe can find the expired token.
    rig = await startRealCoreRig({ server: { accessTokenTtlS: 1 }, timing: { tokenRefreshMarginMs: -60_000 } });
    await rig.signIn();
    await rig.waitForState('CONNECTED');
    const signedInToken = (JSON.parse((await rig.secrets.get(SESSION_SECRET_KEY)) ?? '{}') as { accessToken?: string }).accessToken;
    await holdNextUpgrade(rig);
    const mark = rig.transitions.mark();
    // Let the held attempt's token expire (1 s TTL, by the server's clock), then reset the held
    // upgrade: the dial fails with no HTTP status.
    const url = `${rig.server.url}/conversations?limit=1`;
    await vi.waitFor(
      async () => expect((await fetch(url, { headers: { Authorization: `Bearer ${signedInToken ?? ''}` } })).status).toBe(401),
      { timeout: LOADED_TIMEOUT_MS, interval: 100 },
    );
    rig.server.control.halfOpen('off');
    await rig.transitions.next({ to: 'CONNECTED' }, { after: mark });
    expect(await sample(rig, 'http_retries_total', { reason: 'auth_refresh' })).toBeGreaterThanOrEqual(1);
    expect(await sample(rig, 'auth_events_total', { event: 'refresh' })).toBeGreaterThanOrEqual(1);
    // The upgrade after the probe used the refreshed token: the server never had to refuse one.
    expect(rig.transitions.all().slice(mark).some((t) => t.closeCode === CloseCode.UNAUTHORIZED || t.httpStatus === 401)).toBe(false);
    const current = (JSON.parse((await rig.secrets.get(SESSION_SECRET_KEY)) ?? '{}') as { accessToken?: string }).accessToken;
    expect(current).not.toBe(signedInToken);
  });

  it('signs out when the probe finds the session revoked', async () => {
    rig = await startRealCoreRig();
    const notifications: AppNotification[] = [];
    rig.core.events.on('notification', (n) => notifications.push(n));
    await rig.signIn();
    await rig.waitForState('CONNECTED');
    await holdNextUpgrade(rig);
    const mark = rig.transitions.mark();
    rig.server.control.revokeUser('alice@nova.local');
    rig.server.control.halfOpen('off');
    await rig.waitForState('CLOSED');
    // The probe found it: no later dial had to be refused for the dead session first.
    expect(rig.transitions.all().slice(mark).some((t) => t.closeCode === CloseCode.UNAUTHORIZED || t.httpStatus === 401)).toBe(false);
    expect(notifications).toMatchObject([{ code: 'TOKEN_REVOKED', sticky: true }]);
    expect(await sample(rig, 'auth_events_total', { event: 'revoked' })).toBe(1);
  });

  it('backs off without probing when the dial is refused at the TCP level', async () => {
    // No proxy here: a proxy would accept the connection and reset it, which is not a refusal.
    const server = await startServer({ seed: true, bcryptRounds: 4 });
    const bare = await startBareLink(server.url);
    const log = recordTransitions(bare.link);
    try {
      bare.link.start();
      await log.next({ to: 'CONNECTED' });
      const mark = log.mark();
      const restRequests = async (): Promise<string[]> => (await bare.metrics.snapshot()).split('\n').filter((line) => line.startsWith('http_requests_total{'));
      const requestsBefore = await restRequests();
      await server.close();
      await log.next({ from: 'RECONNECTING', to: 'RECONNECTING' }, { after: mark });
      // No probe: REST was not asked anything after the dial was refused.
      expect(await restRequests()).toEqual(requestsBefore);
      const text = await bare.metrics.snapshot();
      expect(sampleValue(text, 'ws_reconnections_total', { reason: 'connect_failed' })).toBeGreaterThanOrEqual(1);
      expect(sampleValue(text, 'ws_errors_total', { error_type: 'handshake' })).toBeGreaterThanOrEqual(1);
      expect(sampleValue(text, 'ws_connections_total', { status: 'error' })).toBeGreaterThanOrEqual(1);
    } finally {
      log.dispose();
      bare.dispose();
    }
  });
});
