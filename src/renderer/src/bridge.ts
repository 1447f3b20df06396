/**
 * The one place that listens to the main process. Events update the store outside React
 * (zustand's getState), so components only select what they draw. The api it is given is kept
 * in `api.ts` for the actions, so nothing else reaches for `window.api`.
 */
import type { MessageView, NovaApi } from '../../shared/contract';
import { intentSettled, loadConversations, loadOutbox, loadPreferences, loadSyncStatus, loadUpdateStatus, markReadIfReading, openConversation, refreshOpenThread } from './actions';
import { setApi } from './api';
import { conversationResolved } from './people-actions';
import { useAppStore } from './store';

export function connectBridge(api: NovaApi): () => void {
  setApi(api);
  const store = useAppStore.getState;
  // Several IPC batches can land within one frame (main's change window and the display's frames
  // are not in step); the store, and so React, takes them in one update per frame.
  let pending: MessageView[] = [];
  let frame: number | null = null;
  const flushMessages = (): void => {
    frame = null;
    const batch = pending;
    pending = [];
    if (batch.length > 0) store().upsertMessages(batch);
  };
  const queueMessages = (messages: readonly MessageView[]): void => {
    pending.push(...messages);
    frame ??= requestAnimationFrame(flushMessages);
  };
  const unsubscribers = [
    api.onConnectionChanged((snapshot) => {
      const wasConnected = store().connection?.state === 'CONNECTED';
      store().setConnection(snapshot);
      // Resync may have filled the open thread while we were away: reload its newest page.
      if (!wasConnected && snapshot.state === 'CONNECTED') void refreshOpenThread();
    }),
    api.onAuthChanged((auth) => {
      const wasSignedIn = store().auth?.signedIn === true;
      store().setAuth(auth);
      store().setSigningOut(false);
      if (auth.signedIn && !wasSignedIn) void loadSignedInData();
    }),
    api.onMessagesChanged(({ messages }) => queueMessages(messages)),
    api.onOutboxChanged(({ items }) => {
      store().upsertOutbox(items);
      for (const item of items) if (item.state === 'sent') store().dismissToastsFor(item.key);
    }),
    api.onConversationsChanged(({ conversations }) => {
      store().upsertConversations(conversations);
      // New messages in the conversation the user is reading are read.
      markReadIfReading();
    }),
    api.onNotification((notification) => store().notify(notification)),
    api.onSyncChanged((status) => store().setCatchingUp(status.catchingUp)),
    api.onTypingChanged(({ conversationId, userIds }) => store().setTyping(conversationId, userIds)),
    api.onConversationsResolved(({ localId, conversationId }) => void conversationResolved(localId, conversationId)),
    api.onPreferencesChanged((preferences) => store().setPreferences(preferences)),
    api.onSearchProgress((status) => store().setSearchIndex(status)),
    api.onMessagesIntentSettled((settled) => intentSettled(settled)),
    api.onUpdateStatus((status) => store().setUpdateStatus(status)),
    api.onAppCommand((command) => {
      if (command.command === 'open-outbox') store().setOutboxOpen(true);
      if (command.command === 'open-settings') store().setSettingsOpen(true);
      if (command.command === 'open-conversation') void openConversation(command.conversationId);
    }),
  ];
  // Main notifies only about conversations the window does not show: tell it which one it shows.
  const reportView = (conversationId: string | null): void => {
    void api.conversationsView({ conversationId });
  };
  reportView(store().selectedConversationId);
  const stopReportingView = useAppStore.subscribe((state, previous) => {
    if (state.selectedConversationId !== previous.selectedConversationId) reportView(state.selectedConversationId);
  });
  const onFocus = (): void => markReadIfReading();
  window.addEventListener('focus', onFocus);
  void loadPreferences();
  void loadUpdateStatus();
  void loadSyncStatus();
  void api.connectionGet({}).then((result) => {
    if (result.ok) store().setConnection(result.value.snapshot);
  });
  // Notifications main raised before this window listened (a damaged database at start-up, a
  // revoked session) are replayed once; sticky ones the user closes are dismissed in main too.
  void api.notificationsList({}).then((result) => {
    if (result.ok) for (const notification of result.value) store().notify(notification);
  });
  const stopWatchingToasts = useAppStore.subscribe((state, previous) => {
    if (state.toasts === previous.toasts) return;
    const shown = new Set(state.toasts.map((toast) => toast.notification.id));
    for (const toast of previous.toasts) {
      if (toast.notification.sticky && !shown.has(toast.notification.id)) {
        void api.notificationsDismiss({ id: toast.notification.id });
      }
    }
  });
  void api.authStatus({}).then((result) => {
    if (!result.ok) return;
    store().setAuth(result.value);
    if (result.value.signedIn) void loadSignedInData();
  });
  return () => {
    if (frame !== null) cancelAnimationFrame(frame);
    unsubscribers.forEach((off) => off());
    stopWatchingToasts();
    stopReportingView();
    window.removeEventListener('focus', onFocus);
    setApi(null);
  };
}

async function loadSignedInData(): Promise<void> {
  await Promise.all([loadConversations(), loadOutbox()]);
}
