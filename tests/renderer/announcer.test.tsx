import { act, render, screen } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ConversationSummary } from '../../src/shared/contract';
import { DEFAULT_PREFERENCES } from '../../src/shared/preferences';
import { Announcer, announcementsFor } from '../../src/renderer/src/features/announcer/Announcer';
import { useAppStore } from '../../src/renderer/src/store';
import { setUp, tearDown, type ScriptedApi } from './support';

function summary(id: string, name: string, last: { at: number; isOwn?: boolean; preview?: string } | null): ConversationSummary {
  return {
    id,
    type: 'group',
    name,
    lastMessage: last ? { at: last.at, isOwn: last.isOwn ?? false, preview: last.preview ?? `at ${last.at}`, senderId: 'bob' } : null,
    unreadCount: 0,
    pendingCount: 0,
    lastSeq: 0,
  };
}

const byId = (...list: ConversationSummary[]): Record<string, ConversationSummary> => Object.fromEntries(list.map((c) => [c.id, c]));

let scripted: ScriptedApi;
beforeEach(() => {
  scripted = setUp();
});
afterEach(tearDown);

describe('new-message announcements', () => {
  it('one line per conversation with a newer message from someone else; the open one says what, others only where', () => {
    const before = byId(summary('a', 'Team', { at: 1 }), summary('b', 'Ops', { at: 1 }), summary('c', 'Mine', { at: 1 }));
    const after = byId(
      summary('a', 'Team', { at: 2, preview: 'lunch?' }),
      summary('b', 'Ops', { at: 2, preview: 'secret' }),
      summary('c', 'Mine', { at: 2, isOwn: true }),
      summary('d', 'New group', { at: 5 }),
    );
    expect(announcementsFor(before, after, 'a', [])).toEqual(['New message in Team: lunch?', 'New message in Ops']);
    expect(announcementsFor(before, after, 'a', ['b'])).toEqual(['New message in Team: lunch?']);
    expect(announcementsFor(before, after, 'b', ['b'])).toEqual(['New message in Team', 'New message in Ops: secret']);
    // Nothing newer (a re-sent list, a read marker moving): nothing said.
    expect(announcementsFor(after, after, 'a', [])).toEqual([]);
  });

  it('speaks through a polite log that keeps the latest three lines, and says nothing when the list first loads', () => {
    render(<Announcer />);
    const log = screen.getByRole('log', { name: 'New messages' });
    expect(log.getAttribute('aria-live')).toBe('polite');
    act(() => useAppStore.getState().setConversations([summary('a', 'Team', { at: 1 })]));
    expect(log.textContent).toBe('');
    act(() => {
      scripted.emit('preferences:changed', DEFAULT_PREFERENCES);
      useAppStore.setState({ selectedConversationId: 'a' });
    });
    for (let at = 2; at <= 6; at += 1) {
      act(() => useAppStore.getState().upsertConversations([summary('a', 'Team', { at })]));
    }
    expect([...log.querySelectorAll('p')].map((p) => p.textContent)).toEqual(['New message in Team: at 4', 'New message in Team: at 5', 'New message in Team: at 6']);
  });
});
