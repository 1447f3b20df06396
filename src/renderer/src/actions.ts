/**
 * What the user can ask of the core. Each action calls one channel, puts the answer in the store
 * and turns a failure into a notification (or returns it, where a form shows it inline). Those
 * notifications come from the same policy table as the core's (`shared/notifications.ts`).
 */
import type { MessageView } from '../../shared/contract';
import { describeError, type AppErrorData } from '../../shared/errors';
import { buildNotification } from '../../shared/notifications';
import type { IntentSettled } from '../../shared/own-messages';
import type { PreferencesPatch } from '../../shared/preferences';
import type { IpcResult } from '../../shared/result';
import { getApi } from './api';
import { useAppStore } from './store';
import { firstUnreadKey } from './store/people';

export const PAGE_SIZE = 100;

const store = useAppStore.getState;

type NotifyOptions = Readonly<{ messageKey?: string }>;

/** Turns an IPC failure into a toast: same code, same error id as the log line. */
export function notifyError(error: AppErrorData, options: NotifyOptions = {}): void {
  store().notify(
    buildNotification({
      id: error.id,
      code: error.code,
      case: 'request',
      at: Date.now(),
      // The core's own words for the failure, except a rate limit, which shows the real wait.
      message: error.code === 'RATE_LIMITED' ? describeError(error.code, error.retryAfterMs) : error.message,
      messageKey: options.messageKey ?? null,
    }),
  );
}

function succeeded<T>(result: IpcResult<T>, options?: NotifyOptions): result is { ok: true; value: T } {
  if (!result.ok) notifyError(result.error, options);
  return result.ok;
}

export async function signIn(email: string, password: string): Promise<AppErrorData | null> {
  const result = await getApi().authLogin({ email, password });
  if (!result.ok) return result.error;
  if (result.value.status === 'two_factor_required') {
    store().setSignInStep({ kind: 'two_factor', challengeId: result.value.challengeId, email });
  } else {
    store().setAuth(result.value.auth);
    await Promise.all([loadConversations(), loadOutbox()]);
  }
  return null;
}

export async function verifyTwoFactor(challengeId: string, code: string): Promise<AppErrorData | null> {
  const result = await getApi().authVerify2fa({ challengeId, code });
  if (!result.ok) return result.error;
  store().setAuth(result.value);
  await Promise.all([loadConversations(), loadOutbox()]);
  return null;
}

export function cancelTwoFactor(): void {
  store().setSignInStep({ kind: 'credentials' });
}

export async function signOut(): Promise<void> {
  store().setSigningOut(true);
  const result = await getApi().authLogout({});
  if (!result.ok) {
    store().setSigningOut(false);
    notifyError(result.error);
  }
}

export async function loadConversations(): Promise<void> {
  store().setConversationsStatus('loading');
  const result = await getApi().conversationsList({});
  if (result.ok) store().setConversations(result.value);
  // A core without the channel yet, or a failed read, leaves the list saying so rather than empty.
  else store().setConversationsStatus('unavailable');
}

export async function loadOutbox(): Promise<void> {
  const result = await getApi().outboxList({});
  if (result.ok) store().setOutbox(result.value);
}

export async function openConversation(conversationId: string): Promise<void> {
  store().selectConversation(conversationId);
  store().setTimelineKey(null);
  // A stretch far back (a jump) is not where the conversation opens the next time.
  if ((store().threads[conversationId]?.newerCursor ?? null) !== null) store().dropThread(conversationId);
  store().ensureThread(conversationId);
  const thread = store().threads[conversationId];
  const summary = store().conversations[conversationId];
  // "New messages" marks where the user left off, taken before this visit moves the marker, and
  // set before the page shows, so the thread opens there.
  const readSeq = summary && summary.unreadCount > 0 ? (summary.readSeq ?? null) : null;
  if (!thread?.hasLoadedFirstPage) await loadNewestPage(conversationId, readSeq);
  else store().setUnreadDivider(conversationId, readSeq === null ? null : firstUnreadKey(thread, readSeq));
  if (summary && summary.unreadCount > 0) void getApi().messagesMarkRead({ conversationId });
}

async function loadNewestPage(conversationId: string, unreadAfterSeq: number | null = null): Promise<void> {
  const result = await getApi().messagesList({ conversationId, limit: PAGE_SIZE });
  if (!result.ok) return;
  const page = result.value;
  if (unreadAfterSeq !== null) {
    // The page holds the first unread message only when it reaches back to a read one (or to the
    // start); otherwise the thread opens at the stretch around it and pages on both ways.
    const reachesRead = page.olderCursor === null || page.messages.some((m) => m.seq !== null && m.seq <= unreadAfterSeq);
    if (!reachesRead && (await openAtFirstUnread(conversationId, unreadAfterSeq))) return;
    const first = page.messages.find((m) => !m.isOwn && m.seq !== null && m.seq > unreadAfterSeq);
    store().setUnreadDivider(conversationId, first?.key ?? null);
  }
  store().applyPage(conversationId, page, true);
}

