import { act, render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConversationList } from '../../src/renderer/src/features/conversation-list/ConversationList';
import { OutboxPanel } from '../../src/renderer/src/features/outbox-panel/OutboxPanel';
import { useAppStore } from '../../src/renderer/src/store';
import { ok, outboxItem, setUp, tearDown, type ScriptedApi } from './support';

let scripted: ScriptedApi;
beforeEach(() => {
  scripted = setUp();
  scripted.answer('outbox:retry', (req) => ok({ count: req.key === null ? 2 : 1 }));
  scripted.answer('outbox:discard', () => ok(null));
});
afterEach(tearDown);

describe('OutboxPanel', () => {
  it('lists every waiting message with conversation, age, attempts, last error and next try', async () => {
    const now = Date.now();
    act(() => {
      scripted.emit('outbox:changed', {
        items: [
          outboxItem({ key: 'new', conversationName: 'Team', composedAt: now - 30_000 }),
          outboxItem({
            key: 'old',
            conversationName: 'Bob',
            composedAt: now - 3 * 60_000,
            attempts: 4,
            lastError: { code: 'SERVICE_UNAVAILABLE', message: 'Unavailable.', id: 'e-503' },
            nextAttemptAt: now + 20_000,
          }),
        ],
      });
      scripted.emit('app:command', { command: 'open-outbox' });
    });
    render(<OutboxPanel />);
    const rows = screen.getAllByTestId('outbox-item');
    expect(rows.map((r) => r.getAttribute('data-key'))).toEqual(['old', 'new']);
    const old = rows[0] as HTMLElement;
    expect(old.textContent).toContain('Bob');
    expect(old.textContent).toContain('3 min');
    expect(old.textContent).toMatch(/Attempts\s*4/);
    expect(old.textContent).toContain('SERVICE_UNAVAILABLE');
    expect(old.textContent).toContain('e-503');
    expect(old.textContent).toMatch(/in (19|20) s/);

    await userEvent.click(within(old).getByRole('button', { name: 'Send now' }));
    expect(scripted.callsTo('outbox:retry')).toEqual([{ key: 'old' }]);
    await userEvent.click(screen.getByRole('button', { name: 'Retry all' }));
    expect(scripted.callsTo('outbox:retry')).toEqual([{ key: 'old' }, { key: null }]);
    // A row waiting out its backoff is cancelled (withdrawn) like any unsent one.
    scripted.answer('messages:cancel', () => ok({ outcome: 'withdrawn' }));
    await userEvent.click(within(old).getByRole('button', { name: 'Discard' }));
    expect(scripted.callsTo('messages:cancel')).toEqual([{ key: 'old' }]);
    expect(screen.getAllByTestId('outbox-item')).toHaveLength(1);

    await userEvent.keyboard('{Escape}');
    expect(useAppStore.getState().isOutboxOpen).toBe(false);
  });
});

describe('ConversationList', () => {
  it('shows name, preview, unread count and a badge for messages still waiting, newest first', () => {
    const now = Date.now();
    act(() => {
      useAppStore.getState().setConversations([
        { id: 'a', type: 'direct', name: 'Bob', lastMessage: { preview: 'old news', at: now - 86_400_000 * 3, senderId: 'b', isOwn: false }, unreadCount: 0, pendingCount: 0, lastSeq: 3 },
        { id: 'b', type: 'group', name: 'Team', lastMessage: { preview: 'see you', at: now - 1_000, senderId: 'me', isOwn: true }, unreadCount: 4, pendingCount: 2, lastSeq: 9 },
      ]);
    });
    render(<ConversationList />);
    const [first, second] = screen.getAllByTestId('conversation');
    expect(first?.textContent).toContain('Team');
    expect(first?.textContent).toContain('You: see you');
    expect(first?.textContent).toContain('2 waiting');
    expect(first?.textContent).toContain('4 unread');
    expect(second?.textContent).toContain('Bob');
    expect(second?.textContent).not.toContain('waiting');
  });
});
