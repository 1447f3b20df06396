/** Nova's six connection states and the only transitions allowed between them; any other is a bug. */
import type { ConnectionState, ConnectionTransition } from '../../../shared/contract';

/** What ended the socket behind a transition, so the history (and tests) carry codes, not prose. */
export type TransitionCause = Readonly<{ closeCode: number } | { httpStatus: number }>;
import { BugError } from '../../../shared/errors';

/**
 * Every transition the connection may make, and why. docs/architecture.md lists the same table
 * and a test walks it, so the prose and the code cannot drift. RECONNECTING → RECONNECTING is
 * a real transition: each failed attempt is recorded in the history with its cause.
 */
export const CONNECTION_TRANSITIONS: ReadonlyArray<Readonly<{ from: ConnectionState; to: ConnectionState; when: string }>> = [
  { from: 'CLOSED', to: 'CONNECTING', when: 'started while signed in, or signed in' },
  { from: 'CONNECTING', to: 'CONNECTED', when: 'handshake received, or (legacy Nova) the sockets of the watched conversations are open' },
  { from: 'CONNECTING', to: 'RECONNECTING', when: 'the first attempt failed; backoff armed' },
  { from: 'CONNECTING', to: 'DISCONNECTED', when: 'the attempt failed while the OS reports the network offline' },
  { from: 'CONNECTING', to: 'ERROR', when: 'the server requires a newer client (4426, HTTP 426)' },
  { from: 'CONNECTING', to: 'CLOSED', when: 'stopped, signed out, or the session was revoked' },
  { from: 'CONNECTED', to: 'RECONNECTING', when: 'link lost: close, heartbeat timeout (4008), long sleep, 4001, 4029, 1000/1001, 1012 (announced restart)' },
  { from: 'CONNECTED', to: 'DISCONNECTED', when: 'link lost while the OS reports the network offline' },
  { from: 'CONNECTED', to: 'ERROR', when: 'the server requires a newer client (4426)' },
  { from: 'CONNECTED', to: 'CLOSED', when: 'stopped, signed out, or the session was revoked' },
  { from: 'RECONNECTING', to: 'RECONNECTING', when: 'an attempt failed; the next one is armed (each failure is in the history)' },
  { from: 'RECONNECTING', to: 'CONNECTED', when: 'handshake received, or (legacy Nova) the conversation sockets are open' },
  { from: 'RECONNECTING', to: 'DISCONNECTED', when: 'an attempt failed, or a wait began, while the OS reports the network offline' },
  { from: 'RECONNECTING', to: 'ERROR', when: '10 consecutive failures (then a slow retry every 5 min), or 4426' },
  { from: 'RECONNECTING', to: 'CLOSED', when: 'stopped, signed out, or the session was revoked' },
  { from: 'DISCONNECTED', to: 'RECONNECTING', when: 'the network is back, the OS resumed, or retry now' },
  { from: 'DISCONNECTED', to: 'CLOSED', when: 'stopped, signed out, or the session was revoked' },
  { from: 'ERROR', to: 'RECONNECTING', when: 'slow retry due, retry now, network back, or resume' },
  { from: 'ERROR', to: 'DISCONNECTED', when: 'the OS reports the network offline' },
  { from: 'ERROR', to: 'CLOSED', when: 'stopped, signed out, or the session was revoked' },
];

const ALLOWED = new Set(CONNECTION_TRANSITIONS.map((t) => `${t.from}>${t.to}`));

export function isAllowedTransition(from: ConnectionState, to: ConnectionState): boolean {
  return ALLOWED.has(`${from}>${to}`);
}

/** The six states plus a bounded history; illegal transitions are bugs, not user conditions. */
export class ConnectionStateMachine {
  private current: ConnectionState = 'CLOSED';
  private currentReason = 'signed out';
  private currentSince: number;
  private readonly ring: ConnectionTransition[] = [];

  constructor(
    private readonly now: () => number,
    private readonly historyLimit = 200,
  ) {
    this.currentSince = now();
  }

  get state(): ConnectionState {
    return this.current;
  }

  get reason(): string {
    return this.currentReason;
  }

  get since(): number {
    return this.currentSince;
  }

  /** Returns false when already in `to` with a transition that is not allowed to repeat. */
  transition(to: ConnectionState, reason: string, cause?: TransitionCause): boolean {
    const from = this.current;
    if (from === to && !isAllowedTransition(from, to)) {
      this.currentReason = reason;
      return false;
    }
    if (!isAllowedTransition(from, to)) throw new BugError(`connection: illegal transition ${from} → ${to} (${reason})`);
    const at = this.now();
    this.current = to;
    this.currentReason = reason;
    if (from !== to) this.currentSince = at;
    this.ring.push({ at, from, to, reason, ...cause });
    if (this.ring.length > this.historyLimit) this.ring.splice(0, this.ring.length - this.historyLimit);
    return true;
  }

  history(): ConnectionTransition[] {
    return [...this.ring];
  }

  /** The close code or refused upgrade's status that led to the current state, when a socket's end did. */
  get cause(): Readonly<{ closeCode?: number; httpStatus?: number }> {
    const last = this.ring.at(-1);
    if (last === undefined) return {};
    return { ...(last.closeCode !== undefined ? { closeCode: last.closeCode } : {}), ...(last.httpStatus !== undefined ? { httpStatus: last.httpStatus } : {}) };
  }
}
