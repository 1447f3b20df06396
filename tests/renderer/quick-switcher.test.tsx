import { act, render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ConversationSummary } from '../../src/shared/contract';
import { ConversationList } from '../../src/renderer/src/features/conversation-list/ConversationList';
import { ConversationKeys, neighbour } from '../../src/renderer/src/features/quick-switcher/QuickSwitcher';
import { rankConversations } from '../../src/renderer/src/features/quick-switcher/rank';
import { useAppStore } from '../../src/renderer/src/store';
import { ok, setUp, signedIn, tearDown, type ScriptedApi } from './support';

function conversation(id: string, name: string, at: number): ConversationSummary {
  return {
    id,
    type: 'group',
    name,
    lastMessage: { preview: 'hi', at, isOwn: false, senderId: 'x' },
    unreadCount: 0,
    pendingCount: 0,
    lastSeq: 1,
  };
}

const LIST = [
  conversation('c-design', 'Design team', 400),
  conversation('c-team', 'Team', 300),
  conversation('c-zoe', 'Zoë', 200),
  conversation('c-ops', 'Ops', 100),
];

let scripted: ScriptedApi;
beforeEach(() => {
  scripted = setUp();
  scripted.answer('messages:list', () => ok({ messages: [], olderCursor: null }));
  scripted.answer('conversations:view', () => ok(null));
  act(() => {
    scripted.emit('auth:changed', signedIn());
    useAppStore.getState().setConversations(LIST);
  });
});
afterEach(tearDown);

const selected = (): string | null => useAppStore.getState().selectedConversationId;
const names = (): string[] => screen.queryAllByRole('option').map((option) => option.textContent ?? '');

describe('ranking', () => {
  it('whole name, then start of the name, then start of a word, then anywhere; case and accents ignored', () => {
    const order = (query: string): string[] => rankConversations(LIST, query).map((c) => c.name);
    expect(order('team')).toEqual(['Team', 'Design team']);
    expect(order('zoe')).toEqual(['Zoë']);
    expect(order('ps')).toEqual(['Ops']);
    expect(order('design TEAM')).toEqual(['Design team']);
    expect(order('  ')).toEqual(LIST.map((c) => c.name));
    expect(order('nobody')).toEqual([]);
    expect(order('(')).toEqual([]);
  });

  it('steps through the list and stops at its ends', () => {
    expect(neighbour(['a', 'b', 'c'], 'b', 1)).toBe('c');
    expect(neighbour(['a', 'b', 'c'], 'c', 1)).toBe('c');
    expect(neighbour(['a', 'b', 'c'], 'a', -1)).toBe('a');
    expect(neighbour(['a', 'b', 'c'], null, 1)).toBe('a');
    expect(neighbour(['a', 'b', 'c'], null, -1)).toBe('c');
    expect(neighbour([], null, 1)).toBeNull();
  });
});

describe('the quick switcher', () => {
  it('Ctrl+K opens it focused; typing filters; arrows choose; Enter opens the conversation', async () => {
    render(
      <>
        <ConversationList />
        <ConversationKeys />
      </>,
    );
    await userEvent.keyboard('{Control>}k{/Control}');
    const dialog = screen.getByRole('dialog', { name: 'Go to conversation' });
    const input = screen.getByRole('combobox', { name: 'Conversation name' });
    expect(document.activeElement).toBe(input);
    expect(dialog.getAttribute('aria-modal')).toBe('true');
    expect(names()).toEqual(['Design team', 'Team', 'Zoë', 'Ops']);

    await userEvent.type(input, 'team');
    expect(names()).toEqual(['Team', 'Design team']);
    expect(screen.getByRole('option', { name: 'Team' }).getAttribute('aria-selected')).toBe('true');
    expect(input.getAttribute('aria-activedescendant')).toBe(screen.getByRole('option', { name: 'Team' }).id);
    await userEvent.keyboard('{ArrowDown}');
    expect(screen.getByRole('option', { name: 'Design team' }).getAttribute('aria-selected')).toBe('true');
    await userEvent.keyboard('{ArrowDown}');
    expect(screen.getByRole('option', { name: 'Team' }).getAttribute('aria-selected')).toBe('true');
    await userEvent.keyboard('{ArrowUp}{Enter}');
    expect(screen.queryByRole('dialog')).toBeNull();
    expect(selected()).toBe('c-design');
    expect(scripted.callsTo('messages:list')).toEqual([{ conversationId: 'c-design', limit: 100 }]);
  });

  it('says when nothing matches, and Enter then does nothing', async () => {
    render(<ConversationKeys />);
    await userEvent.keyboard('{Control>}k{/Control}');
    await userEvent.keyboard('xyz{Enter}');
    expect(names()).toEqual([]);
    expect(screen.getByTestId('quick-switcher-status').textContent).toBe('No conversation matches.');
    expect(screen.getByRole('dialog')).toBeTruthy();
    expect(selected()).toBeNull();
  });

  it('Escape closes it and gives the focus back to where it was; Ctrl+K again also closes it', async () => {
    render(
      <>
        <ConversationList />
        <ConversationKeys />
      </>,
    );
    const ops = screen.getByRole('button', { name: /Ops/ });
    ops.focus();
    await userEvent.keyboard('{Control>}k{/Control}');
    expect(screen.getByRole('dialog')).toBeTruthy();
    await userEvent.keyboard('{Escape}');
    expect(screen.queryByRole('dialog')).toBeNull();
    expect(document.activeElement).toBe(ops);
    await userEvent.keyboard('{Control>}k{/Control}');
    await userEvent.keyboard('{Control>}k{/Control}');
    expect(screen.queryByRole('dialog')).toBeNull();
    expect(selected()).toBeNull();
  });

  it('a click on a name opens it', async () => {
    render(<ConversationKeys />);
    await userEvent.keyboard('{Control>}k{/Control}');
    await userEvent.click(screen.getByRole('option', { name: 'Zoë' }));
    expect(selected()).toBe('c-zoe');
    expect(screen.queryByRole('dialog')).toBeNull();
  });
});

describe('Alt+↑/↓', () => {
  it('work from a focused conversation in the list too (plain arrows there only move the focus)', async () => {
    render(
      <>
        <ConversationList />
        <ConversationKeys />
      </>,
    );
    const first = screen.getByRole('button', { name: /Design team/ });
    first.focus();
    await userEvent.keyboard('{ArrowDown}');
    expect(document.activeElement).toBe(screen.getByRole('button', { name: /^Team/ }));
    expect(selected()).toBeNull();
    await userEvent.keyboard('{Alt>}{ArrowDown}{/Alt}');
    expect(selected()).toBe('c-design');
  });

  it('open the next and previous conversation in list order, also from the composer, and stop at the ends', async () => {
    render(
      <>
        <textarea aria-label="Message" />
        <ConversationKeys />
      </>,
    );
    screen.getByRole('textbox', { name: 'Message' }).focus();
    await userEvent.keyboard('{Alt>}{ArrowDown}{/Alt}');
    expect(selected()).toBe('c-design');
    await userEvent.keyboard('{Alt>}{ArrowDown}{ArrowDown}{/Alt}');
    expect(selected()).toBe('c-zoe');
    await userEvent.keyboard('{Alt>}{ArrowUp}{/Alt}');
    expect(selected()).toBe('c-team');
    await userEvent.keyboard('{Alt>}{ArrowUp}{ArrowUp}{ArrowUp}{/Alt}');
    expect(selected()).toBe('c-design');
  });
});
