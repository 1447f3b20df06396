import { act, render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MESSAGE_STATES, type MessageState, type MessageView } from '../../src/shared/contract';
import { MessageRow } from '../../src/renderer/src/features/thread/MessageRow';
import { useAppStore } from '../../src/renderer/src/store';
import { message, ok, outboxItem, setUp, tearDown, type ScriptedApi } from './support';

let scripted: ScriptedApi;
beforeEach(() => {
  scripted = setUp();
  scripted.answer('outbox:retry', () => ok({ count: 1 }));
  scripted.answer('outbox:discard', () => ok(null));
  scripted.answer('outbox:confirm', () => ok(null));
  useAppStore.getState().ensureThread('c1');
});
afterEach(tearDown);

const LABELS: Record<MessageState, string> = {
  saved: 'Saved',
  sending: 'Sending…',
  confirming: 'Confirming…',
  sent: 'Sent',
  failed: 'Not sent',
  expired: 'Expired',
  held: 'Held',
  cancel_pending: 'Cancel requested',
  edit_pending: 'Edit saved',
};

const rejected = { code: 'BAD_REQUEST', message: 'The server rejected the request as invalid.', id: 'e-400' } as const;

/** Message events reach the store on the next animation frame (the bridge coalesces them). */
async function emitMessages(messages: MessageView[]): Promise<void> {
  act(() => scripted.emit('messages:changed', { messages }));
  await act(() => vi.waitFor(() => expect(useAppStore.getState().threads['c1']?.byKey.get(messages[0]?.key ?? '')).toBe(messages[0])));
}

async function show(state: MessageState): Promise<void> {
  const error = state === 'failed' || state === 'expired' ? rejected : null;
  await emitMessages([message({ key: 'k1', state, error, seq: state === 'sent' ? 7 : null })]);
  act(() => {
    if (state !== 'sent') scripted.emit('outbox:changed', { items: [outboxItem({ key: 'k1', state, lastError: error })] });
  });
}

describe('own message states', () => {
  it.each(MESSAGE_STATES.map((s) => [s]))('shows "%s" under the message', async (state) => {
    render(<MessageRow conversationId="c1" messageKey="k1" />);
    await show(state);
    const status = screen.getByTestId('message-status');
    expect(status.textContent).toContain(LABELS[state]);
    expect(screen.getByTestId('message').getAttribute('data-state')).toBe(state);
    if (state === 'failed') expect(status.textContent).toContain('rejected the request');
  });

  it('messages from others carry no status', async () => {
    render(<MessageRow conversationId="c1" messageKey="o1" />);
    await emitMessages([message({ key: 'o1', isOwn: false, state: 'sent', seq: 1 })]);
    expect(screen.getByTestId('message').className).toContain('message-other');
    expect(screen.queryByTestId('message-status')).toBeNull();
  });

  it('a click opens the timeline: composed, saved, each attempt with its error, acked', async () => {
    render(<MessageRow conversationId="c1" messageKey="k1" />);
    const composedAt = Date.UTC(2026, 10, 28, 9, 0);
    await emitMessages([message({ key: 'k1', state: 'sent', seq: 12 })]);
    act(() => {
      scripted.emit('outbox:changed', {
        items: [
          outboxItem({
            key: 'k1',
            state: 'confirming',
            attempts: 2,
            history: [
              { at: composedAt + 1_000, transport: 'ws', outcome: 'lost', error: { code: 'NETWORK_ERROR', message: 'socket closed', id: 'e-net' } },
              { at: composedAt + 5_000, transport: 'ws', outcome: 'acked', error: null },
            ],
          }),
        ],
      });
    });
    await userEvent.click(screen.getByTestId('message-status'));
    const steps = within(screen.getByTestId('timeline')).getAllByRole('listitem').map((li) => li.textContent ?? '');
    expect(steps).toHaveLength(4);
    expect(steps[0]).toContain('Composed');
    expect(steps[1]).toContain('Saved on this computer');
    expect(steps[2]).toContain('No answer (connection lost)');
    expect(steps[2]).toContain('NETWORK_ERROR: socket closed');
    expect(steps[2]).toContain('e-net');
    expect(steps[3]).toContain('Acknowledged by the server');

    await userEvent.click(screen.getByTestId('message-status'));
    expect(screen.queryByTestId('timeline')).toBeNull();
  });

  it('a failed message offers retry, discard and copy error id', async () => {
    const user = userEvent.setup();
    render(<MessageRow conversationId="c1" messageKey="k1" />);
    await show('failed');
    await user.click(screen.getByTestId('message-status'));
    await user.click(screen.getByRole('button', { name: 'Copy error id' }));
    expect(await navigator.clipboard.readText()).toBe('e-400');
    await user.click(screen.getByRole('button', { name: 'Retry' }));
    expect(scripted.callsTo('outbox:retry')).toEqual([{ key: 'k1' }]);
    await user.click(screen.getByRole('button', { name: 'Discard' }));
    expect(scripted.callsTo('outbox:discard')).toEqual([{ key: 'k1' }]);
    expect(screen.queryByTestId('message')).toBeNull();
    expect(useAppStore.getState().outbox['k1']).toBeUndefined();
  });

  it('an expired message can be sent again', async () => {
    render(<MessageRow conversationId="c1" messageKey="k1" />);
    await show('expired');
    await userEvent.click(screen.getByTestId('message-status'));
    await userEvent.click(screen.getByRole('button', { name: 'Send again' }));
    expect(scripted.callsTo('outbox:retry')).toEqual([{ key: 'k1' }]);
  });

  it('a held message waits for "send anyway" or discard', async () => {
    render(<MessageRow conversationId="c1" messageKey="k1" />);
    await show('held');
    await userEvent.click(screen.getByTestId('message-status'));
    await userEvent.click(screen.getByRole('button', { name: 'Send anyway' }));
    expect(scripted.callsTo('outbox:confirm')).toEqual([{ key: 'k1', send: true }]);
    await userEvent.click(screen.getByRole('button', { name: 'Discard' }));
    expect(scripted.callsTo('outbox:confirm')).toEqual([{ key: 'k1', send: true }, { key: 'k1', send: false }]);
  });

  it.each(['saved', 'sending', 'confirming', 'sent'] as const)('a %s message offers no retry or discard', async (state) => {
    render(<MessageRow conversationId="c1" messageKey="k1" />);
    await show(state);
    await userEvent.click(screen.getByTestId('message-status'));
    expect(screen.queryByRole('button', { name: 'Retry' })).toBeNull();
    expect(screen.queryByRole('button', { name: 'Discard' })).toBeNull();
  });
});
