/**
 * Exposes exactly the contract: one function per channel, one subscription per event. The page
 * never sees ipcRenderer or the Electron event object.
 */
import { contextBridge, ipcRenderer } from 'electron';
import { buildApi } from '../shared/contract';

const api = buildApi({
  invoke: (channel, req) => ipcRenderer.invoke(channel, req),
  subscribe: (channel, listener) => {
    const handler = (_event: Electron.IpcRendererEvent, payload: unknown): void => listener(payload);
    ipcRenderer.on(channel, handler);
    return () => {
      ipcRenderer.off(channel, handler);
    };
  },
});

contextBridge.exposeInMainWorld('api', api);
