import { useEffect, useState } from 'react';
import type { ConversationSummary } from '../../../../shared/contract';
import { useAppStore } from '../../store';
import { conversationTitle } from '../../store/conversations';

/** What a screen reader keeps: the latest few lines, so a burst does not pile up. */
const KEEP = 3;

/**
 * The sentences to announce when the conversation list changes from `previous` to `next`: one
 * per conversation whose newest message is new and from someone else. A conversation seen for
 * the first time (the list loading) announces nothing; muted ones only while open.
 */
export function announcementsFor(
  previous: Readonly<Record<string, ConversationSummary>>,
  next: Readonly<Record<string, ConversationSummary>>,
  openId: string | null,
  mutedIds: readonly string[],
): string[] {
  const lines: string[] = [];
  for (const conversation of Object.values(next)) {
    const before = previous[conversation.id];
    const last = conversation.lastMessage;
    if (!before || !last || last.isOwn) continue;
    if (before.lastMessage && before.lastMessage.at >= last.at) continue;
    const isOpen = conversation.id === openId;
    if (!isOpen && mutedIds.includes(conversation.id)) continue;
    const title = conversationTitle(conversation);
    lines.push(isOpen ? `New message in ${title}: ${last.preview}` : `New message in ${title}`);
  }
  return lines;
}

/**
 * Tells screen readers about new messages: the thread itself is virtualised (rows come and go as
 * it scrolls), so it is not a live region; this one says each new arrival once.
 */
export function Announcer(): React.JSX.Element {
  const [lines, setLines] = useState<ReadonlyArray<{ id: number; text: string }>>([]);
  useEffect(() => {
    let counter = 0;
    return useAppStore.subscribe((state, previous) => {
      if (state.conversations === previous.conversations) return;
      const added = announcementsFor(
        previous.conversations,
        state.conversations,
        state.selectedConversationId,
        state.preferences?.notifications.mutedConversationIds ?? [],
      );
      if (added.length === 0) return;
      setLines((current) => [...current, ...added.map((text) => ({ id: (counter += 1), text }))].slice(-KEEP));
    });
  }, []);
  return (
    <div className="sr-only" role="log" aria-live="polite" aria-label="New messages" data-testid="announcer">
      {lines.map((line) => (
        <p key={line.id}>{line.text}</p>
      ))}
    </div>
  );
}
