/**
 * What stands between a guesser and an account: failed sign-in steps (wrong password, wrong or
 * replayed code, dead challenge) are counted per account and per client address, and either
 * count reaching its threshold locks further attempts out, for longer each time.
 */
import { LockoutThrottle } from './rateLimit';
import type { LockoutPolicy } from './rateLimit';

/** Wrong codes one two-factor challenge takes before it dies (a new one needs the password again). */
export const MAX_CODE_ATTEMPTS = 5;

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** A person mistyping gets four retries; a guesser gets five tries per lockout, an hour apart at worst. */
export const ACCOUNT_POLICY: LockoutPolicy = {
  maxFailures: 5,
  windowMs: 15 * MINUTE,
  baseLockMs: MINUTE,
  maxLockMs: HOUR,
  forgetAfterMs: 24 * HOUR,
};

/** Several people may share an address (an office NAT), so it tolerates more before locking. */
export const ADDRESS_POLICY: LockoutPolicy = {
  maxFailures: 20,
  windowMs: 15 * MINUTE,
  baseLockMs: MINUTE,
  maxLockMs: HOUR,
  forgetAfterMs: 24 * HOUR,
};

export type SignInThrottleOptions = Readonly<{
  account?: Partial<LockoutPolicy>;
  address?: Partial<LockoutPolicy>;
}>;

export class SignInThrottle {
  private readonly accounts: LockoutThrottle;
  private readonly addresses: LockoutThrottle;

  constructor(options: SignInThrottleOptions = {}) {
    this.accounts = new LockoutThrottle({ ...ACCOUNT_POLICY, ...options.account });
    this.addresses = new LockoutThrottle({ ...ADDRESS_POLICY, ...options.address });
  }

  /** The wait before this address may try this account again; null when it may try now. */
  blocked(address: string, account: string | null, nowMs: number): number | null {
    const waits = [this.addresses.check(address, nowMs)];
    if (account !== null) waits.push(this.accounts.check(account, nowMs));
    return longest(waits);
  }

  /** Records a failed step; the answer is the wait this failure started, if it locked anything. */
  failed(address: string, account: string | null, nowMs: number): number | null {
    const waits = [this.addresses.fail(address, nowMs)];
    if (account !== null) waits.push(this.accounts.fail(account, nowMs));
    return longest(waits);
  }

  /** A completed sign-in clears the account (never the address: a guesser may own an account too). */
  succeeded(account: string): void {
    this.accounts.clear(account);
  }

  reset(): void {
    this.accounts.reset();
    this.addresses.reset();
  }
}

function longest(states: ReadonlyArray<ReturnType<LockoutThrottle['check']>>): number | null {
  let wait: number | null = null;
  for (const s of states) if (s.locked) wait = Math.max(wait ?? 0, s.retryAfterMs);
  return wait;
}

/** Accounts are counted by the e-mail as typed, case-folded: unknown e-mails lock out like real ones. */
export function accountKey(email: string): string {
  return `account:${email.toLowerCase()}`;
}

/**
 * IPv4 addresses count one by one; IPv6 ones by /64, the block one host usually gets (counting
 * single IPv6 addresses would let one host take a fresh address for every few guesses).
 */
export function addressKey(remoteAddress: string | undefined): string {
  const raw = (remoteAddress ?? 'unknown').replace(/%.*$/, '');
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(raw);
  if (mapped) return `address:${mapped[1] ?? ''}`;
  if (!raw.includes(':')) return `address:${raw}`;
  const [head = '', tail] = raw.split('::');
  const front = head === '' ? [] : head.split(':');
  const back = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups = tail === undefined ? front : [...front, ...new Array<string>(Math.max(0, 8 - front.length - back.length)).fill('0'), ...back];
  const prefix = groups
    .slice(0, 4)
    .map((g) => (Number.parseInt(g, 16) || 0).toString(16))
    .join(':');
  return `address:${prefix}::/64`;
}
