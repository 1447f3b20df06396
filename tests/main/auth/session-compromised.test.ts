/**
 * A stolen refresh token, end to end: the real core, connection and outbox against the reference
 * server. The user's app rotates its token; the thief then presents the stolen (spent) copy, the
 * server ends the whole sign-in and closes the app's socket, and the app signs its user out
 * "for your safety", keeping every queued message for the next sign-in.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { SESSION_SECRET_KEY } from '../../../src/main/core/auth';
import type { MemorySecretStore } from '../../../src/main/core/secret-store';
import { CloseCode } from '../../../src/shared/protocol';
import { ALICE, startRealCoreRig, type RealCoreRig } from '../../support/real-core';

let rig: RealCoreRig | null = null;
afterEach(async () => {
  await rig?.cleanup();
  rig = null;
});

async function storedRefreshToken(secrets: MemorySecretStore): Promise<string> {
  return (JSON.parse((await secrets.get(SESSION_SECRET_KEY)) ?? '{}') as { refreshToken?: string }).refreshToken ?? '';
}

describe('refresh-token reuse', () => {
  it('signs the user out for their safety, keeps the outbox in SQLite, and sends it after signing in again', async () => {
    // The stalled uplink carries no pong either: the link has to end by the server's close, not
    // by the client's own heartbeat deadline, however slow the machine.
    const r = await startRealCoreRig({ timing: { heartbeatIntervalMs: 60_000 } });
    rig = r;
    const secrets = r.secrets;
    const team = r.server.seed?.conversations.team ?? '';
    await r.signIn();
    await r.waitForState('CONNECTED');
    await r.core.delivery.whenSynced();

    const stolen = await storedRefreshToken(secrets);
    // The app refreshes (here after its socket was closed 4001, as when its token expires):
    // the copy the thief holds is now spent.
    r.server.control.dropAllSockets({ code: CloseCode.UNAUTHORIZED, reason: 'token_expired' });
    await vi.waitFor(async () => expect(await storedRefreshToken(secrets)).not.toBe(stolen), { timeout: 5_000 });
    await r.waitForState('CONNECTED');

    // Messages in flight and queued when it happens. The first one reaches the server, whose ack
    // is held back; the server stores a send as it takes it and holds the ack a second, so a 5 ms
    // poll sees the store first on any machine (timers fire in the order they are due). Then the
    // uplink stalls: the rest stay unsent however late the thief comes, even if that ack arrives
    // and opens the pipeline.
    r.server.control.delayAcks(1_000);
    const composed: string[] = [];
    const compose = async (text: string): Promise<void> => {
      await r.core.handlers['messages:send']({ conversationId: team, text });
      composed.push(text);
    };
    await compose('queued 0');
    await vi.waitFor(() => expect(r.server.control.listMessages(team).map((m) => m.plaintext)).toContain('queued 0'), { interval: 5 });
    expect(r.proxy.stallSocketUplinks()).toBe(1);
    for (let i = 1; i < 20; i += 1) await compose(`queued ${i}`);

    const mark = r.transitions.mark();
    const thief = await fetch(`${r.server.url}/api/v1/auth/refresh`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ refresh_token: stolen }),
    });
    expect(thief.status).toBe(401);
    expect(await thief.json()).toMatchObject({ code: 'REFRESH_REUSED' });

    await vi.waitFor(async () => expect((await r.core.handlers['auth:status']({})).signedIn).toBe(false), { timeout: 5_000 });
    await vi.waitFor(() => expect(r.core.connection.state).toBe('CLOSED'));
    const notices = r.eventsOf('notification');
    expect(notices.map((n) => n.code)).toEqual(['SESSION_COMPROMISED']);
    expect(notices[0]).toMatchObject({ severity: 'critical', sticky: true, actions: ['sign_in'] });
    expect(await secrets.get(SESSION_SECRET_KEY)).toBeNull();
    // The path: the server closed the app's socket (4001), the refresh that followed was refused
    // as a reuse (SESSION_COMPROMISED is raised for that refusal only), and the link closed.
    const path = r.transitions.all().slice(mark);
    expect(path[0]).toMatchObject({ from: 'CONNECTED', to: 'RECONNECTING', closeCode: CloseCode.UNAUTHORIZED });
    expect(path.at(-1)?.to).toBe('CLOSED');
    r.server.control.delayAcks(0);

    const storedWhileOut = r.server.control.listMessages(team).filter((m) => (m.plaintext ?? '').startsWith('queued ')).length;
    expect(storedWhileOut).toBe(1);
    // the one the server took may or may not have been acked before the close; the rest wait
    expect(r.core.getPendingCount()).toBeGreaterThanOrEqual(composed.length - storedWhileOut);

    await r.signIn(ALICE);
    await r.waitForState('CONNECTED');
    await vi.waitFor(() => expect(r.core.getPendingCount()).toBe(0), { timeout: 10_000, interval: 10 });
    const stored = r.server.control.listMessages(team).filter((m) => (m.plaintext ?? '').startsWith('queued '));
    expect(stored.map((m) => m.plaintext)).toEqual(composed);
  });
});
