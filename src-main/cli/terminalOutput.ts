// Human-readable output: sizes, times, and the one-line progress display on a terminal.

import { formatBinarySize } from '../../shared/byteSize.js';

/** What the progress line shows of a running round. */
export interface ProgressFigures {
  readonly libraryId: string;
  readonly phase: string;
  readonly filesDone: number;
  readonly filesTotal: number;
  readonly bytesDone: number;
  readonly bytesTotal: number;
}

export const formatBytes = formatBinarySize;

/** A local date and time without seconds' fractions: 2026-11-22 14:05:09. */
export function formatTime(ms: number): string {
  const date = new Date(ms);
  const pad = (value: number): string => String(value).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
}

/**
 * A progress line rewritten in place (at most ten times a second): phase, files, bytes and
 * rate. Only for terminals; the caller decides (never with --json or into a pipe).
 */
export function createProgressLine(stream: NodeJS.WriteStream): { update: (progress: ProgressFigures) => void; done: () => void } {
  let lastDraw = 0;
  let shown = false;
  let started = Date.now();
  let phase = '';
  // The round's figures add up over its phases: the rate counts only what moved in this one.
  let bytesAtStart = 0;
  return {
    update(progress) {
      const now = Date.now();
      const current = `${progress.libraryId} ${progress.phase}`;
      if (current !== phase) {
        phase = current;
        started = now;
        bytesAtStart = progress.bytesDone;
      }
      if (now - lastDraw < 100) return;
      lastDraw = now;
      const seconds = Math.max((now - started) / 1000, 0.001);
      const rate = Math.max(0, progress.bytesDone - bytesAtStart) / seconds;
      const files = progress.filesTotal > 0 ? ` ${progress.filesDone}/${progress.filesTotal} files` : '';
      const bytes = progress.bytesTotal > 0 ? ` ${formatBytes(progress.bytesDone)}/${formatBytes(progress.bytesTotal)} (${formatBytes(rate)}/s)` : '';
      const line = `${progress.phase}${files}${bytes}`;
      stream.write(`\r${line.slice(0, (stream.columns ?? 80) - 1).padEnd(Math.min(stream.columns ?? 80, 80) - 1)}`);
      shown = true;
    },
    done() {
      if (shown) stream.write(`\r${' '.repeat(Math.min(stream.columns ?? 80, 80) - 1)}\r`);
      shown = false;
    },
  };
}
