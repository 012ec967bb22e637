// The preload of the app window: exposes exactly the CairnBridge (shared/api/bridge.ts) as
// window.cairn, and nothing else of Electron. A sandboxed preload is a CommonJS script that can
// require only 'electron', so the channel names are repeated here rather than imported; a test
// runs this file against the shared constants to keep them equal.

// eslint-disable-next-line @typescript-eslint/no-require-imports -- a sandboxed preload is CommonJS
import electron = require('electron');
import type { CairnBridge } from '../../shared/api/bridge.js';

/** shared/api: BRIDGE_GLOBAL, the prefix of syncApiChannel, SYNC_EVENTS_CHANNEL. */
const BRIDGE_GLOBAL = 'cairn';
const API_CHANNEL_PREFIX = 'cairn:api:';
const EVENTS_CHANNEL = 'cairn:events';

const bridge = {
  invoke(channel: unknown, request: unknown): Promise<unknown> {
    if (typeof channel !== 'string' || !channel.startsWith(API_CHANNEL_PREFIX)) {
      return Promise.reject(new Error(`not a Cairn API channel: ${String(channel)}`));
    }
    return electron.ipcRenderer.invoke(channel, request);
  },
  onEvent(listener: (event: unknown) => void): () => void {
    if (typeof listener !== 'function') throw new TypeError('onEvent takes a function');
    // The page gets the event's payload only, never the IPC event (it would reach the sender).
    const forward = (_ipcEvent: unknown, payload: unknown) => listener(payload);
    electron.ipcRenderer.on(EVENTS_CHANNEL, forward);
    let subscribed = true;
    return () => {
      if (!subscribed) return;
      subscribed = false;
      electron.ipcRenderer.removeListener(EVENTS_CHANNEL, forward);
    };
  },
} satisfies CairnBridge;

electron.contextBridge.exposeInMainWorld(BRIDGE_GLOBAL, bridge);
