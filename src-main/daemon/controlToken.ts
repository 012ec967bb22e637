// The secret that guards the daemon's local control API. The daemon makes one at its first
// start and keeps it in the profile with owner-only permissions (0600), so only the user who
// runs the daemon (its CLI, or a browser opened from the printed link) can reach the API; other
// local users and web pages cannot. A browser page receives it in the link's URL fragment and
// keeps it for its own origin (scheme, host and port) only; never in a cookie, which every
// other port on 127.0.0.1 would receive too. A restarted daemon keeps the token (and, when it
// is free, the port it had), so a page opened from the printed link reconnects by itself.

import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import path from 'node:path';
import { CONTROL_TOKEN_PATTERN } from '../../shared/api/index.js';
import { deleteSecretFile, readSecretFile, writeSecretFile } from '../profile/secretFile.js';

/** The token file's name inside the profile folder. */
export const CONTROL_TOKEN_FILE = 'control-token';

export function controlTokenPath(home: string): string {
  return path.join(home, CONTROL_TOKEN_FILE);
}

export function isControlToken(value: string): boolean {
  return CONTROL_TOKEN_PATTERN.test(value);
}

/** A new random token (256 bits). */
export function newControlToken(): string {
  return randomBytes(32).toString('base64url');
}

/** Makes a new token, replacing any earlier one (links printed before stop working), and stores it. */
export async function createControlToken(home: string): Promise<string> {
  const token = newControlToken();
  await writeSecretFile(controlTokenPath(home), token);
  return token;
}

/**
 * Reads the running daemon's token (for the CLI); undefined when there is none or the file
 * does not hold a token. Throws InsecureSecretFileError when others can read the file.
 */
export async function readControlToken(home: string): Promise<string | undefined> {
  const text = await readSecretFile(controlTokenPath(home));
  const token = text?.trim();
  return token !== undefined && isControlToken(token) ? token : undefined;
}

/**
 * The profile's token when it holds a good one, else a new one stored in its place. Throws
 * InsecureSecretFileError when others can read the file (the user must fix it, never us).
 */
export async function loadOrCreateControlToken(home: string): Promise<string> {
  return (await readControlToken(home)) ?? (await createControlToken(home));
}

/** The file that remembers the control API's last port, so a restart can take it again. */
export const CONTROL_PORT_FILE = 'control-port';

/** The port the daemon listened on last time, or null when unknown. */
export async function readLastControlPort(home: string): Promise<number | null> {
  const text = await readSecretFile(path.join(home, CONTROL_PORT_FILE)).catch(() => undefined);
  const port = Number(text?.trim());
  return Number.isInteger(port) && port > 0 && port <= 65535 ? port : null;
}

export async function saveControlPort(home: string, port: number): Promise<void> {
  await writeSecretFile(path.join(home, CONTROL_PORT_FILE), `${port}\n`);
}

/** Removes the token file when the daemon stops; nothing happens when it is gone already. */
export async function deleteControlToken(home: string): Promise<void> {
  await deleteSecretFile(controlTokenPath(home));
}

/**
 * Compares a presented token with the expected one in constant time. Both are hashed first, so
 * neither the content nor the length of the expected token leaks through timing.
 */
export function controlTokensEqual(presented: string, expected: string): boolean {
  const left = createHash('sha256').update(presented, 'utf8').digest();
  const right = createHash('sha256').update(expected, 'utf8').digest();
  return timingSafeEqual(left, right);
}
