import { act, render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ConnectionSnapshot } from '../../src/shared/contract';
import { ConnectionBanner } from '../../src/renderer/src/features/connection-status/ConnectionBanner';
import { ConnectionIndicator } from '../../src/renderer/src/features/connection-status/ConnectionIndicator';
import { useAppStore } from '../../src/renderer/src/store';
import { ok, setUp, signedIn, tearDown, type ScriptedApi } from './support';

function snapshot(overrides: Partial<ConnectionSnapshot>): ConnectionSnapshot {
  return {
    state: 'CONNECTED',
    reason: 'handshake complete',
    since: Date.now(),
    attempt: 0,
    nextAttemptAt: null,
    lastRttMs: 23,
    isOsOffline: false,
    pendingCount: 0,
    ...overrides,
  };
}

let scripted: ScriptedApi;
beforeEach(() => {
  scripted = setUp();
  scripted.emit('auth:changed', signedIn());
});
afterEach(() => {
  tearDown();
  vi.useRealTimers();
});

describe('ConnectionIndicator', () => {
  it('shows state, colour and the round trip on hover, and announces changes politely', () => {
    render(<ConnectionIndicator />);
    act(() => scripted.emit('connection:changed', snapshot({})));
    const indicator = screen.getByTestId('connection-indicator');
    expect(indicator.textContent).toBe('Connected');
    expect(indicator.className).toContain('conn-ok');
    expect(indicator.getAttribute('title')).toContain('round trip 23 ms');
    expect(screen.getByRole('status').getAttribute('aria-live')).toBe('polite');

    act(() => scripted.emit('connection:changed', snapshot({ state: 'RECONNECTING', attempt: 3, lastRttMs: null })));
    expect(screen.getByRole('status').textContent).toBe('Reconnecting (attempt 3)…');
    expect(indicator.className).toContain('conn-busy');
    expect(indicator.getAttribute('title')).toContain('no round trip measured yet');

    act(() => scripted.emit('connection:changed', snapshot({ state: 'DISCONNECTED', isOsOffline: true })));
    expect(screen.getByRole('status').textContent).toBe('Offline — waiting for network');
    expect(indicator.className).toContain('conn-down');

    act(() => scripted.emit('connection:changed', snapshot({ state: 'ERROR' })));
    expect(indicator.className).toContain('conn-error');
  });
});

describe('ConnectionBanner', () => {
  it('stays quiet for the first 5 s of an outage, then says when the next attempt is', () => {
    vi.useFakeTimers({ now: Date.UTC(2026, 10, 28, 10, 0), toFake: ['Date', 'setInterval', 'clearInterval', 'setTimeout', 'clearTimeout'] });
    render(<ConnectionBanner />);
    const start = Date.now();
    act(() => scripted.emit('connection:changed', snapshot({ state: 'RECONNECTING', since: start, attempt: 2, nextAttemptAt: start + 17_000, pendingCount: 3 })));
    expect(screen.queryByTestId('connection-banner')).toBeNull();

    act(() => vi.advanceTimersByTime(5_000));
    expect(screen.queryByTestId('connection-banner')).toBeNull();

    act(() => vi.advanceTimersByTime(1_000));
    const banner = screen.getByTestId('connection-banner');
    expect(banner.textContent).toContain('Reconnecting in 11 s');
    expect(banner.textContent).toContain('3 messages are waiting — safe on this computer');

    // A later transition keeps counting the outage from its start, not from the transition.
    act(() => scripted.emit('connection:changed', snapshot({ state: 'CONNECTING', since: Date.now(), attempt: 3, pendingCount: 3 })));
    expect(screen.getByTestId('connection-banner').textContent).toContain('Connecting…');

    act(() => scripted.emit('connection:changed', snapshot({ pendingCount: 0 })));
    expect(screen.queryByTestId('connection-banner')).toBeNull();
  });

  // Decided by state, the OS flag and the close code or upgrade status, never by the core's reason text.
  it.each([
    [{ state: 'DISCONNECTED', isOsOffline: true }, 'Waiting for network'],
    [{ state: 'ERROR', reason: '' }, 'Server unreachable — retrying every minute'],
    [{ state: 'ERROR', reason: 'update required', closeCode: 1006 }, 'Server unreachable — retrying every minute'],
    [{ state: 'ERROR', reason: '', closeCode: 4426 }, 'too old for the server'],
    [{ state: 'ERROR', reason: '', httpStatus: 426 }, 'too old for the server'],
  ] as const)('explains %o as "%s"', (overrides, text) => {
    render(<ConnectionBanner />);
    act(() => scripted.emit('connection:changed', snapshot({ ...overrides, since: Date.now() - 6_000, pendingCount: 1 })));
    expect(screen.getByTestId('connection-banner').textContent).toContain(text);
    expect(screen.getByTestId('connection-banner').textContent).toContain('1 message is waiting');
  });

  it('"Retry now" asks the connection to try at once', async () => {
    scripted.answer('connection:retryNow', () => ok(null));
    render(<ConnectionBanner />);
    act(() => scripted.emit('connection:changed', snapshot({ state: 'RECONNECTING', since: Date.now() - 60_000, nextAttemptAt: Date.now() + 20_000 })));
    await userEvent.click(screen.getByRole('button', { name: 'Retry now' }));
    expect(scripted.callsTo('connection:retryNow')).toHaveLength(1);
  });

  it('says "Signed out" at once when the server ends the session, but not after the user signs out', () => {
    render(<ConnectionBanner />);
    act(() => {
      scripted.emit('connection:changed', snapshot({ state: 'CLOSED', reason: 'token revoked', pendingCount: 2 }));
      scripted.emit('auth:changed', { ...signedIn(), signedIn: false, user: null });
    });
    const banner = screen.getByTestId('connection-banner');
    expect(banner.textContent).toContain('Signed out');
    expect(banner.textContent).toContain('2 messages are waiting');
    expect(screen.queryByRole('button', { name: 'Retry now' })).toBeNull();

    act(() => {
      scripted.emit('auth:changed', signedIn());
      useAppStore.getState().setSigningOut(true);
      scripted.emit('auth:changed', { ...signedIn(), signedIn: false, user: null });
    });
    expect(screen.queryByTestId('connection-banner')).toBeNull();
  });
});
