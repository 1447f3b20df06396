import { act, render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ConversationSummary } from '../../src/shared/contract';
import { App } from '../../src/renderer/src/App';
import { ConversationList } from '../../src/renderer/src/features/conversation-list/ConversationList';
import { NewConversationDialog } from '../../src/renderer/src/features/people/NewConversation';
import { typingText } from '../../src/renderer/src/features/people/Typing';
import { Thread } from '../../src/renderer/src/features/thread/Thread';
import { MessageRow } from '../../src/renderer/src/features/thread/MessageRow';
import { useAppStore } from '../../src/renderer/src/store';
import { errorData, message, ok, setUp, signedIn, tearDown, type ScriptedApi } from './support';

let scripted: ScriptedApi;
beforeEach(() => {
  scripted = setUp();
});
afterEach(tearDown);

const BOB = { userId: 'bob', displayName: 'Bob Chen', lastReadSeq: 0 };
const CAROL = { userId: 'carol', displayName: 'Carol Diaz', lastReadSeq: 0 };
const ME = { userId: 'me', displayName: 'Alice Martin', lastReadSeq: 0 };

function conversation(overrides: Partial<ConversationSummary> & Pick<ConversationSummary, 'id'>): ConversationSummary {
  return {
    type: 'direct',
    name: 'Bob Chen',
    lastMessage: null,
    unreadCount: 0,
    pendingCount: 0,
    lastSeq: 0,
    members: [ME, BOB],
    memberCount: 2,
    readSeq: 0,
    creation: null,
    ...overrides,
  };
}

function emitConversations(list: ConversationSummary[]): void {
  act(() => scripted.emit('conversations:changed', { conversations: list }));
}

describe('names and people in the list', () => {
  it('a direct conversation shows the other person with initials; a group its name and member count', () => {
    emitConversations([
      conversation({ id: 'd1' }),
      conversation({ id: 'g1', type: 'group', name: 'Team', members: [ME, BOB, CAROL], memberCount: 3 }),
      conversation({ id: 'p1', type: 'group', name: 'Lunch', creation: 'pending', memberCount: 3 }),
    ]);
    render(<ConversationList />);
    const rows = screen.getAllByTestId('conversation');
    const direct = rows.find((r) => r.textContent?.includes('Bob Chen')) as HTMLElement;
    expect(within(direct).getByTestId('avatar').textContent).toBe('BC');
    expect(within(direct).queryByTestId('member-count')).toBeNull();
    const team = rows.find((r) => r.textContent?.includes('Team')) as HTMLElement;
    expect(within(team).getByTestId('member-count').textContent).toBe('3 members');
    expect(within(team).getByTestId('avatar').textContent).toBe('T');
    const pending = rows.find((r) => r.textContent?.includes('Lunch')) as HTMLElement;
    expect(pending.textContent).toContain('Will be created when the connection returns');
  });
});

