/**
 * What the tray and the badge say: the unread count and the connection reduced to the three
 * states a person cares about (connected, reconnecting, offline), plus "signed out".
 */
import type { ConnectionSnapshot } from '../../shared/contract';

export type LinkState = 'connected' | 'reconnecting' | 'offline' | 'signed-out';

export function linkStateOf(snapshot: ConnectionSnapshot | null): LinkState {
  switch (snapshot?.state) {
    case 'CONNECTED':
      return 'connected';
    case 'CONNECTING':
    case 'RECONNECTING':
      return 'reconnecting';
    case 'DISCONNECTED':
    case 'ERROR':
      return 'offline';
    default:
      return 'signed-out';
  }
}

export function linkLabel(snapshot: ConnectionSnapshot | null): string {
  const state = linkStateOf(snapshot);
  if (state === 'connected') return 'Connected';
  if (state === 'reconnecting') return 'Reconnecting…';
  if (state === 'signed-out') return 'Signed out';
  if (snapshot?.isOsOffline) return 'Offline: no network';
  return snapshot?.state === 'ERROR' ? 'Offline: cannot reach the server' : 'Offline';
}

export type StatusView = Readonly<{
  link: LinkState;
  label: string;
  unread: number;
  /** Shown on the tray icon's badge: nothing at 0, 9+ beyond 9 (the icon has room for one glyph pair). */
  badgeText: string;
  tooltip: string;
  /** "Retry now" makes sense only while a connection is wanted and not up. */
  canRetry: boolean;
}>;

export function statusView(snapshot: ConnectionSnapshot | null, unread: number): StatusView {
  const link = linkStateOf(snapshot);
  const label = linkLabel(snapshot);
  const count = Math.max(0, Math.floor(unread));
  const unreadText = count === 0 ? 'no unread messages' : count === 1 ? '1 unread message' : `${count} unread messages`;
  return {
    link,
    label,
    unread: count,
    badgeText: count === 0 ? '' : count > 9 ? '9+' : String(count),
    tooltip: `Nova: ${unreadText}, ${label.charAt(0).toLowerCase()}${label.slice(1)}`,
    canRetry: link === 'reconnecting' || link === 'offline',
  };
}

export function sameStatus(a: StatusView | null, b: StatusView): boolean {
  return a !== null && a.link === b.link && a.label === b.label && a.unread === b.unread;
}
