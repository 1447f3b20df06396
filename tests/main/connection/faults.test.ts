/**
 * Fault tests: the real reference server, real sockets, our TCP fault proxy in between, and
 * short timings injected through createCore. Message accounting is asserted at the link level
 * (frames sent through sendFrame are stored by the server exactly once), because the outbox
 * belongs to delivery (issue 4).
 */
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { AppNotification, AuthStatus } from '../../../src/shared/contract';
import { SESSION_SECRET_KEY } from '../../../src/main/core/auth';
import { startRig, type Rig } from './harness';

let rig: Rig | null = null;
afterEach(async () => {
  await rig?.cleanup();
  rig = null;
});

function reasons(r: Rig): string[] {
  return r.core.connection.history().map((t) => `${t.from}>${t.to}: ${t.reason}`);
}

async function firstConversationId(r: Rig): Promise<string> {
  const response = await r.core.connection.request('GET', '/conversations');
  const body = response.body as { conversations: Array<{ id: string }> };
  const first = body.conversations[0];
  if (!first) throw new Error('alice has no conversation');
  return first.id;
}

describe('connection faults', () => {
  it('survives a server restart', async () => {
    rig = await startRig();
    await rig.signIn();
    await rig.waitForState('CONNECTED');
    await rig.server.control.restart({ downMs: 300 });
    await rig.waitForState('CONNECTED');
    expect(reasons(rig).some((line) => line.startsWith('CONNECTED>RECONNECTING: link lost (closed 1001'))).toBe(true);
    await vi.waitFor(() => expect(rig?.server.control.socketCount()).toBe(1));
  });

  it('reconnects when the proxy cuts every connection', async () => {
    rig = await startRig();
    await rig.signIn();
    await rig.waitForState('CONNECTED');
    const connects = rig.core.connection.getStats().connects;
    expect(rig.proxy.cutAll()).toBeGreaterThan(0);
    await vi.waitFor(() => expect(rig?.core.connection.getStats().connects).toBe(connects + 1));
    expect(rig.core.connection.state).toBe('CONNECTED');
    expect(reasons(rig).some((line) => line.includes('closed 1006'))).toBe(true);
  });

  it('detects a blackholed link with the heartbeat within interval + timeout', async () => {
    rig = await startRig({ timing: { heartbeatIntervalMs: 300, heartbeatTimeoutMs: 200 } });
    await rig.signIn();
    await rig.waitForState('CONNECTED');
    const started = Date.now();
    rig.proxy.blackhole(true);
    await vi.waitFor(() => expect(rig?.core.connection.getStats().heartbeatTimeouts).toBe(1), { timeout: 3000 });
    const detectedMs = Date.now() - started;
    expect(detectedMs).toBeLessThanOrEqual(300 + 200 + 150);
    expect(reasons(rig).some((line) => line.includes('closed 4008 heartbeat timeout'))).toBe(true);
    rig.proxy.blackhole(false);
    await rig.waitForState('CONNECTED');
  });

  it('flaps 50 times without two sockets at once, and every frame is stored exactly once', async () => {
    rig = await startRig({ timing: { backoffBaseMs: 5, backoffCapMs: 40, resetAfterConnectedMs: 60_000 } });
    await rig.signIn();
    await rig.waitForState('CONNECTED');
    const link = rig.core.connection;
    const conversationId = await firstConversationId(rig);
    const unacked = new Map<string, string>();
    const ackCount = new Map<string, number>();
    const send = (key: string): void => {
      link.sendFrame({ type: 'send', conversation_id: conversationId, idempotency_key: key, plaintext: `m ${key}` });
    };
    link.onFrame((frame) => {
      if (frame.type !== 'ack' || typeof frame.idempotency_key !== 'string') return;
      ackCount.set(frame.idempotency_key, (ackCount.get(frame.idempotency_key) ?? 0) + 1);
      unacked.delete(frame.idempotency_key);
    });
    // A minimal stand-in for the outbox: resend whatever is unacknowledged on every connect.
    link.onDidConnect(() => {
      for (const key of unacked.keys()) send(key);
    });
    const keys: string[] = [];
    for (let cycle = 0; cycle < 50; cycle++) {
      const key = randomUUID();
      keys.push(key);
      unacked.set(key, key);
      send(key);
      const connects = link.getStats().connects;
      if (cycle % 2 === 0) rig.proxy.cutAll();
      else rig.server.control.dropAllSockets();
      await vi.waitFor(() => expect(link.getStats().connects).toBeGreaterThan(connects), { timeout: 5000, interval: 2 });
    }
    await vi.waitFor(() => expect(unacked.size).toBe(0), { timeout: 5000 });
    const stored = rig.server.control
      .listMessages(conversationId)
      .filter((message) => typeof message.idempotency_key === 'string' && keys.includes(message.idempotency_key));
    expect(stored).toHaveLength(50);
    expect(new Set(stored.map((message) => message.idempotency_key)).size).toBe(50);
    expect(keys.every((key) => (ackCount.get(key) ?? 0) >= 1)).toBe(true);
    const stats = link.getStats();
    expect(stats.overlappingSockets).toBe(0);
    expect(stats.maxOpenSockets).toBe(1);
    await vi.waitFor(() => expect(rig?.server.control.socketCount()).toBe(1));
  });

  it('waits as long as a 503 says during reconnect', async () => {
    rig = await startRig();
    await rig.signIn();
    await rig.waitForState('CONNECTED');
    rig.server.control.unavailable(300);
    rig.server.control.dropAllSockets();
    await vi.waitFor(() => expect(reasons(rig!).some((line) => line.includes('upgrade refused (503)'))).toBe(true));
    const refusedAt = rig.core.connection.history().find((t) => t.reason.includes('upgrade refused (503)'))?.at ?? 0;
    const snapshot = rig.core.connection.snapshot();
    // Retry-After is in whole seconds: 300 ms left rounds up to 1 s, and we never come sooner.
    expect((snapshot.nextAttemptAt ?? 0) - refusedAt).toBeGreaterThanOrEqual(1000);
    await rig.waitForState('CONNECTED', 4000);
  });

  it('waits as long as a 429 from a gateway says during reconnect', async () => {
    rig = await startRig();
    await rig.signIn();
    await rig.waitForState('CONNECTED');
    rig.proxy.answerNew({ status: 429, headers: { 'Retry-After': '1' } });
    rig.proxy.cutAll();
    await vi.waitFor(() => expect(reasons(rig!).some((line) => line.includes('upgrade refused (429)'))).toBe(true));
    const refusedAt = rig.core.connection.history().find((t) => t.reason.includes('upgrade refused (429)'))?.at ?? 0;
    expect((rig.core.connection.snapshot().nextAttemptAt ?? 0) - refusedAt).toBeGreaterThanOrEqual(1000);
    rig.proxy.answerNew(null);
    await rig.waitForState('CONNECTED', 4000);
  });

  it('reconnects after a 4029 close with backoff, not at once', async () => {
    rig = await startRig();
    await rig.signIn();
    await rig.waitForState('CONNECTED');
    rig.server.control.dropAllSockets({ code: 4029, reason: 'rate_limited' });
    await rig.waitForState('RECONNECTING');
    const lost = rig.core.connection.history().at(-1);
    expect(lost?.reason).toContain('closed 4029');
    expect(rig.core.connection.snapshot().nextAttemptAt).not.toBeNull();
    await rig.waitForState('CONNECTED');
  });

  it('refreshes an access token that expires mid-session and reconnects', async () => {
    rig = await startRig({ server: { accessTokenTtlS: 1 }, timing: { tokenRefreshMarginMs: 0 } });
    await rig.signIn();
    await rig.waitForState('CONNECTED');
    const before = JSON.parse((await rig.secrets.get(SESSION_SECRET_KEY)) ?? '{}') as { accessToken?: string };
    await vi.waitFor(() => expect(reasons(rig!).some((line) => line.includes('token expired; refreshing'))).toBe(true), {
      timeout: 4000,
    });
    await rig.waitForState('CONNECTED');
    const after = JSON.parse((await rig.secrets.get(SESSION_SECRET_KEY)) ?? '{}') as { accessToken?: string };
    expect(after.accessToken).toBeDefined();
    expect(after.accessToken).not.toBe(before.accessToken);
    expect((await rig.core.handlers['auth:status']({})).signedIn).toBe(true);
  });

  it('signs out with a sticky notification when the session is revoked mid-session', async () => {
    rig = await startRig();
    const notifications: AppNotification[] = [];
    const auth: AuthStatus[] = [];
    rig.core.events.on('notification', (n) => notifications.push(n));
    rig.core.events.on('auth:changed', (a) => auth.push(a));
    await rig.signIn();
    await rig.waitForState('CONNECTED');
    rig.server.control.revokeUser('alice@nova.local');
    await rig.waitForState('CLOSED');
    expect(notifications).toMatchObject([{ code: 'TOKEN_REVOKED', sticky: true, actions: ['sign_in'] }]);
    expect(auth.at(-1)?.signedIn).toBe(false);
    expect(await rig.secrets.get(SESSION_SECRET_KEY)).toBeNull();
    await expect(rig.core.handlers['connection:retryNow']({})).rejects.toMatchObject({ code: 'NOT_SIGNED_IN' });
  });

  it('probes on resume after a short sleep and reconnects at once when the probe fails', async () => {
    rig = await startRig({ timing: { heartbeatIntervalMs: 60_000, resumePingTimeoutMs: 200 } });
    await rig.signIn();
    await rig.waitForState('CONNECTED');
    rig.core.notifySystem('suspend');
    rig.proxy.blackhole(true);
    rig.advanceClock(30_000);
    const resumedAt = Date.now();
    rig.core.notifySystem('resume');
    await vi.waitFor(() => expect(rig?.core.connection.getStats().heartbeatTimeouts).toBe(1));
    expect(Date.now() - resumedAt).toBeLessThan(200 + 200);
    rig.proxy.blackhole(false);
    await rig.waitForState('CONNECTED');
  });

  it('drops and reconnects on resume after more than 5 minutes asleep', async () => {
    rig = await startRig({ timing: { heartbeatIntervalMs: 60_000 } });
    await rig.signIn();
    await rig.waitForState('CONNECTED');
    const connects = rig.core.connection.getStats().connects;
    rig.core.notifySystem('suspend');
    rig.advanceClock(6 * 60_000);
    rig.core.notifySystem('resume');
    await vi.waitFor(() => expect(rig?.core.connection.getStats().connects).toBe(connects + 1));
    expect(reasons(rig).some((line) => line.includes('resumed after 6 min asleep'))).toBe(true);
    await vi.waitFor(() => expect(rig?.server.control.socketCount()).toBe(1));
  });

  it('waits for the network without burning attempts while the OS is offline', async () => {
    rig = await startRig();
    await rig.signIn();
    await rig.waitForState('CONNECTED');
    rig.core.notifySystem('offline');
    rig.proxy.cutAll();
    await rig.waitForState('DISCONNECTED');
    const snapshot = rig.core.connection.snapshot();
    expect(snapshot).toMatchObject({ reason: 'waiting for network', isOsOffline: true, nextAttemptAt: null });
    const accepted = rig.proxy.accepted();
    const attempts = rig.core.connection.getStats().attemptsStarted;
    await new Promise((resolve) => setTimeout(resolve, 400)); // a window in which backoff would have dialled several times
    expect(rig.proxy.accepted()).toBe(accepted);
    expect(rig.core.connection.getStats().attemptsStarted).toBe(attempts);
    rig.core.notifySystem('online');
    await rig.waitForState('CONNECTED');
    expect(rig.core.connection.snapshot().isOsOffline).toBe(false);
  });
});
