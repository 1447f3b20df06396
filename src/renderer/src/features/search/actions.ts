/**
 * Search's calls to the core: the query (answered from the local cache, so offline too) and the
 * jump to a result, which opens its conversation at the stretch around it.
 */
import type { SearchResult } from '../../../../shared/search';
import { notifyError } from '../../actions';
import { getApi } from '../../api';
import { useAppStore } from '../../store';

const store = useAppStore.getState;

export type SearchOrder = 'best' | 'newest';

export async function runSearch(query: string, conversationId: string | null, order: SearchOrder = 'best'): Promise<SearchResult | null> {
  const result = await getApi().searchMessages({ query, conversationId, order });
  if (!result.ok) {
    notifyError(result.error);
    return null;
  }
  store().setSearchIndex(result.value.index);
  return result.value;
}

export async function loadSearchStatus(): Promise<void> {
  const result = await getApi().searchStatus({});
  if (result.ok) store().setSearchIndex(result.value);
}

export async function jumpToMessage(conversationId: string, key: string): Promise<boolean> {
  const result = await getApi().messagesAround({ conversationId, key });
  if (!result.ok) {
    notifyError(result.error);
    return false;
  }
  const s = store();
  if (s.selectedConversationId !== conversationId) {
    s.setTimelineKey(null);
    s.selectConversation(conversationId);
  }
  s.applyAroundPage(conversationId, result.value);
  s.setJumpTarget({ conversationId, key, at: Date.now() });
  return true;
}
