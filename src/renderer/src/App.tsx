import { useShallow } from 'zustand/react/shallow';
import { signOut } from './actions';
import { getApi } from './api';
import { Announcer } from './features/announcer/Announcer';
import { ConnectionBanner } from './features/connection-status/ConnectionBanner';
import { ConnectionIndicator } from './features/connection-status/ConnectionIndicator';
import { ConversationList } from './features/conversation-list/ConversationList';
import { HelpPanel } from './features/help';
import { Toaster } from './features/notifications/Toaster';
import { OUTBOX_BUTTON_ID, OutboxPanel } from './features/outbox-panel/OutboxPanel';
import { SearchButton, SearchPanel } from './features/search/SearchPanel';
import { NewConversationDialog, useNewConversationShortcut } from './features/people/NewConversation';
import { ConversationKeys } from './features/quick-switcher/QuickSwitcher';
import { SettingsButton, SettingsPanel } from './features/settings/Settings';
import { SignIn } from './features/sign-in/SignIn';
import { Thread } from './features/thread/Thread';
import { NoConversationOpen } from './features/people/Discarded';
import { UpdatePrompt } from './features/updates/UpdatePrompt';
import { useAppStore } from './store';

export function App(): React.JSX.Element {
  const auth = useAppStore(useShallow((s) => (s.auth ? { signedIn: s.auth.signedIn, user: s.auth.user } : null)));
  return (
    <div className="app">
      <header className="app-header">
        <h1 className="app-title">Nova</h1>
        <div className="app-header-side">
          {auth?.signedIn && <SearchButton />}
          {auth?.signedIn && <OutboxButton />}
          <ConnectionIndicator />
          {auth?.signedIn && (
            <button type="button" className="button button-quiet" onClick={() => void signOut()} title={auth.user?.email}>
              Sign out
            </button>
          )}
          <SettingsButton />
          <HelpPanel api={getApi()} />
        </div>
      </header>
      <ConnectionBanner />
      <main className="app-main">
        {auth === null ? <p className="muted list-note">Loading…</p> : auth.signedIn ? <Messenger /> : <SignIn />}
      </main>
      <OutboxPanel />
      {auth?.signedIn && <SearchPanel />}
      <SettingsPanel />
      <UpdatePrompt />
      <Toaster />
    </div>
  );
}

function Messenger(): React.JSX.Element {
  const selected = useAppStore((s) => s.selectedConversationId);
  useNewConversationShortcut();
  return (
    <div className="messenger">
      <NewConversationDialog />
      <ConversationList />
      {selected ? <Thread key={selected} conversationId={selected} /> : <NoConversationOpen />}
      <ConversationKeys />
      <Announcer />
    </div>
  );
}

function OutboxButton(): React.JSX.Element {
  const count = useAppStore((s) => Object.keys(s.outbox).length);
  const setOpen = useAppStore((s) => s.setOutboxOpen);
  return (
    <button
      id={OUTBOX_BUTTON_ID}
      type="button"
      className="button button-quiet"
      aria-haspopup="dialog"
      onClick={() => setOpen(true)}
      aria-keyshortcuts="Control+Shift+O"
      data-testid="outbox-button"
    >
      Outbox{count > 0 && <span className="badge badge-pending">{count}</span>}
    </button>
  );
}
