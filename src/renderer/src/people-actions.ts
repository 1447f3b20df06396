/**
 * What the user asks of the core about people: find someone, start a conversation, say they are
 * typing. Failures come back to the dialog (it shows them inline) or become toasts.
 */
import type { Req } from '../../shared/contract';
import type { AppErrorData } from '../../shared/errors';
import type { PeopleSearchResult } from '../../shared/people';
import { loadConversations, notifyError, openConversation } from './actions';
import { getApi } from './api';
import { useAppStore } from './store';
import { conversationTitle } from './store/conversations';

const store = useAppStore.getState;

export async function searchPeople(query: string): Promise<{ ok: true; value: PeopleSearchResult } | { ok: false; error: AppErrorData }> {
  return getApi().peopleSearch({ query });
}

/** Opens the conversation (an existing direct one, a new one, or one queued until the connection returns). */
export async function startConversation(req: Req<'conversations:create'>): Promise<AppErrorData | null> {
  const result = await getApi().conversationsCreate(req);
  if (!result.ok) return result.error;
  await loadConversations();
  store().setNewConversationOpen(false);
  await openConversation(result.value.conversationId);
  return null;
}

/** The core paces what it sends; the composer reports every change. A failure is not worth a word: typing is a courtesy. */
export function reportTyping(conversationId: string, isTyping: boolean): void {
  void getApi().conversationsTyping({ conversationId, isTyping });
}

/** A conversation made here now exists on the server: the open thread follows it to its new id. */
export async function conversationResolved(localId: string, conversationId: string): Promise<void> {
  const wasOpen = store().selectedConversationId === localId;
  store().resolveConversation(localId, conversationId);
  if (wasOpen) await openConversation(conversationId);
}

/** Asks the core to create a refused conversation again; the thread follows it if it is created now. */
export async function retryCreation(conversationId: string): Promise<void> {
  const result = await getApi().conversationsRetryCreation({ conversationId });
  if (!result.ok) {
    notifyError(result.error);
    return;
  }
  if (result.value.conversationId !== conversationId) await conversationResolved(conversationId, result.value.conversationId);
}

/**
 * Gives up on a refused conversation: the core removes it and the messages written to it and
 * answers their text, which the window keeps on screen (with the unsent draft) for the user to copy.
 */
export async function discardCreation(conversationId: string): Promise<boolean> {
  const name = conversationTitle(store().conversations[conversationId]);
  const draft = store().drafts[conversationId]?.trim() ?? '';
  const result = await getApi().conversationsDiscardCreation({ conversationId });
  if (!result.ok) {
    notifyError(result.error);
    return false;
  }
  const texts = [...result.value.messages.map((m) => m.text), ...(draft !== '' ? [draft] : [])];
  store().discardConversation(conversationId, { name, texts });
  return true;
}