describe('new conversation', () => {
  it('Ctrl+N opens it; a person found by search starts a direct chat and the thread opens', async () => {
    act(() => scripted.emit('auth:changed', signedIn()));
    scripted.answer('conversations:list', () => ok([conversation({ id: 'd-dave', name: 'Dave Okafor', members: [ME, { userId: 'dave', displayName: 'Dave Okafor', lastReadSeq: 0 }] })]));
    scripted.answer('messages:list', () => ok({ messages: [], olderCursor: null }));
    scripted.answer('people:search', (req) =>
      ok({ people: req.query === 'dav' ? [{ id: 'dave', displayName: 'Dave Okafor', username: 'dave', email: 'dave@nova.local' }] : [], hasMore: false }),
    );
    scripted.answer('conversations:create', () => ok({ conversationId: 'd-dave' }));
    render(<App />);
    await userEvent.keyboard('{Control>}n{/Control}');
    await screen.findByRole('dialog', { name: 'New conversation' });
    await userEvent.keyboard('{Escape}');
    expect(screen.queryByRole('dialog')).toBeNull();
    expect(document.activeElement).toBe(screen.getByTestId('new-conversation-button'));
    await userEvent.keyboard('{Control>}n{/Control}');
    const dialog = await screen.findByRole('dialog', { name: 'New conversation' });
    await userEvent.type(within(dialog).getByTestId('people-search'), 'dav');
    const dave = await within(dialog).findByRole('button', { name: /Dave Okafor/ });
    expect(scripted.callsTo('people:search')).toEqual([{ query: 'dav' }]);
    await userEvent.click(dave);
    await vi.waitFor(() => expect(useAppStore.getState().selectedConversationId).toBe('d-dave'));
    expect(scripted.callsTo('conversations:create')).toEqual([
      { type: 'direct', person: { id: 'dave', displayName: 'Dave Okafor', username: 'dave', email: 'dave@nova.local' } },
    ]);
    expect(screen.queryByRole('dialog')).toBeNull();
    expect(screen.getByTestId('thread-title').textContent).toBe('Dave Okafor');
  });

  it('offline, search says so by code and offers the people known here; a group takes a name and people', async () => {
    emitConversations([conversation({ id: 'g1', type: 'group', name: 'Team', members: [ME, BOB, CAROL], memberCount: 3 })]);
    act(() => scripted.emit('auth:changed', signedIn()));
    act(() => useAppStore.getState().setNewConversationOpen(true));
    scripted.answer('people:search', () => ({ ok: false, error: errorData('OFFLINE', 'Finding people needs the connection.') }));
    scripted.answer('conversations:create', () => ok({ conversationId: 'local:1' }));
    scripted.answer('conversations:list', () => ok([]));
    scripted.answer('messages:list', () => ok({ messages: [], olderCursor: null }));
    render(<NewConversationDialog />);
    const dialog = screen.getByRole('dialog');
    await userEvent.click(within(dialog).getByRole('radio', { name: 'Group' }));
    await userEvent.type(within(dialog).getByTestId('group-name'), 'Lunch');
    await userEvent.type(within(dialog).getByTestId('people-search'), 'c');
    await vi.waitFor(() => expect(within(dialog).getByTestId('people-status').getAttribute('data-code')).toBe('OFFLINE'));
    await userEvent.click(within(dialog).getByRole('button', { name: /Carol Diaz/ }));
    await userEvent.clear(within(dialog).getByTestId('people-search'));
    await userEvent.click(within(dialog).getByRole('button', { name: /Bob Chen/ }));
    const carol = within(dialog).getAllByTestId('person').find((b) => b.textContent?.includes('Carol Diaz'));
    expect(carol?.getAttribute('aria-pressed')).toBe('true');
    expect(within(dialog).getByRole('button', { name: 'Remove Carol Diaz' })).toBeTruthy();
    await userEvent.click(within(dialog).getByTestId('create-group'));
    expect(scripted.callsTo('conversations:create')).toEqual([
      {
        type: 'group',
        name: 'Lunch',
        people: [
          { id: 'carol', displayName: 'Carol Diaz', username: '', email: null },
          { id: 'bob', displayName: 'Bob Chen', username: '', email: null },
        ],
      },
    ]);
    await vi.waitFor(() => expect(useAppStore.getState().selectedConversationId).toBe('local:1'));
    // Created on the server later: the open thread follows it to its id.
    scripted.answer('messages:list', () => ok({ messages: [], olderCursor: null }));
    act(() => scripted.emit('conversations:resolved', { localId: 'local:1', conversationId: 'g-new' }));
    await vi.waitFor(() => expect(useAppStore.getState().selectedConversationId).toBe('g-new'));
  });
});

describe('typing and read state in the thread', () => {
  it('shows who types, by first name, and clears it', () => {
    emitConversations([conversation({ id: 'd1' })]);
    useAppStore.getState().ensureThread('d1');
    render(<Thread conversationId="d1" />);
    act(() => scripted.emit('typing:changed', { conversationId: 'd1', userIds: ['bob'] }));
    expect(screen.getByTestId('typing-indicator').textContent).toBe('Bob is typing…');
    act(() => scripted.emit('typing:changed', { conversationId: 'd1', userIds: [] }));
    expect(screen.getByTestId('typing-indicator').textContent).toBe('');
    expect(typingText(['Bob', 'Carol'])).toBe('Bob and Carol are typing…');
    expect(typingText(['A', 'B', 'C'])).toBe('3 people are typing…');
  });

  it('"Seen" in a direct conversation once the other read that far; "Seen by N" in a group', async () => {
    emitConversations([conversation({ id: 'c1', members: [ME, { ...BOB, lastReadSeq: 4 }] })]);
    useAppStore.getState().ensureThread('c1');
    act(() => scripted.emit('messages:changed', { messages: [message({ key: 'k4', seq: 4, state: 'sent' }), message({ key: 'k5', seq: 5, state: 'sent' })] }));
    await vi.waitFor(() => expect(useAppStore.getState().threads['c1']?.byKey.size).toBe(2));
    const { rerender } = render(
      <>
        <MessageRow conversationId="c1" messageKey="k4" />
        <MessageRow conversationId="c1" messageKey="k5" />
      </>,
    );
    const [seen, unseen] = screen.getAllByTestId('message-status');
    expect(seen?.textContent).toContain('Seen');
    expect(unseen?.textContent).toContain('Sent');
    emitConversations([conversation({ id: 'c1', type: 'group', name: 'Team', members: [ME, { ...BOB, lastReadSeq: 5 }, { ...CAROL, lastReadSeq: 5 }] })]);
    rerender(<MessageRow conversationId="c1" messageKey="k5" />);
    expect(screen.getByTestId('message-status').textContent).toContain('Seen by 2');
  });

  it('"New messages" above the first unread message when the conversation opens, and sender names in groups', async () => {
    emitConversations([conversation({ id: 'c1', type: 'group', name: 'Team', members: [ME, BOB, CAROL], readSeq: 1, unreadCount: 2 })]);
    scripted.answer('messages:list', () =>
      ok({
        messages: [
          message({ key: 'm1', seq: 1, state: 'sent', isOwn: false, senderId: 'bob' }),
          message({ key: 'm2', seq: 2, state: 'sent', isOwn: false, senderId: 'carol' }),
          message({ key: 'm3', seq: 3, state: 'sent', isOwn: false, senderId: 'bob' }),
        ],
        olderCursor: null,
      }),
    );
    scripted.answer('messages:markRead', () => ok(null));
    const { openConversation } = await import('../../src/renderer/src/actions');
    await act(() => openConversation('c1'));
    expect(useAppStore.getState().unreadDivider['c1']).toBe('m2');
    render(
      <>
        <MessageRow conversationId="c1" messageKey="m1" />
        <MessageRow conversationId="c1" messageKey="m2" />
      </>,
    );
    const rows = screen.getAllByTestId('message');
    expect(within(rows[0] as HTMLElement).queryByTestId('unread-divider')).toBeNull();
    expect(within(rows[1] as HTMLElement).getByTestId('unread-divider').textContent).toBe('New messages');
    expect(rows[1]?.textContent).toContain('Carol Diaz');
    expect(scripted.callsTo('messages:markRead')).toEqual([{ conversationId: 'c1' }]);
  });
});

