// Reads a password: one line from standard input. On a terminal the prompt is shown and the
// typed characters are not echoed; from a pipe the first line is taken as it is.

import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';

export async function readPassword(stdin: NodeJS.ReadableStream, prompt: string, stderr: Writable = process.stderr): Promise<string> {
  const tty = (stdin as { isTTY?: boolean }).isTTY === true;
  if (tty) stderr.write(prompt);
  const muted: Writable | undefined = tty
    ? new Writable({
        write(_chunk, _encoding, callback) {
          callback();
        },
      })
    : undefined;
  const lines = createInterface({ input: stdin, ...(muted ? { output: muted, terminal: true } : {}) });
  try {
    for await (const line of lines) {
      if (tty) stderr.write('\n');
      return line;
    }
  } finally {
    lines.close();
  }
  throw new Error('no password given on standard input');
}
