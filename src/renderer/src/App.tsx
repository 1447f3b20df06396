import { ConnectionIndicator } from './features/connection-status/ConnectionIndicator';
import { HelpPanel } from './features/help';
import { useAppStore } from './store';

export function App(): React.JSX.Element {
  const auth = useAppStore((s) => s.auth);
  return (
    <div className="app">
      <header className="app-header">
        <h1 className="app-title">Nova</h1>
        <ConnectionIndicator />
        <HelpPanel api={window.api} />
      </header>
      <main className="app-main">
        {auth === null ? <p>Loading…</p> : <p>Server: {auth.serverUrl}</p>}
      </main>
    </div>
  );
}
