import { act, render, screen } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { MessageView } from '../../src/shared/contract';
import { MessageRow } from '../../src/renderer/src/features/thread/MessageRow';
import { useAppStore } from '../../src/renderer/src/store';
import { message, setUp, tearDown, type ScriptedApi } from './support';

let scripted: ScriptedApi;
beforeEach(() => {
  scripted = setUp();
  useAppStore.getState().ensureThread('c1');
});
afterEach(tearDown);

async function emit(view: MessageView): Promise<void> {
  act(() => scripted.emit('messages:changed', { messages: [view] }));
  await act(() => vi.waitFor(() => expect(useAppStore.getState().threads['c1']?.byKey.get(view.key)).toBe(view)));
}

describe('edited and deleted messages in the thread', () => {
  it('an edit replaces the text in place and adds the edited mark', async () => {
    render(<MessageRow conversationId="c1" messageKey="o1" />);
    await emit(message({ key: 'o1', isOwn: false, state: 'sent', seq: 1, text: 'before' }));
    expect(screen.queryByTestId('message-edited')).toBeNull();
    await emit(message({ key: 'o1', isOwn: false, state: 'sent', seq: 1, text: 'after', editedAt: 1_700_000_000_000 }));
    expect(screen.getByTestId('message').textContent).toContain('after');
    expect(screen.getByTestId('message').textContent).not.toContain('before');
    expect(screen.getByTestId('message-edited')).toBeTruthy();
    expect(screen.getByTestId('message').getAttribute('data-edited')).toBe('true');
  });

  it('a delete shows the placeholder instead of the text, without the edited mark', async () => {
    render(<MessageRow conversationId="c1" messageKey="o2" />);
    await emit(message({ key: 'o2', isOwn: false, state: 'sent', seq: 2, text: 'secret', editedAt: 5 }));
    await emit(message({ key: 'o2', isOwn: false, state: 'sent', seq: 2, text: '', editedAt: 5, deleted: true }));
    expect(screen.getByTestId('message-deleted')).toBeTruthy();
    expect(screen.getByTestId('message').getAttribute('data-deleted')).toBe('true');
    expect(screen.queryByTestId('message-edited')).toBeNull();
    expect(screen.getByTestId('message').textContent).not.toContain('secret');
  });

  it('an own sent message, once deleted, is only the placeholder: no delivery mark, no actions', async () => {
    render(<MessageRow conversationId="c1" messageKey="o4" />);
    await emit(message({ key: 'o4', isOwn: true, state: 'sent', seq: 4, text: 'mine' }));
    expect(screen.getByTestId('message-status').classList.contains('status-sent')).toBe(true);
    await emit(message({ key: 'o4', isOwn: true, state: 'sent', seq: 4, text: '', deleted: true }));
    expect(screen.getByTestId('message-deleted')).toBeTruthy();
    expect(screen.queryByTestId('message-status')).toBeNull();
    expect(screen.queryAllByRole('button')).toHaveLength(0);
  });

  it('a view without the optional fields (an older core) shows plain text', async () => {
    render(<MessageRow conversationId="c1" messageKey="o3" />);
    await emit(message({ key: 'o3', isOwn: false, state: 'sent', seq: 3, text: 'plain' }));
    expect(screen.getByTestId('message').getAttribute('data-deleted')).toBeNull();
    expect(screen.queryByTestId('message-deleted')).toBeNull();
  });
});