async function openAtFirstUnread(conversationId: string, afterSeq: number): Promise<boolean> {
  const result = await getApi().messagesUnread({ conversationId, afterSeq });
  if (!result.ok || result.value.firstUnreadKey === null) return false;
  store().setUnreadDivider(conversationId, result.value.firstUnreadKey);
  store().applyAroundPage(conversationId, result.value);
  return true;
}

/** The next newer page of a stretch far back, until the thread meets the newest message. */
export async function loadNewer(conversationId: string): Promise<void> {
  const thread = store().threads[conversationId];
  const cursor = thread?.newerCursor ?? null;
  if (!thread || thread.isLoadingNewer || cursor === null) return;
  store().setLoadingNewer(conversationId, true);
  const result = await getApi().messagesNewer({ conversationId, newerCursor: cursor, limit: PAGE_SIZE });
  // A page for a stretch the thread no longer shows is dropped.
  if (store().threads[conversationId]?.newerCursor !== cursor) return;
  if (result.ok) store().applyNewerPage(conversationId, result.value);
  else {
    store().setLoadingNewer(conversationId, false);
    notifyError(result.error);
  }
}

/** Leaves a stretch far back for the newest page, in one store update (no empty thread between). */
export async function showLatest(conversationId: string): Promise<void> {
  const result = await getApi().messagesList({ conversationId, limit: PAGE_SIZE });
  if (!succeeded(result)) return;
  store().dropThread(conversationId);
  store().ensureThread(conversationId);
  store().applyPage(conversationId, result.value, true);
}

/**
 * The open conversation's new messages count as read while the user can see them: the window
 * has the focus and is visible. (Main's badge and notifications follow from the read marker.)
 */
export function markReadIfReading(): void {
  const id = store().selectedConversationId;
  if (id === null || document.visibilityState !== 'visible' || !document.hasFocus()) return;
  const summary = store().conversations[id];
  if (summary && summary.unreadCount > 0) void getApi().messagesMarkRead({ conversationId: id });
}

export async function refreshOpenThread(): Promise<void> {
  const id = store().selectedConversationId;
  if (id && store().threads[id]?.hasLoadedFirstPage) await loadNewestPage(id);
}

/** Loads the next older page from the local store; a no-op while one is loading or at the start. */
export async function loadOlder(conversationId: string): Promise<void> {
  const thread = store().threads[conversationId];
  if (!thread || !thread.hasLoadedFirstPage || thread.isLoadingOlder || thread.olderCursor === null) return;
  store().setLoadingOlder(conversationId, true);
  const result = await getApi().messagesList({ conversationId, olderCursor: thread.olderCursor, limit: PAGE_SIZE });
  if (result.ok) store().applyPage(conversationId, result.value, false);
  else {
    store().setLoadingOlder(conversationId, false);
    notifyError(result.error);
  }
}

export async function sendMessage(conversationId: string, text: string): Promise<MessageView | null> {
  const result = await getApi().messagesSend({ conversationId, text });
  if (!succeeded(result)) return null;
  store().upsertMessages([result.value]);
  // Writing while reading far back: the thread goes to the present, where the message is.
  if ((store().threads[conversationId]?.newerCursor ?? null) !== null) await showLatest(conversationId);
  // The outbox panel and badge count the new item at once; a parked (offline) item may not
  // produce an outbox event until it is tried.
  void loadOutbox();
  return result.value;
}

export async function retryOutbox(key: string | null): Promise<void> {
  const result = await getApi().outboxRetry({ key });
  if (!succeeded(result, key ? { messageKey: key } : {})) return;
  if (key) store().dismissToastsFor(key);
  const until = result.value.serverWaitUntil ?? null;
  // "Send now" cannot go before a wait the server named: say so, with the wait.
  if (until !== null) {
    const now = Date.now();
    store().notify(
      buildNotification({
        id: `server-wait-${now}`,
        code: 'RATE_LIMITED',
        case: 'request',
        at: now,
        retryAfterMs: Math.max(0, until - now),
        messageKey: key,
      }),
    );
  }
}

export async function discardOutbox(key: string, conversationId: string): Promise<void> {
  const result = await getApi().outboxDiscard({ key });
  if (!succeeded(result, { messageKey: key })) return;
  store().removeOutboxItem(key);
  store().removeMessage(conversationId, key);
  store().dismissToastsFor(key);
  if (store().timelineKey === key) store().setTimelineKey(null);
}

