import { act, render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { AppNotification } from '../../src/shared/contract';
import { notificationStyle } from '../../src/shared/errors';
import { notifyError } from '../../src/renderer/src/actions';
import { Toaster } from '../../src/renderer/src/features/notifications/Toaster';
import { connectBridge } from '../../src/renderer/src/bridge';
import { initialAppState, useAppStore } from '../../src/renderer/src/store';
import { errorData, ok, outboxItem, scriptedApi, setUp, tearDown, type ScriptedApi } from './support';

let counter = 0;
function notification(overrides: Partial<AppNotification>): AppNotification {
  counter += 1;
  return {
    id: `n-${counter}`,
    code: 'SERVER_ERROR',
    message: 'The server had a problem. Nova will try again.',
    severity: 'error',
    sticky: false,
    at: Date.now(),
    actions: ['details'],
    messageKey: null,
    ...overrides,
  };
}

let scripted: ScriptedApi;
beforeEach(() => {
  scripted = setUp();
});
afterEach(() => {
  tearDown();
  vi.useRealTimers();
});

describe('Toaster', () => {
  it('shows message, code and error id, and dismisses itself after 5 s', () => {
    vi.useFakeTimers();
    render(<Toaster />);
    act(() => scripted.emit('notification', notification({ id: 'abc123' })));
    const toast = screen.getByTestId('toast');
    expect(toast.textContent).toContain('The server had a problem');
    expect(toast.textContent).toContain('SERVER_ERROR');
    expect(toast.textContent).toContain('abc123');
    expect(toast.getAttribute('role')).toBe('alert');

    act(() => vi.advanceTimersByTime(4_900));
    expect(screen.queryByTestId('toast')).not.toBeNull();
    act(() => vi.advanceTimersByTime(200));
    expect(screen.queryByTestId('toast')).toBeNull();
  });

  it('keeps sticky toasts (signed out, offline, critical) until dismissed by hand', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    render(<Toaster />);
    act(() =>
      scripted.emit(
        'notification',
        notification({ code: 'TOKEN_REVOKED', message: 'You were signed out.', severity: 'critical', sticky: true, actions: ['sign_in', 'details'] }),
      ),
    );
    act(() => vi.advanceTimersByTime(60_000));
    const toast = screen.getByTestId('toast');
    expect(within(toast).getByRole('button', { name: 'Sign in again' })).toBeTruthy();

    vi.useRealTimers();
    await userEvent.click(within(toast).getByRole('button', { name: 'Dismiss notification' }));
    expect(screen.queryByTestId('toast')).toBeNull();
  });

  it('merges identical errors into one toast with a count, and restarts its timer', () => {
    vi.useFakeTimers();
    render(<Toaster />);
    act(() => scripted.emit('notification', notification({ code: 'NETWORK_ERROR', message: 'Network connection error.' })));
    act(() => vi.advanceTimersByTime(4_000));
    act(() => {
      scripted.emit('notification', notification({ code: 'NETWORK_ERROR', message: 'Network connection error.', id: 'second' }));
      scripted.emit('notification', notification({ code: 'NETWORK_ERROR', message: 'Network connection error.', id: 'third' }));
    });
    const toasts = screen.getAllByTestId('toast');
    expect(toasts).toHaveLength(1);
    expect(toasts[0]?.textContent).toContain('×3');
    // The id shown is the latest one: that is the log line support will look for.
    expect(toasts[0]?.textContent).toContain('third');

    act(() => vi.advanceTimersByTime(4_000));
    expect(screen.queryByTestId('toast')).not.toBeNull();
    act(() => vi.advanceTimersByTime(1_100));
    expect(screen.queryByTestId('toast')).toBeNull();
  });

  it('shows at most 5 at a time; the next waits until one goes', async () => {
    render(<Toaster />);
    act(() => {
      for (let i = 0; i < 7; i++) scripted.emit('notification', notification({ message: `problem ${i}`, sticky: true }));
    });
    expect(screen.getAllByTestId('toast')).toHaveLength(5);
    expect(screen.getByTestId('toaster').textContent).toContain('2 more');
    expect(screen.getByTestId('toaster').textContent).not.toContain('problem 1');

    await userEvent.click(within(screen.getAllByTestId('toast')[0] as HTMLElement).getByRole('button', { name: 'Dismiss notification' }));
    expect(screen.getAllByTestId('toast')).toHaveLength(5);
    expect(screen.getByTestId('toaster').textContent).toContain('problem 1');
  });

  it('Retry and Discard act on the message the toast is about', async () => {
    scripted.answer('outbox:retry', () => ok({ count: 1 }));
    scripted.answer('outbox:discard', () => ok(null));
    scripted.emit('outbox:changed', { items: [outboxItem({ key: 'k1', state: 'failed' })] });
    render(<Toaster />);
    const failure: Partial<AppNotification> = { code: 'BAD_REQUEST', message: 'Rejected.', severity: 'error', actions: ['retry', 'discard', 'details'] };
    act(() => scripted.emit('notification', notification({ ...failure, messageKey: 'k1' })));
    await userEvent.click(screen.getByRole('button', { name: 'Retry' }));
    expect(scripted.callsTo('outbox:retry')).toEqual([{ key: 'k1' }]);

    act(() => scripted.emit('notification', notification({ ...failure, messageKey: 'k1' })));
    await userEvent.click(screen.getByRole('button', { name: 'Discard' }));
    expect(scripted.callsTo('outbox:discard')).toEqual([{ key: 'k1' }]);
    expect(screen.queryByTestId('toast')).toBeNull();
  });

  it('Details shows when it happened and lets the user copy the error id', async () => {
    const user = userEvent.setup();
    render(<Toaster />);
    act(() => scripted.emit('notification', notification({ id: 'copy-me' })));
    await user.click(screen.getByRole('button', { name: 'Details' }));
    expect(screen.getByTestId('toast').textContent).toContain('Quote this id to support');
    await user.click(screen.getByRole('button', { name: 'Copy' }));
    expect(await navigator.clipboard.readText()).toBe('copy-me');
  });

  it('a rate-limit failure says how long the wait really is', () => {
    render(<Toaster />);
    act(() => notifyError(errorData('RATE_LIMITED', 'Too many requests', 12_300)));
    expect(screen.getByTestId('toast').textContent).toContain('Too many requests. Retrying in 13 s.');
  });

  it('a failed request is shown as the shared policy table says, with the core\'s own words', () => {
    render(<Toaster />);
    act(() => notifyError(errorData('STORAGE_FULL', 'The disk is full.')));
    const toast = screen.getByTestId('toast');
    const style = notificationStyle('STORAGE_FULL', 'request');
    expect(toast.className).toContain(`toast-${style.severity}`);
    expect(toast.getAttribute('data-sticky')).toBe(String(style.sticky));
    expect(toast.textContent).toContain('The disk is full.');
    expect(useAppStore.getState().toasts[0]?.notification.actions).toEqual([...style.actions]);
  });
});

describe('notifications raised before the window listened', () => {
  it('are replayed at start, and a sticky one closed by the user is dismissed in main', async () => {
    tearDown();
    useAppStore.setState(initialAppState, true);
    const early = scriptedApi();
    const damaged = notification({ id: 'E-DB', code: 'DB_CORRUPT', message: 'The local database was damaged.', severity: 'critical', sticky: true });
    early.answer('notifications:list', () => ok([damaged]));
    early.answer('notifications:dismiss', () => ok(null));
    const disconnect = connectBridge(early.api);
    try {
      render(<Toaster />);
      const toast = await screen.findByTestId('toast');
      expect(toast.textContent).toContain('DB_CORRUPT');
      await userEvent.click(within(toast).getByRole('button', { name: 'Dismiss notification' }));
      expect(early.callsTo('notifications:dismiss')).toEqual([{ id: 'E-DB' }]);
    } finally {
      disconnect();
    }
  });
});

