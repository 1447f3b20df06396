import type { ConnectionSnapshot, ConnectionState } from '../../../../shared/contract';
import { CloseCode } from '../../../../shared/protocol-errors';
import { formatDuration, plural } from '../../format';

export type Tone = 'ok' | 'busy' | 'down' | 'error' | 'idle';

/** Nova's colours (reference §4.6): green, amber, red, dark red, grey. */
const TONES: Record<ConnectionState, Tone> = {
  CONNECTED: 'ok',
  CONNECTING: 'busy',
  RECONNECTING: 'busy',
  DISCONNECTED: 'down',
  ERROR: 'error',
  CLOSED: 'idle',
};

export function connectionTone(snapshot: ConnectionSnapshot): Tone {
  return snapshot.isOsOffline && snapshot.state !== 'CLOSED' ? 'down' : TONES[snapshot.state];
}

/** The short text in the header, which is also what screen readers hear on a change. */
export function connectionLabel(snapshot: ConnectionSnapshot): string {
  if (snapshot.state === 'CLOSED') return 'Signed out';
  if (snapshot.isOsOffline) return 'Offline — waiting for network';
  switch (snapshot.state) {
    case 'CONNECTED':
      return 'Connected';
    case 'CONNECTING':
      return snapshot.attempt > 0 ? `Connecting (attempt ${snapshot.attempt})…` : 'Connecting…';
    case 'RECONNECTING':
      return `Reconnecting (attempt ${Math.max(1, snapshot.attempt)})…`;
    case 'DISCONNECTED':
      return 'Disconnected';
    case 'ERROR':
      return 'Server unreachable';
  }
}


/** The server refused this version: close code 4426 on the socket, or 426 on the upgrade. */
export function isUpdateRequired(snapshot: ConnectionSnapshot): boolean {
  return snapshot.state === 'ERROR' && (snapshot.closeCode === CloseCode.UNSUPPORTED_VERSION || snapshot.httpStatus === 426);
}

/** What the banner says is happening, with the countdown when a retry is scheduled. */
export function connectionHeadline(snapshot: ConnectionSnapshot, now: number): string {
  if (snapshot.state === 'CLOSED') return 'Signed out';
  if (snapshot.isOsOffline) return 'Waiting for network';
  if (isUpdateRequired(snapshot)) return 'This version of Nova is too old for the server — please update';
  // The core's slow retry once it has given up fast ones (slowRetryMs, one minute).
  if (snapshot.state === 'ERROR') return 'Server unreachable — retrying every minute';
  if (snapshot.state === 'CONNECTING') return 'Connecting…';
  if (snapshot.nextAttemptAt !== null && snapshot.nextAttemptAt > now) {
    return `Reconnecting in ${formatDuration(snapshot.nextAttemptAt - now)}`;
  }
  return 'Reconnecting…';
}

export function waitingText(pendingCount: number): string {
  if (pendingCount === 0) return 'No messages are waiting.';
  return `${plural(pendingCount, 'message')} ${pendingCount === 1 ? 'is' : 'are'} waiting — safe on this computer, sent when the connection returns.`;
}

export function roundTripText(snapshot: ConnectionSnapshot): string {
  return snapshot.lastRttMs === null ? 'no round trip measured yet' : `round trip ${Math.round(snapshot.lastRttMs)} ms`;
}
