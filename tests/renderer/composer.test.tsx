import { act, render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Composer, MAX_MESSAGE_BYTES } from '../../src/renderer/src/features/composer/Composer';
import { Toaster } from '../../src/renderer/src/features/notifications/Toaster';
import { useAppStore } from '../../src/renderer/src/store';
import { errorData, message, ok, setUp, tearDown, type ScriptedApi } from './support';

let scripted: ScriptedApi;
beforeEach(() => {
  scripted = setUp();
  useAppStore.getState().ensureThread('c1');
  scripted.answer('messages:send', (req) => ok(message({ key: `k-${req.text.length}`, text: req.text, conversationId: req.conversationId })));
});
afterEach(tearDown);

function input(): HTMLTextAreaElement {
  return screen.getByTestId('composer-input') as HTMLTextAreaElement;
}

describe('Composer', () => {
  it('Enter sends and clears; the message shows at once as saved', async () => {
    render(<Composer conversationId="c1" />);
    await userEvent.type(input(), 'hello there{Enter}');
    expect(scripted.callsTo('messages:send')).toEqual([{ conversationId: 'c1', text: 'hello there' }]);
    expect(input().value).toBe('');
    const thread = useAppStore.getState().threads['c1'];
    expect(thread?.order).toEqual(['k-11']);
    expect(thread?.byKey.get('k-11')?.state).toBe('saved');
  });

  it('Shift+Enter adds a line instead of sending', async () => {
    render(<Composer conversationId="c1" />);
    await userEvent.type(input(), 'line one{Shift>}{Enter}{/Shift}line two');
    expect(input().value).toBe('line one\nline two');
    expect(scripted.callsTo('messages:send')).toHaveLength(0);
    await userEvent.keyboard('{Enter}');
    expect(scripted.callsTo('messages:send')).toEqual([{ conversationId: 'c1', text: 'line one\nline two' }]);
  });

  it('does not send blank text', async () => {
    render(<Composer conversationId="c1" />);
    await userEvent.type(input(), '   {Enter}');
    expect(scripted.callsTo('messages:send')).toHaveLength(0);
    expect((screen.getByRole('button', { name: 'Send' }) as HTMLButtonElement).disabled).toBe(true);
  });

  it('keeps a draft per conversation', async () => {
    const { rerender } = render(<Composer conversationId="c1" />);
    await userEvent.type(input(), 'for Bob');
    rerender(<Composer conversationId="c2" />);
    expect(input().value).toBe('');
    await userEvent.type(input(), 'for the team');
    rerender(<Composer conversationId="c1" />);
    expect(input().value).toBe('for Bob');
    expect(useAppStore.getState().drafts).toEqual({ c1: 'for Bob', c2: 'for the team' });
  });

  it('shows the size against the 64 KB limit before sending, and refuses more', async () => {
    render(<Composer conversationId="c1" />);
    act(() => useAppStore.getState().setDraft('c1', 'é'.repeat(20_000)));
    expect(screen.getByTestId('composer-size').textContent).toBe('39 KB of 64 KB');

    act(() => useAppStore.getState().setDraft('c1', 'x'.repeat(MAX_MESSAGE_BYTES + 1)));
    expect(screen.getByTestId('composer-size').textContent).toContain('Too large to send');
    expect(input().getAttribute('aria-invalid')).toBe('true');
    expect((screen.getByRole('button', { name: 'Send' }) as HTMLButtonElement).disabled).toBe(true);
    input().focus();
    await userEvent.keyboard('{Enter}');
    expect(scripted.callsTo('messages:send')).toHaveLength(0);
  });

  it('puts the text back and explains when the core refuses it', async () => {
    scripted.answer('messages:send', () => ({ ok: false, error: errorData('STORAGE_FULL', 'The disk is full.') }));
    render(
      <>
        <Composer conversationId="c1" />
        <Toaster />
      </>,
    );
    await userEvent.type(input(), 'precious words{Enter}');
    expect(input().value).toBe('precious words');
    expect(screen.getByTestId('toast').getAttribute('data-code')).toBe('STORAGE_FULL');
  });

  it('a core without messages:send yet says so, and the draft survives', async () => {
    scripted.answer('messages:send', () => ({ ok: false, error: errorData('NOT_IMPLEMENTED', 'messages:send is not available yet.') }));
    render(
      <>
        <Composer conversationId="c1" />
        <Toaster />
      </>,
    );
    await userEvent.type(input(), 'hi{Enter}');
    expect(screen.getByTestId('toast').textContent).toContain('not available yet');
    expect(input().value).toBe('hi');
  });
});
