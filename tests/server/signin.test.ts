/** Sign-in that resists guessing: lockouts per account and per address, single-use codes, even timing. */
import { describe, expect, it } from 'vitest';
import { ErrorBodySchema, TwoFactorRequiredSchema } from '../../src/shared/protocol';
import type { ServerHandle, ServerOptions } from '../../server/index';
import { totpFor } from '../../server/auth';
import { DEMO_PASSWORD } from '../../server/seed';
import { api, expectErrorBody, rawRequest, startTestServer } from './helpers';
import type { HttpResult } from './helpers';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

async function withServer(options: ServerOptions, run: (server: ServerHandle) => Promise<void>): Promise<void> {
  const server = await startTestServer(options);
  try {
    await run(server);
  } finally {
    await server.close();
  }
}

function signIn(server: ServerHandle, email: string, password: string): Promise<HttpResult> {
  return api(server, 'POST', '/api/v1/auth/login', { body: { email, password } });
}

function verify(server: ServerHandle, sessionId: string, code: string): Promise<HttpResult> {
  return api(server, 'POST', '/api/v1/auth/2fa/verify', { body: { session_id: sessionId, code } });
}

/** The documented 429: RATE_LIMITED with retry_after_ms, and Retry-After in whole seconds. */
function expectLockedOut(r: HttpResult, waitMs: number): void {
  expect(r.status).toBe(429);
  expect(ErrorBodySchema.parse(r.body)).toMatchObject({ code: 'RATE_LIMITED', retry_after_ms: waitMs });
  expect(r.headers.get('retry-after')).toBe(String(Math.ceil(waitMs / 1000)));
}

/** The six-digit codes valid around `atMs` (±1 step): a guess must be none of them. */
function validCodes(secret: string, atMs: number): Set<string> {
  const totp = totpFor(secret, 'carol');
  return new Set([-30_000, 0, 30_000].map((d) => totp.generate({ timestamp: atMs + d })));
}

function wrongCode(secret: string, atMs: number): string {
  const valid = validCodes(secret, atMs);
  for (;;) {
    const code = String(Math.floor(Math.random() * 1_000_000)).padStart(6, '0');
    if (!valid.has(code)) return code;
  }
}

