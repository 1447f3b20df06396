import type { ConversationSummary } from '../../../../shared/contract';
import { conversationTitle } from '../../store/conversations';

/** Case and accents do not matter: "zoe" finds "Zoë". */
function fold(text: string): string {
  return text.normalize('NFD').replace(/\p{M}/gu, '').toLocaleLowerCase();
}

/** Lower is better; null when the name does not contain the query. */
function score(name: string, query: string): number | null {
  const at = name.indexOf(query);
  if (at < 0) return null;
  if (name === query) return 0;
  if (at === 0) return 1;
  // The start of a later word ("team" in "Design team").
  if (new RegExp(`(^|[^\\p{L}\\p{N}])${query.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`, 'u').test(name)) return 2;
  return 3;
}

/**
 * The conversations whose name contains every word of the query, best match first (whole name,
 * then start of the name, start of a word, anywhere); ties keep the order given (the list's,
 * newest first). An empty query keeps them all.
 */
export function rankConversations(conversations: readonly ConversationSummary[], query: string): ConversationSummary[] {
  const words = fold(query).split(/\s+/).filter((word) => word !== '');
  if (words.length === 0) return [...conversations];
  const whole = words.join(' ');
  const ranked: Array<{ conversation: ConversationSummary; score: number; index: number }> = [];
  conversations.forEach((conversation, index) => {
    const name = fold(conversationTitle(conversation));
    const scores = words.map((word) => score(name, word));
    if (scores.some((s) => s === null)) return;
    const best = score(name, whole) ?? 4;
    ranked.push({ conversation, score: best, index });
  });
  return ranked.sort((a, b) => a.score - b.score || a.index - b.index).map((r) => r.conversation);
}
