import { describe, expect, it } from 'vitest';
import { AdmissionSchedule } from '../../server/rateLimit';
import { accountKey, addressKey } from '../../server/signin';
import { api, expectErrorBody, login, openUserSocket, startTestServer, TestSocket } from './helpers';

describe('rate limiting', () => {
  it('REST: 429 with Retry-After and X-RateLimit-* from the real window, per user', async () => {
    let now = 1_700_000_000_000;
    const server = await startTestServer({ clock: () => now, rateLimit: { limit: 3, windowMs: 10_000 } });
    try {
      const alice = (await login(server, 'alice@nova.local')).access_token;
      const bob = (await login(server, 'bob@nova.local')).access_token;
      const remaining: string[] = [];
      for (let i = 0; i < 3; i += 1) {
        const r = await api(server, 'GET', '/conversations', { token: alice });
        expect(r.status).toBe(200);
        expect(r.headers.get('x-ratelimit-limit')).toBe('3');
        remaining.push(r.headers.get('x-ratelimit-remaining') ?? '');
      }
      expect(remaining).toEqual(['2', '1', '0']);
      now += 4_000;
      const limited = await api(server, 'GET', '/conversations', { token: alice });
      expect(limited.status).toBe(429);
      expectErrorBody(limited.body, 'RATE_LIMITED');
      expect((limited.body as { retry_after_ms: number }).retry_after_ms).toBe(6_000);
      expect(limited.headers.get('retry-after')).toBe('6');
      expect(limited.headers.get('x-ratelimit-remaining')).toBe('0');
      expect(Number(limited.headers.get('x-ratelimit-reset'))).toBe(Math.ceil((now + 6_000) / 1000));
      // another user has their own budget
      expect((await api(server, 'GET', '/conversations', { token: bob })).status).toBe(200);
      now += 6_000;
      expect((await api(server, 'GET', '/conversations', { token: alice })).status).toBe(200);
    } finally {
      await server.close();
    }
  });

  it('WS: over-limit sends get nack RATE_LIMITED with retry_after_ms, and nothing is stored', async () => {
    let now = 1_700_000_000_000;
    const server = await startTestServer({ clock: () => now, rateLimit: { limit: 2, windowMs: 1_000 } });
    try {
      const token = (await login(server, 'alice@nova.local')).access_token;
      const direct = server.seed?.conversations.direct ?? '';
      const s = await openUserSocket(server, token);
      const before = server.control.listMessages(direct).length;
      for (const k of ['r1', 'r2', 'r3']) s.send({ type: 'send', conversation_id: direct, idempotency_key: k, plaintext: k });
      expect(await s.next((f) => f['idempotency_key'] === 'r3')).toMatchObject({
        type: 'nack',
        code: 'RATE_LIMITED',
        retryable: true,
        retry_after_ms: 1_000,
      });
      expect(server.control.listMessages(direct).length).toBe(before + 2);
      now += 1_000;
      s.send({ type: 'send', conversation_id: direct, idempotency_key: 'r3', plaintext: 'r3' });
      expect(await s.next((f) => f['type'] === 'ack' && f['idempotency_key'] === 'r3')).toMatchObject({ status: 'accepted' });
      s.close();
    } finally {
      await server.close();
    }
  });

  it('admission: each socket turned away gets its own turn, perSecond a second, and the turns it gives are kept', () => {
    const schedule = new AdmissionSchedule(4);
    const t0 = 1_700_000_000_000;
    expect([0, 1, 2, 3].map(() => schedule.take(t0 + 100))).toEqual(Array(4).fill({ allowed: true }));
    // The next window's four places, 250 ms apart, then the window after it.
    const waits = [0, 1, 2, 3, 4, 5].map(() => schedule.take(t0 + 100));
    expect(waits).toEqual([900, 1150, 1400, 1650, 1900, 2150].map((retryAfterMs) => ({ allowed: false, retryAfterMs })));
    // Those told to come in the next window are let in when they do: one each at its turn.
    for (const wait of [900, 1150, 1400, 1650]) expect(schedule.take(t0 + 100 + wait)).toEqual({ allowed: true });
    // Its four places are used up; a newcomer gets the place after the two promised in the window after.
    expect(schedule.take(t0 + 1_800)).toEqual({ allowed: false, retryAfterMs: 700 });
    schedule.reset();
    expect(schedule.take(t0 + 1_800)).toEqual({ allowed: true });
  });

  it('admission: new sockets beyond the per-second budget get 503 + Retry-After before upgrade', async () => {
    let now = 1_700_000_000_000;
    const server = await startTestServer({ clock: () => now, admissionPerSecond: 2 });
    try {
      const token = (await login(server, 'alice@nova.local')).access_token;
      const a = await openUserSocket(server, token);
      const b = await openUserSocket(server, token);
      const refused = (await TestSocket.open(server.wsUrl, { token }).catch((e: unknown) => e)) as {
        status: number;
        body: string;
        headers: Record<string, string>;
      };
      expect(refused.status).toBe(503);
      expect(refused.headers['retry-after']).toBe('1');
      expect(refused.headers['retry-after-ms']).toBe('1000');
      expect(JSON.parse(refused.body)).toMatchObject({ code: 'SERVICE_UNAVAILABLE', retry_after_ms: 1000 });
      expect(server.control.stats().upgradesRefused).toBe(1);
      now += 1_000;
      const c = await openUserSocket(server, token);
      for (const s of [a, b, c]) s.close();
    } finally {
      await server.close();
    }
  });
});

describe('sign-in throttle keys', () => {
  it('counts IPv4 addresses one by one and IPv6 ones by /64; accounts case-folded', () => {
    expect(addressKey('203.0.113.7')).toBe('address:203.0.113.7');
    expect(addressKey('::ffff:203.0.113.7')).toBe('address:203.0.113.7');
    // one host's /64 is one key, however many addresses it takes from it
    expect(addressKey('2001:db8:1:2:aaaa::1')).toBe('address:2001:db8:1:2::/64');
    expect(addressKey('2001:db8:1:2:bbbb:cccc:dddd:eeee')).toBe('address:2001:db8:1:2::/64');
    expect(addressKey('2001:db8::1')).toBe('address:2001:db8:0:0::/64');
    expect(addressKey('fe80::1%eth0')).toBe('address:fe80:0:0:0::/64');
    expect(addressKey('::1')).toBe('address:0:0:0:0::/64');
    expect(accountKey('Alice@Nova.Local')).toBe(accountKey('alice@nova.local'));
  });
});