function median(xs: ReadonlyArray<number>): number {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

describe('sign-in throttling', () => {
  it('locks an account after 5 wrong passwords, right password included, for twice as long each time', async () => {
    let now = 1_700_000_000_000;
    await withServer({ clock: () => now }, async (server) => {
      const alice = 'alice@nova.local';
      for (let i = 0; i < 4; i += 1) expectErrorBody((await signIn(server, alice, `wrong ${i}`)).body, 'UNAUTHORIZED');
      // the failure that reaches the threshold already says how long to wait
      expectLockedOut(await signIn(server, alice, 'wrong 4'), MINUTE);
      now += 20_000;
      expectLockedOut(await signIn(server, alice, DEMO_PASSWORD), 40_000);
      now += 40_000;
      for (let i = 0; i < 4; i += 1) expect((await signIn(server, alice, `again ${i}`)).status).toBe(401);
      expectLockedOut(await signIn(server, alice, 'again 4'), 2 * MINUTE);
      // bob is another account: not locked by alice's failures
      expect((await signIn(server, 'bob@nova.local', DEMO_PASSWORD)).status).toBe(200);
      now += 2 * MINUTE;
      // a completed sign-in forgets the account's failures and its lockout history
      expect((await signIn(server, alice, DEMO_PASSWORD)).status).toBe(200);
      for (let i = 0; i < 4; i += 1) expect((await signIn(server, alice, `later ${i}`)).status).toBe(401);
      expectLockedOut(await signIn(server, alice, 'later 4'), MINUTE);
    });
  });

  it('lockouts double up to an hour, and a quiet day starts over', async () => {
    let now = 1_700_000_000_000;
    // one address guessing many times: raise the address threshold to watch the account alone
    await withServer({ clock: () => now, signInThrottle: { address: { maxFailures: 10_000 } } }, async (server) => {
      const waits: number[] = [];
      for (let round = 0; round < 8; round += 1) {
        let r: HttpResult;
        do r = await signIn(server, 'alice@nova.local', 'guess');
        while (r.status === 401);
        const wait = ErrorBodySchema.parse(r.body).retry_after_ms ?? 0;
        waits.push(wait);
        now += wait;
      }
      expect(waits).toEqual([1, 2, 4, 8, 16, 32, 60, 60].map((m) => m * MINUTE));
      now += 24 * HOUR;
      for (let i = 0; i < 4; i += 1) expect((await signIn(server, 'alice@nova.local', 'guess')).status).toBe(401);
      expectLockedOut(await signIn(server, 'alice@nova.local', 'guess'), MINUTE);
    });
  });

  it('locks an unknown e-mail exactly like a known one, so a 429 tells nothing about accounts', async () => {
    const now = 1_700_000_000_000;
    await withServer({ clock: () => now }, async (server) => {
      const answers: Array<[number, unknown]>[] = [];
      for (const email of ['bob@nova.local', 'nobody@nova.local']) {
        const seen: Array<[number, unknown]> = [];
        for (let i = 0; i < 6; i += 1) {
          const r = await signIn(server, email, 'wrong');
          seen.push([r.status, r.body]);
        }
        answers.push(seen);
      }
      expect(answers[0]).toEqual(answers[1]);
      expect(answers[0]?.map(([status]) => status)).toEqual([401, 401, 401, 401, 429, 429]);
      // e-mails differing only in case are one account
      expectLockedOut(await signIn(server, 'BOB@Nova.Local', DEMO_PASSWORD), MINUTE);
    });
  });

  it('locks a client address after 20 failures across accounts; another address is not affected', async () => {
    let now = 1_700_000_000_000;
    await withServer({ clock: () => now }, async (server) => {
      const from = (localAddress: string, email: string, password: string) =>
        rawRequest(server, {
          method: 'POST',
          path: '/api/v1/auth/login',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ email, password }),
          localAddress,
        });
      // password spraying: one try per account, each account stays under its own threshold
      for (let i = 0; i < 19; i += 1) expect((await from('127.0.0.1', `user${i}@nova.local`, 'Summer2024!')).status).toBe(401);
      const twentieth = await from('127.0.0.1', 'user19@nova.local', 'Summer2024!');
      expect(twentieth.status).toBe(429);
      expect(twentieth.headers['retry-after']).toBe('60');
      expect((await from('127.0.0.1', 'alice@nova.local', DEMO_PASSWORD)).status).toBe(429);
      expect((await from('127.0.0.2', 'alice@nova.local', DEMO_PASSWORD)).status).toBe(200);
      now += MINUTE;
      expect((await from('127.0.0.1', 'alice@nova.local', DEMO_PASSWORD)).status).toBe(200);
    });
  });

  it('is off only when asked (benchmarks): then no number of failures locks anything', async () => {
    await withServer({ signInThrottle: false }, async (server) => {
      for (let i = 0; i < 30; i += 1) expect((await signIn(server, 'alice@nova.local', 'wrong')).status).toBe(401);
      expect((await signIn(server, 'alice@nova.local', DEMO_PASSWORD)).status).toBe(200);
    });
  });
});

