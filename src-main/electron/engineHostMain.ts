// Entry point of the engine host process. In the app it runs as an Electron utility process and
// talks over process.parentPort; started with child_process.fork (tests, or a plain Node run) it
// talks over the IPC channel. Either way the rest is runEngineHost.

import { runEngineHost } from './engineHost.js';
import type { HostPort } from './engineHost.js';
import { parseHostArguments } from './hostProtocol.js';
import type { HostToMainMessage } from './hostProtocol.js';

/** The part of Electron's parentPort used here (declared locally: this file must not import electron). */
interface ParentPortLike {
  on(event: 'message', listener: (event: { data: unknown }) => void): void;
  postMessage(message: unknown): void;
}

/** A HostPort, and a way to let go of the channel once the last messages are out. */
interface MainChannel {
  readonly port: HostPort;
  release(): void;
}

function connectToMain(): MainChannel | null {
  const parentPort = (process as unknown as { parentPort?: ParentPortLike | null }).parentPort;
  if (parentPort) {
    return {
      port: {
        post: (message: HostToMainMessage) => parentPort.postMessage(message),
        onMessage: (listener) => parentPort.on('message', (event) => listener(event.data)),
        // A utility process ends with its parent; there is no channel to watch.
        onDisconnect: () => undefined,
      },
      release: () => undefined,
    };
  }
  const send = process.send?.bind(process);
  if (send === undefined) return null;
  let sending = 0;
  let releaseWhenSent = false;
  const disconnect = () => {
    if (process.connected) process.disconnect();
  };
  return {
    port: {
      post: (message: HostToMainMessage) => {
        if (!process.connected) return;
        sending += 1;
        send(message, undefined, {}, () => {
          sending -= 1;
          if (sending === 0 && releaseWhenSent) disconnect();
        });
      },
      onMessage: (listener) => process.on('message', listener),
      onDisconnect: (listener) => process.once('disconnect', listener),
    },
    release: () => {
      releaseWhenSent = true;
      if (sending === 0) disconnect();
    },
  };
}

const EXIT_GRACE_MS = 1_000;

const channel = connectToMain();
const options = parseHostArguments(process.argv.slice(2));
if (channel === null || options === null) {
  process.stderr.write('the Cairn engine host runs as a child of the Cairn app: --home DIR --secrets safe-storage|owner-only-file\n');
  process.exit(2);
}
const code = await runEngineHost(channel.port, options);
// Leave the event loop running a moment so that the last messages ('failed', 'stopped') reach
// main; exit by ourselves if nothing else holds the process, else when the grace period ends.
process.exitCode = code;
channel.release();
setTimeout(() => process.exit(code), EXIT_GRACE_MS).unref();
