// The desktop app's log: what main and the engine host report, with a timestamp, to standard
// error (visible with `npm start`) and to a file a packaged app's user can attach to a bug
// report. The file is started over (the old one kept once) when it grew past a limit.

import { createWriteStream, mkdirSync, renameSync, statSync } from 'node:fs';
import type { WriteStream } from 'node:fs';
import path from 'node:path';

export interface AppLog {
  (line: string): void;
  close(): Promise<void>;
}

export const MAX_LOG_BYTES = 5 * 1024 * 1024;

/** Keeps `file` below maxBytes at start: a larger one becomes `file.old` (replacing the older one). */
export function rotateLogFile(file: string, maxBytes = MAX_LOG_BYTES): void {
  try {
    if (statSync(file).size > maxBytes) renameSync(file, `${file}.old`);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}

export function openAppLog(file: string, options: { readonly echo?: (text: string) => void; readonly now?: () => Date } = {}): AppLog {
  const echo = options.echo ?? ((text: string) => process.stderr.write(text));
  const now = options.now ?? (() => new Date());
  let stream: WriteStream | null = null;
  try {
    mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    rotateLogFile(file);
    stream = createWriteStream(file, { flags: 'a', mode: 0o600 });
    stream.on('error', (error) => {
      echo(`cairn: the log file ${file} cannot be written (${error.message}); logging to standard error only\n`);
      stream = null;
    });
  } catch (error) {
    echo(`cairn: the log file ${file} cannot be opened (${(error as Error).message}); logging to standard error only\n`);
  }
  const log = ((line: string) => {
    const text = `${now().toISOString()} ${line}\n`;
    echo(text);
    stream?.write(text);
  }) as AppLog;
  log.close = () =>
    new Promise<void>((resolve) => {
      if (stream === null) resolve();
      else stream.end(resolve);
      stream = null;
    });
  return log;
}
