/**
 * The one place that listens to the main process. Events update the store outside React
 * (zustand's getState), so components only select what they draw.
 */
import type { NovaApi } from '../../shared/contract';
import { useAppStore } from './store';

export function connectBridge(api: NovaApi): () => void {
  const store = useAppStore.getState;
  const unsubscribers = [
    api.onConnectionChanged((snapshot) => store().setConnection(snapshot)),
    api.onAuthChanged((auth) => store().setAuth(auth)),
  ];
  void api.connectionGet({}).then((result) => {
    if (result.ok) store().setConnection(result.value.snapshot);
  });
  void api.authStatus({}).then((result) => {
    if (result.ok) store().setAuth(result.value);
  });
  return () => unsubscribers.forEach((off) => off());
}
