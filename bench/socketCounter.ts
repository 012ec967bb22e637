// Counts the bytes on every TCP connection the servers of this process accept, through the
// 'net.server.socket' diagnostics channel. The benchmark runs the cairn-server in a process of
// its own, so "bytes on the wire" is everything the HTTP exchange moved (request lines,
// headers, JSON, chunk frames), not only the chunk payloads the engine reports, and no proxy
// hop slows the transfer it measures.

import diagnosticsChannel from 'node:diagnostics_channel';
import type { Socket } from 'node:net';

export interface WireBytes {
  /** Bytes clients sent to the server. */
  readonly sent: number;
  /** Bytes the server sent to clients. */
  readonly received: number;
}

export interface SocketCounter {
  /** Bytes moved since counting started. Callers subtract two readings to measure a step. */
  counters(): WireBytes;
  stop(): void;
}

export function countServerSockets(): SocketCounter {
  const open = new Set<Socket>();
  let closedRead = 0;
  let closedWritten = 0;
  const onSocket = (message: unknown): void => {
    const { socket } = message as { socket: Socket };
    open.add(socket);
    socket.once('close', () => {
      closedRead += socket.bytesRead;
      closedWritten += socket.bytesWritten;
      open.delete(socket);
    });
  };
  diagnosticsChannel.subscribe('net.server.socket', onSocket);
  return {
    counters() {
      let sent = closedRead;
      let received = closedWritten;
      for (const socket of open) {
        sent += socket.bytesRead;
        received += socket.bytesWritten;
      }
      return { sent, received };
    },
    stop: () => diagnosticsChannel.unsubscribe('net.server.socket', onSocket),
  };
}