// ---- own messages: cancel, edit, delete ----

/**
 * Withdraws a message not sent yet. `delivered`: the server had it already, so it stays (as sent)
 * and the user may delete it instead. `requested`: offline, saved until the server can be asked
 * (the row says so through messages:changed; the outcome comes on messages:intentSettled).
 */
export async function cancelMessage(key: string, conversationId: string): Promise<'withdrawn' | 'delivered' | 'requested' | null> {
  const result = await getApi().messagesCancel({ key });
  if (!succeeded(result, { messageKey: key })) return null;
  store().dismissToastsFor(key);
  if (result.value.outcome === 'withdrawn') forgetMessage(key, conversationId);
  else if (result.value.outcome === 'delivered') store().setAlreadyDeliveredKey(key);
  return result.value.outcome;
}

/** Takes back a cancel or edit saved offline, before the server was asked. */
export async function undoIntent(key: string): Promise<boolean> {
  const result = await getApi().messagesUndoIntent({ key });
  if (!succeeded(result, { messageKey: key })) return false;
  store().upsertMessages([result.value]);
  return true;
}

/** A cancel or edit saved offline, settled at a connect: a withdrawn message leaves the thread. */
export function intentSettled(settled: IntentSettled): void {
  if (settled.kind === 'cancel' && settled.outcome === 'withdrawn') forgetMessage(settled.key, settled.conversationId);
  if (settled.kind === 'cancel' && settled.outcome === 'delivered') store().setAlreadyDeliveredKey(settled.key);
}

export async function editOwnMessage(key: string, text: string): Promise<boolean> {
  const result = await getApi().messagesEdit({ key, text });
  if (!succeeded(result, { messageKey: key })) return false;
  store().upsertMessages([result.value]);
  return true;
}

export async function deleteOwnMessage(message: MessageView): Promise<boolean> {
  const result = await getApi().messagesDelete({ key: message.key });
  if (!succeeded(result, { messageKey: message.key })) return false;
  if (result.value.outcome === 'withdrawn') forgetMessage(message.key, message.conversationId);
  else store().upsertMessages([{ ...message, text: '', deleted: true }]);
  return true;
}

function forgetMessage(key: string, conversationId: string): void {
  store().removeOutboxItem(key);
  store().removeMessage(conversationId, key);
  if (store().timelineKey === key) store().setTimelineKey(null);
  if (store().editing?.key === key) store().setEditing(null);
}

export async function loadSyncStatus(): Promise<void> {
  const result = await getApi().syncStatus({});
  if (result.ok) store().setCatchingUp(result.value.catchingUp);
}

/** A held message (composed long before the link returned) waits for the user: send it, or not. */
export async function confirmHeld(key: string, conversationId: string, send: boolean): Promise<void> {
  const result = await getApi().outboxConfirm({ key, send });
  if (!succeeded(result, { messageKey: key })) return;
  if (!send) {
    store().removeOutboxItem(key);
    store().removeMessage(conversationId, key);
  }
}

export async function retryConnectionNow(): Promise<void> {
  succeeded(await getApi().connectionRetryNow({}));
}

export async function loadPreferences(): Promise<void> {
  const result = await getApi().preferencesGet({});
  if (result.ok) store().setPreferences(result.value);
}

/** Applies one change; the stored result (main's) is what the screen shows afterwards. */
export async function updatePreferences(patch: PreferencesPatch): Promise<boolean> {
  const result = await getApi().preferencesSet(patch);
  if (!succeeded(result)) return false;
  store().setPreferences(result.value);
  return true;
}

// ---- updates (answered by the shell's updater) ----

export async function loadUpdateStatus(): Promise<void> {
  const result = await getApi().updateGet({});
  if (result.ok) store().setUpdateStatus(result.value);
}

/** Checks now; the answer (and every later step) also arrives as update:status. */
export async function checkForUpdates(): Promise<void> {
  const result = await getApi().updateCheck({});
  if (succeeded(result)) store().setUpdateStatus(result.value);
}

/** Restarts into the downloaded version now; unsent messages stay saved for after the restart. */
export async function restartToUpdate(): Promise<void> {
  succeeded(await getApi().updateRestart({}));
}

export async function restartToUpdateWhenSent(): Promise<void> {
  const result = await getApi().updateRestartWhenSent({});
  if (succeeded(result)) store().setUpdateStatus(result.value);
}

export async function cancelUpdateRestart(): Promise<void> {
  const result = await getApi().updateCancelRestart({});
  if (succeeded(result)) store().setUpdateStatus(result.value);
}