describe('a conversation the server did not create', () => {
  it('says so in the thread and "Try again" asks the core again; the thread follows the new id', async () => {
    emitConversations([conversation({ id: 'local:9', type: 'group', name: 'Refused', creation: 'failed' })]);
    act(() => useAppStore.getState().selectConversation('local:9'));
    useAppStore.getState().ensureThread('local:9');
    scripted.answer('conversations:retryCreation', () => ok({ conversationId: 'g-9' }));
    scripted.answer('messages:list', () => ok({ messages: [], olderCursor: null }));
    render(<Thread conversationId="local:9" />);
    expect(screen.getByTestId('creation-note').getAttribute('data-creation')).toBe('failed');
    await userEvent.click(screen.getByRole('button', { name: 'Try again' }));
    expect(scripted.callsTo('conversations:retryCreation')).toEqual([{ conversationId: 'local:9' }]);
    await vi.waitFor(() => expect(useAppStore.getState().selectedConversationId).toBe('g-9'));
  });

  it('Discard asks first; confirmed, the conversation leaves the window and its unsent text and draft stay to copy', async () => {
    emitConversations([conversation({ id: 'local:8', type: 'group', name: 'Refused', creation: 'failed', pendingCount: 1 })]);
    act(() => {
      useAppStore.getState().selectConversation('local:8');
      useAppStore.getState().setDraft('local:8', 'half a thought');
    });
    useAppStore.getState().ensureThread('local:8');
    scripted.answer('conversations:discardCreation', () => ok({ messages: [{ key: 'k1', text: 'queued words', composedAt: 1 }] }));
    scripted.answer('messages:list', () => ok({ messages: [], olderCursor: null }));
    render(<Thread conversationId="local:8" />);
    await userEvent.click(screen.getByTestId('discard-creation'));
    expect(scripted.callsTo('conversations:discardCreation')).toEqual([]);
    await userEvent.click(screen.getByRole('button', { name: 'Discard' }));
    expect(scripted.callsTo('conversations:discardCreation')).toEqual([{ conversationId: 'local:8' }]);
    await vi.waitFor(() => expect(useAppStore.getState().selectedConversationId).toBeNull());
    const state = useAppStore.getState();
    expect(state.conversations['local:8']).toBeUndefined();
    expect(state.drafts['local:8']).toBeUndefined();
    expect(state.discarded).toEqual({ name: 'Refused', texts: ['queued words', 'half a thought'] });
  });

  it('a refused Discard leaves everything as it was', async () => {
    emitConversations([conversation({ id: 'local:7', type: 'group', name: 'Refused', creation: 'failed' })]);
    act(() => useAppStore.getState().selectConversation('local:7'));
    useAppStore.getState().ensureThread('local:7');
    scripted.answer('conversations:discardCreation', () => ({ ok: false, error: errorData('CONFLICT') }));
    scripted.answer('messages:list', () => ok({ messages: [], olderCursor: null }));
    render(<Thread conversationId="local:7" />);
    await userEvent.click(screen.getByTestId('discard-creation'));
    await userEvent.click(screen.getByRole('button', { name: 'Discard' }));
    await vi.waitFor(() => expect(useAppStore.getState().toasts.map((t) => t.notification.code)).toContain('CONFLICT'));
    expect(useAppStore.getState().selectedConversationId).toBe('local:7');
    expect(useAppStore.getState().discarded).toBeNull();
  });
});
