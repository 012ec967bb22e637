// Structured logs: one JSON object per line on standard error, with a time, a level, a message
// and fields, so a log collector can index them. Never log a secret (tokens, passwords, keys):
// callers pass only ids, paths, counts and durations.

export type LogFields = Readonly<Record<string, unknown>>;

export type LogLevel = 'info' | 'warn' | 'error';

export type Logger = (level: LogLevel, message: string, fields?: LogFields) => void;

/** Writes JSON lines through `write` (standard error by default). */
export function jsonLogger(write: (line: string) => void = (line) => process.stderr.write(line)): Logger {
  return (level, message, fields = {}) => {
    const record: Record<string, unknown> = { time: new Date().toISOString(), level, message };
    for (const [name, value] of Object.entries(fields)) {
      record[name] = value instanceof Error ? (value.stack ?? value.message) : value;
    }
    write(`${JSON.stringify(record)}\n`);
  };
}

/** Drops everything: for tests and embedded uses that do not want request logs. */
export const silentLogger: Logger = () => {};