describe('two-factor codes', () => {
  async function challenge(server: ServerHandle): Promise<string> {
    const r = await signIn(server, 'carol@nova.local', DEMO_PASSWORD);
    expect(r.status).toBe(202);
    return TwoFactorRequiredSchema.parse(r.body).session_id;
  }

  it('a challenge dies after 5 wrong codes, even for the right code after', async () => {
    const now = 1_700_000_000_000;
    // thresholds raised so the challenge rule shows on its own
    const lenient = { account: { maxFailures: 100 }, address: { maxFailures: 100 } };
    await withServer({ clock: () => now, signInThrottle: lenient }, async (server) => {
      const secret = server.seed?.carol.totpSecret ?? '';
      const id = await challenge(server);
      const answers: HttpResult[] = [];
      for (let i = 0; i < 5; i += 1) answers.push(await verify(server, id, wrongCode(secret, now)));
      expect(answers.map((a) => a.status)).toEqual([401, 401, 401, 401, 401]);
      expect((answers[4]?.body as { error: string }).error).toMatch(/sign in again/);
      const right = totpFor(secret, 'carol').generate({ timestamp: now });
      const late = await verify(server, id, right);
      expect(late.status).toBe(401);
      expect((late.body as { error: string }).error).toMatch(/Invalid or expired 2FA session/);
      expect((await verify(server, await challenge(server), right)).status).toBe(200);
    });
  });

  it('refuses a TOTP code of a step already used (TWO_FACTOR_REUSED), and older steps too', async () => {
    let now = 1_700_000_010_000;
    await withServer({ clock: () => now }, async (server) => {
      const totp = totpFor(server.seed?.carol.totpSecret ?? '', 'carol');
      const current = totp.generate({ timestamp: now });
      expect((await verify(server, await challenge(server), current)).status).toBe(200);
      const replay = await verify(server, await challenge(server), current);
      expect(replay.status).toBe(401);
      expectErrorBody(replay.body, 'TWO_FACTOR_REUSED');
      expect((replay.body as { error: string }).error).toMatch(/wait for the next one/);
      // the previous step is still inside the ±1 window, but older than the one accepted
      const previous = await verify(server, await challenge(server), totp.generate({ timestamp: now - 30_000 }));
      expectErrorBody(previous.body, 'TWO_FACTOR_REUSED');
      now += 30_000;
      expect((await verify(server, await challenge(server), totp.generate({ timestamp: now }))).status).toBe(200);
    });
  });

  it('a guessing run of 2,000 wrong codes, obeying every Retry-After, ends locked out with no success', async () => {
    let now = 1_700_000_000_000;
    const started = now;
    await withServer({ clock: () => now }, async (server) => {
      const secret = server.seed?.carol.totpSecret ?? '';
      const statuses = new Map<number, number>();
      const count = (status: number): void => {
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
      };
      let longestWait = 0;
      const wait = (r: HttpResult): void => {
        const ms = ErrorBodySchema.parse(r.body).retry_after_ms ?? 0;
        longestWait = Math.max(longestWait, ms);
        now += ms;
      };
      let sessionId: string | null = null;
      let lastChallenge = '';
      let guesses = 0;
      // 2,000 codes, then on until the guesser is told to wait (a few more at most)
      for (;;) {
        expect(guesses).toBeLessThan(2_010);
        if (sessionId === null) {
          const r = await signIn(server, 'carol@nova.local', DEMO_PASSWORD);
          if (r.status === 429) {
            wait(r);
            continue;
          }
          expect(r.status).toBe(202);
          sessionId = TwoFactorRequiredSchema.parse(r.body).session_id;
          lastChallenge = sessionId;
        }
        const r = await verify(server, sessionId, wrongCode(secret, now));
        guesses += 1;
        count(r.status);
        if (r.status === 429) {
          if (guesses >= 2_000) break;
          wait(r);
          sessionId = null;
        } else if (/sign in again/.test((r.body as { error?: string }).error ?? '')) {
          sessionId = null;
        }
      }
      expect(statuses.get(200)).toBeUndefined();
      // locked out now: neither the password nor the right code gets looked at
      expect((await signIn(server, 'carol@nova.local', DEMO_PASSWORD)).status).toBe(429);
      const right = totpFor(secret, 'carol').generate({ timestamp: now });
      expect((await verify(server, lastChallenge, right)).status).toBe(429);
      expect(longestWait).toBe(HOUR);
      const checked = statuses.get(401) ?? 0;
      const days = (now - started) / (24 * HOUR);
      // five codes per lockout once the lockouts have grown to an hour: ~100 checked codes a day
      expect(checked / days).toBeLessThan(130);
      expect(days).toBeGreaterThan(13);
    });
  }, 120_000);
});

describe('timing', () => {
  it('answers an unknown e-mail as slowly as a known one (checked against a stand-in hash)', async () => {
    // bcrypt at cost 8 takes ~20 ms here, the rest of a sign-in well under 1 ms: a server that
    // skipped the hash for unknown e-mails would answer them in a small fraction of the time.
    await withServer({ bcryptRounds: 8, signInThrottle: false }, async (server) => {
      const time = async (email: string): Promise<number> => {
        const t0 = performance.now();
        const r = await signIn(server, email, 'wrong password');
        const ms = performance.now() - t0;
        expect(r.status).toBe(401);
        return ms;
      };
      for (let i = 0; i < 3; i += 1) await time(`warm-${i}@nova.local`);
      const known: number[] = [];
      const unknown: number[] = [];
      // interleaved, alternating which goes first, so load on the machine hits both alike
      for (let i = 0; i < 30; i += 1) {
        if (i % 2 === 0) {
          known.push(await time('alice@nova.local'));
          unknown.push(await time(`nobody-${i}@nova.local`));
        } else {
          unknown.push(await time(`nobody-${i}@nova.local`));
          known.push(await time('alice@nova.local'));
        }
      }
      const ratio = median(unknown) / median(known);
      expect(median(known)).toBeGreaterThan(5);
      expect(ratio).toBeGreaterThan(0.7);
      expect(ratio).toBeLessThan(1.4);
    });
  });
});
