import type { ConversationSummary } from './contract';

/** A direct conversation may come without a name (the server names groups only). */
export function conversationTitle(conversation: Pick<ConversationSummary, 'name' | 'type'> | undefined): string {
  if (conversation?.name) return conversation.name;
  return conversation?.type === 'group' ? 'Group conversation' : 'Direct conversation';
}
