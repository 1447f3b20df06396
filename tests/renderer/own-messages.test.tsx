import { act, render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { MessageView } from '../../src/shared/contract';
import { Composer } from '../../src/renderer/src/features/composer/Composer';
import { Toaster } from '../../src/renderer/src/features/notifications/Toaster';
import { MessageRow } from '../../src/renderer/src/features/thread/MessageRow';
import { Thread } from '../../src/renderer/src/features/thread/Thread';
import { OutboxPanel } from '../../src/renderer/src/features/outbox-panel/OutboxPanel';
import { useAppStore } from '../../src/renderer/src/store';
import { message, ok, outboxItem, setUp, tearDown, type ScriptedApi } from './support';

let scripted: ScriptedApi;
beforeEach(() => {
  scripted = setUp();
  useAppStore.getState().ensureThread('c1');
});
afterEach(tearDown);

function put(messages: MessageView[]): void {
  act(() => useAppStore.getState().upsertMessages(messages));
}

function input(): HTMLTextAreaElement {
  return screen.getByTestId('composer-input') as HTMLTextAreaElement;
}

describe('own messages in the thread', () => {
  it('Edit puts the text in the composer; Enter saves it with messages:edit and leaves edit mode', async () => {
    put([message({ key: 'k1', text: 'typo', state: 'sent', seq: 3, serverId: 's1' })]);
    scripted.answer('messages:edit', (req) => ok(message({ key: req.key, text: req.text, state: 'sent', seq: 3, serverId: 's1', editedAt: 1 })));
    render(
      <>
        <MessageRow conversationId="c1" messageKey="k1" />
        <Composer conversationId="c1" />
      </>,
    );
    await userEvent.click(screen.getByRole('button', { name: 'Edit message' }));
    expect(screen.getByTestId('composer-editing')).toBeTruthy();
    expect(input().value).toBe('typo');
    await userEvent.clear(input());
    await userEvent.type(input(), 'fixed{Enter}');
    expect(scripted.callsTo('messages:edit')).toEqual([{ key: 'k1', text: 'fixed' }]);
    expect(screen.queryByTestId('composer-editing')).toBeNull();
    const row = screen.getByTestId('message');
    expect(row.textContent).toContain('fixed');
    expect(within(row).getByTestId('message-edited')).toBeTruthy();
    expect(input().value).toBe('');
  });

  it('↑ in an empty composer edits the last own message; Esc leaves it and the draft untouched', async () => {
    put([
      message({ key: 'mine-old', text: 'older', state: 'sent', seq: 1, serverId: 's1' }),
      message({ key: 'theirs', text: 'from bob', state: 'sent', seq: 2, serverId: 's2', isOwn: false, senderId: 'bob' }),
      message({ key: 'mine-new', text: 'newest of mine', state: 'saved' }),
    ]);
    render(<Composer conversationId="c1" />);
    await userEvent.click(input());
    await userEvent.keyboard('{ArrowUp}');
    expect(useAppStore.getState().editing?.key).toBe('mine-new');
    expect(input().value).toBe('newest of mine');
    await userEvent.keyboard('{Escape}');
    expect(useAppStore.getState().editing).toBeNull();
    expect(input().value).toBe('');
    expect(scripted.callsTo('messages:edit')).toEqual([]);
    // with a draft, ↑ moves the caret as usual
    await userEvent.type(input(), 'draft');
    await userEvent.keyboard('{ArrowUp}');
    expect(useAppStore.getState().editing).toBeNull();
  });

  it('Cancel withdraws a message not sent yet: it leaves the thread', async () => {
    put([message({ key: 'k1', text: 'oops', state: 'saved' })]);
    scripted.answer('messages:cancel', () => ok({ outcome: 'withdrawn' }));
    render(<MessageRow conversationId="c1" messageKey="k1" />);
    expect(screen.queryByRole('button', { name: 'Delete message' })).toBeNull();
    await userEvent.click(screen.getByRole('button', { name: 'Cancel sending' }));
    expect(scripted.callsTo('messages:cancel')).toEqual([{ key: 'k1' }]);
    expect(useAppStore.getState().threads['c1']?.byKey.has('k1')).toBe(false);
  });

  it('Cancel of a message the server already had keeps it; Delete then deletes it: a placeholder stays', async () => {
    put([message({ key: 'k1', text: 'landed', state: 'confirming' })]);
    scripted.answer('messages:cancel', () => ok({ outcome: 'delivered' }));
    scripted.answer('messages:delete', () => ok({ outcome: 'deleted' }));
    render(<MessageRow conversationId="c1" messageKey="k1" />);
    await userEvent.click(screen.getByRole('button', { name: 'Cancel sending' }));
    expect(useAppStore.getState().threads['c1']?.byKey.has('k1')).toBe(true);
    expect(screen.getByTestId('already-delivered').getAttribute('role')).toBe('status');
    put([message({ key: 'k1', text: 'landed', state: 'sent', seq: 4, serverId: 's4' })]);
    await userEvent.click(screen.getByRole('button', { name: 'Delete message' }));
    expect(scripted.callsTo('messages:delete')).toEqual([{ key: 'k1' }]);
    expect(screen.getByTestId('message-deleted')).toBeTruthy();
    expect(screen.queryByText('landed')).toBeNull();
    expect(screen.queryByRole('button', { name: 'Edit message' })).toBeNull();
  });

  it('the thread says "catching up…" while its resync is retried', async () => {
    render(<Thread conversationId="c1" />);
    expect(screen.queryByTestId('catching-up')).toBeNull();
    act(() => scripted.emit('sync:changed', { catchingUp: ['c1'], attempts: 2, failures: 1 }));
    expect(screen.getByTestId('catching-up').getAttribute('role')).toBe('status');
    act(() => scripted.emit('sync:changed', { catchingUp: [], attempts: 3, failures: 1 }));
    expect(screen.queryByTestId('catching-up')).toBeNull();
  });

  it('Send now that must wait for the server says so in a toast with the wait', async () => {
    const until = Date.now() + 30_000;
    scripted.answer('outbox:retry', () => ok({ count: 1, serverWaitUntil: until }));
    act(() => {
      useAppStore.getState().upsertOutbox([outboxItem({ key: 'k1', state: 'saved', nextAttemptAt: until })]);
      useAppStore.getState().setOutboxOpen(true);
    });
    render(
      <>
        <OutboxPanel />
        <Toaster />
      </>,
    );
    await userEvent.click(screen.getByRole('button', { name: 'Send now' }));
    await vi.waitFor(() => expect(screen.getByTestId('toast').getAttribute('data-code')).toBe('RATE_LIMITED'));
  });
});

describe('the delivery timeline of a delivered message', () => {
  it('is fetched from the core once the outbox row is gone, with the error id and the server-named wait', async () => {
    put([message({ key: 'k1', text: 'went out', state: 'sent', seq: 9, serverId: 's9' })]);
    scripted.answer('messages:timeline', () =>
      ok([
        { at: 1_000, transport: 'ws', outcome: 'retry', error: { code: 'RATE_LIMITED', message: 'Slow down.', id: 'E-1234' }, waitMs: 2_000 },
        { at: 3_000, transport: 'ws', outcome: 'acked', error: null, waitMs: null },
      ]),
    );
    render(<MessageRow conversationId="c1" messageKey="k1" />);
    await userEvent.click(screen.getByTestId('message-status'));
    const timeline = await screen.findByTestId('timeline');
    await vi.waitFor(() => expect(timeline.textContent).toContain('E-1234'));
    expect(scripted.callsTo('messages:timeline')).toEqual([{ key: 'k1' }]);
    expect(timeline.textContent).toContain('the server asked to wait');
    expect(timeline.textContent).toContain('Acknowledged by the server (socket)');
  });
});

describe('cancels and edits saved offline', () => {
  it('a cancel requested offline offers only Undo, which puts the message back', async () => {
    put([message({ key: 'k1', text: 'maybe landed', state: 'cancel_pending' })]);
    scripted.answer('messages:undoIntent', (req) => ok(message({ key: req.key, text: 'maybe landed', state: 'confirming' })));
    render(<MessageRow conversationId="c1" messageKey="k1" />);
    expect(screen.queryByRole('button', { name: 'Edit message' })).toBeNull();
    expect(screen.queryByRole('button', { name: 'Cancel sending' })).toBeNull();
    await userEvent.click(screen.getByRole('button', { name: 'Undo cancel' }));
    expect(scripted.callsTo('messages:undoIntent')).toEqual([{ key: 'k1' }]);
    expect(screen.getByTestId('message').getAttribute('data-state')).toBe('confirming');
  });

  it('an edit saved offline can be edited again, cancelled or undone', async () => {
    put([message({ key: 'k1', text: 'new text', state: 'edit_pending' })]);
    scripted.answer('messages:cancel', () => ok({ outcome: 'requested' }));
    render(<MessageRow conversationId="c1" messageKey="k1" />);
    expect(screen.getByRole('button', { name: 'Edit message' })).toBeTruthy();
    expect(screen.getByRole('button', { name: 'Undo edit' })).toBeTruthy();
    await userEvent.click(screen.getByRole('button', { name: 'Cancel sending' }));
    expect(scripted.callsTo('messages:cancel')).toEqual([{ key: 'k1' }]);
    // Still shown until the core's change says it is a cancel now.
    expect(screen.getByTestId('message')).toBeTruthy();
  });

  it('settled at a connect: withdrawn leaves the thread; too late says so and offers Delete', async () => {
    put([
      message({ key: 'gone', text: 'withdrawn', state: 'cancel_pending' }),
      message({ key: 'kept', text: 'delivered', state: 'cancel_pending' }),
    ]);
    render(
      <>
        <MessageRow conversationId="c1" messageKey="gone" />
        <MessageRow conversationId="c1" messageKey="kept" />
      </>,
    );
    act(() => scripted.emit('messages:intentSettled', { key: 'gone', conversationId: 'c1', kind: 'cancel', outcome: 'withdrawn', code: null }));
    act(() => scripted.emit('messages:intentSettled', { key: 'kept', conversationId: 'c1', kind: 'cancel', outcome: 'delivered', code: null }));
    put([message({ key: 'kept', text: 'delivered', state: 'sent', seq: 4, serverId: 's4' })]);
    const rows = screen.getAllByTestId('message');
    expect(rows.map((r) => r.getAttribute('data-key'))).toEqual(['kept']);
    expect(within(rows[0] as HTMLElement).getByTestId('already-delivered')).toBeTruthy();
    expect(within(rows[0] as HTMLElement).getByRole('button', { name: 'Delete message' })).toBeTruthy();
  });
});
