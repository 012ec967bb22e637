// Bandwidth limits as the preferences screen edits them: whole KB/s (1 KB = 1024 bytes, like
// the sizes shown everywhere else) for the service's bytes per second.

/** The service accepts no limit below 1 KB/s. */
export const MIN_LIMIT_KB = 1;
/** What a limit starts at when the user turns it on. */
export const DEFAULT_LIMIT_KB = 1024;

export function kilobytesOf(bytesPerSecond: number): number {
  return Math.max(MIN_LIMIT_KB, Math.round(bytesPerSecond / 1024));
}

/** The limit in bytes per second for what the user typed, or null when it is not a whole number of at least 1. */
export function parseLimitKb(raw: string): number | null {
  const text = raw.trim();
  if (!/^\d+$/.test(text)) return null;
  const kilobytes = Number(text);
  if (!Number.isSafeInteger(kilobytes * 1024) || kilobytes < MIN_LIMIT_KB) return null;
  return kilobytes * 1024;
}
