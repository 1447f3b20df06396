import { act, fireEvent, render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { SearchHit, SearchIndexStatus } from '../../src/shared/search';
import { SearchButton, SearchPanel } from '../../src/renderer/src/features/search/SearchPanel';
import { useAppStore } from '../../src/renderer/src/store';
import { message, ok, setUp, tearDown, type ScriptedApi } from './support';

let scripted: ScriptedApi;
const DONE: SearchIndexStatus = { indexed: 10, total: 10, done: true };

function hit(key: string, conversationId: string, parts: Array<[string, boolean]>): SearchHit {
  return { key, conversationId, senderId: 'bob', isOwn: false, seq: 3, composedAt: Date.UTC(2026, 10, 28, 9, 0), snippet: parts.map(([text, isHit]) => ({ text, hit: isHit })) };
}

beforeEach(() => {
  scripted = setUp();
  scripted.answer('search:status', () => ok(DONE));
  useAppStore.getState().setConversations([
    { id: 'c1', type: 'direct', name: 'Bob', lastMessage: null, unreadCount: 0, pendingCount: 0, lastSeq: 3 },
    { id: 'c2', type: 'group', name: 'Team', lastMessage: null, unreadCount: 0, pendingCount: 0, lastSeq: 9 },
  ]);
});
afterEach(tearDown);

describe('search panel', () => {
  it('Ctrl+F opens it with the query focused; Escape closes it', async () => {
    render(
      <>
        <SearchButton />
        <SearchPanel />
      </>,
    );
    expect(screen.queryByTestId('search-panel')).toBeNull();
    fireEvent.keyDown(window, { key: 'f', ctrlKey: true });
    expect(await screen.findByTestId('search-panel')).toBeTruthy();
    expect(document.activeElement).toBe(screen.getByTestId('search-input'));
    fireEvent.keyDown(window, { key: 'Escape' });
    expect(screen.queryByTestId('search-panel')).toBeNull();
    await userEvent.click(screen.getByTestId('search-button'));
    expect(screen.getByTestId('search-panel')).toBeTruthy();
  });

  it('shows the matches with the matched words highlighted, across conversations or in the open one', async () => {
    scripted.answer('search:messages', (req) =>
      ok({
        hits: req.conversationId ? [hit('k1', 'c1', [['see you at ', false], ['noon', true]])] : [hit('k1', 'c1', [['see you at ', false], ['noon', true]]), hit('k2', 'c2', [['noon', true], [' standup', false]])],
        hasMore: false,
        index: DONE,
      }),
    );
    useAppStore.getState().selectConversation('c1');
    useAppStore.getState().setSearchOpen(true);
    render(<SearchPanel />);
    await userEvent.type(screen.getByTestId('search-input'), 'noo');
    await vi.waitFor(() => expect(screen.getAllByTestId('search-hit')).toHaveLength(2));
    const first = screen.getAllByTestId('search-hit')[0] as HTMLElement;
    expect(within(first).getByText('noon').tagName).toBe('MARK');
    expect(first.textContent).toContain('Bob');
    expect(screen.getAllByTestId('search-hit')[1]?.textContent).toContain('Team');
    expect(scripted.callsTo('search:messages').at(-1)).toEqual({ query: 'noo', conversationId: null, order: 'best' });
    await userEvent.click(screen.getByTestId('search-scope'));
    await vi.waitFor(() => expect(screen.getAllByTestId('search-hit')).toHaveLength(1));
    expect(scripted.callsTo('search:messages').at(-1)).toEqual({ query: 'noo', conversationId: 'c1', order: 'best' });
    await userEvent.selectOptions(screen.getByTestId('search-order'), 'newest');
    await vi.waitFor(() => expect(scripted.callsTo('search:messages').at(-1)).toEqual({ query: 'noo', conversationId: 'c1', order: 'newest' }));
  });

  it('says when nothing matches, and while older messages are still being indexed', async () => {
    scripted.answer('search:status', () => ok({ indexed: 400, total: 1000, done: false }));
    scripted.answer('search:messages', () => ok({ hits: [], hasMore: false, index: { indexed: 400, total: 1000, done: false } }));
    useAppStore.getState().setSearchOpen(true);
    render(<SearchPanel />);
    expect(await screen.findByTestId('search-indexing')).toBeTruthy();
    expect(screen.getByRole('progressbar').getAttribute('value')).toBe('400');
    await userEvent.type(screen.getByTestId('search-input'), 'zebra');
    expect(await screen.findByTestId('search-empty')).toBeTruthy();
    // The core's progress events move the bar; the last one removes it.
    act(() => scripted.emit('search:progress', { indexed: 1000, total: 1000, done: true }));
    expect(screen.queryByTestId('search-indexing')).toBeNull();
  });

  it('picking a result opens its conversation around it, marks it as the jump target and closes the panel', async () => {
    scripted.answer('search:messages', () => ok({ hits: [hit('k7', 'c2', [['noon', true]])], hasMore: false, index: DONE }));
    scripted.answer('messages:around', () =>
      ok({
        messages: [message({ key: 'k6', conversationId: 'c2', seq: 6, state: 'sent' }), message({ key: 'k7', conversationId: 'c2', seq: 7, state: 'sent', isOwn: false })],
        olderCursor: 'older',
        newerCursor: 'newer',
        reachesNewest: false,
      }),
    );
    useAppStore.getState().setSearchOpen(true);
    render(<SearchPanel />);
    await userEvent.type(screen.getByTestId('search-input'), 'noon');
    await userEvent.click(await screen.findByTestId('search-hit'));
    await vi.waitFor(() => expect(useAppStore.getState().isSearchOpen).toBe(false));
    expect(scripted.callsTo('messages:around')).toEqual([{ conversationId: 'c2', key: 'k7' }]);
    const state = useAppStore.getState();
    expect(state.selectedConversationId).toBe('c2');
    expect(state.jumpTarget).toMatchObject({ conversationId: 'c2', key: 'k7' });
    expect(state.threads['c2']?.order).toEqual(['k6', 'k7']);
    expect(state.threads['c2']?.olderCursor).toBe('older');
    expect(state.threads['c2']?.newerCursor).toBe('newer');
    expect(state.threads['c2']?.hasLoadedFirstPage).toBe(true);
  });
});
