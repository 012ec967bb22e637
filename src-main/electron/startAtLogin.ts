// Start at login. Electron's login-item API covers macOS and Windows; on Linux the desktop's
// session starts whatever has an entry in the XDG autostart folder, so Cairn writes (or removes)
// `cairn.desktop` there. Cairn started this way stays in the tray (`--hidden`).

import { mkdir, open, rename, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

/** The argument that starts Cairn in the tray, without its window. */
export const HIDDEN_ARGUMENT = '--hidden';

const AUTOSTART_FILE_NAME = 'cairn.desktop';

/** ($XDG_CONFIG_HOME or ~/.config)/autostart/cairn.desktop. A relative XDG_CONFIG_HOME is ignored, as the spec says. */
export function autostartEntryPath(env: NodeJS.ProcessEnv = process.env, home: string = os.homedir()): string {
  const configured = env.XDG_CONFIG_HOME;
  const configHome = configured !== undefined && path.isAbsolute(configured) ? configured : path.join(home, '.config');
  return path.join(configHome, 'autostart', AUTOSTART_FILE_NAME);
}

// Characters that make an Exec argument need quotes (Desktop Entry Specification, "The Exec key").
const RESERVED = /[\s"'\\><~|&;$*?#()`]/;

/** One argument of an Exec line, quoted and escaped as the Desktop Entry Specification asks. */
export function quoteExecArgument(argument: string): string {
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(argument)) throw new Error(`an autostart command cannot contain control characters: ${JSON.stringify(argument)}`);
  if (argument === '') return '""';
  let quoted = RESERVED.test(argument) ? `"${argument.replace(/["`$\\]/g, (character) => `\\${character}`)}"` : argument;
  // '%' starts a field code; a literal one is doubled.
  quoted = quoted.replaceAll('%', '%%');
  // The value is also a key-file string, where a backslash is itself escaped.
  return quoted.replaceAll('\\', '\\\\');
}

export interface AutostartEntry {
  /** The program and its arguments. */
  readonly command: readonly string[];
  readonly name: string;
  readonly comment: string;
  /** An icon name from the icon theme, or an absolute path. */
  readonly icon: string;
}

/** The text of the autostart entry. */
export function autostartEntryText(entry: AutostartEntry): string {
  const single = (value: string) => {
    // eslint-disable-next-line no-control-regex
    if (/[\u0000-\u001f\u007f]/.test(value)) throw new Error(`an autostart entry value cannot contain control characters: ${JSON.stringify(value)}`);
    return value;
  };
  return [
    '[Desktop Entry]',
    'Type=Application',
    'Version=1.5',
    `Name=${single(entry.name)}`,
    `Comment=${single(entry.comment)}`,
    `Exec=${entry.command.map(quoteExecArgument).join(' ')}`,
    `Icon=${single(entry.icon)}`,
    'Terminal=false',
    'X-GNOME-Autostart-enabled=true',
    '',
  ].join('\n');
}

/** Writes the entry atomically (a temp file in the same folder, then a rename). */
export async function writeAutostartEntry(file: string, text: string): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  const handle = await open(temp, 'w', 0o644);
  try {
    await handle.writeFile(text, 'utf8');
    await handle.chmod(0o644);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await rename(temp, file);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}

export async function removeAutostartEntry(file: string): Promise<void> {
  await rm(file, { force: true });
}

export interface StartAtLoginTarget {
  readonly platform: NodeJS.Platform;
  /** Linux: where the autostart entry goes, and what it holds. */
  readonly linuxEntryFile: string;
  readonly linuxEntry: AutostartEntry;
  /** macOS and Windows: Electron's app.setLoginItemSettings. */
  setLoginItem(openAtLogin: boolean): void;
}

/** Makes the system start Cairn at login, or stop doing so. */
export async function applyStartAtLogin(enabled: boolean, target: StartAtLoginTarget): Promise<void> {
  if (target.platform === 'darwin' || target.platform === 'win32') {
    target.setLoginItem(enabled);
    return;
  }
  if (enabled) await writeAutostartEntry(target.linuxEntryFile, autostartEntryText(target.linuxEntry));
  else await removeAutostartEntry(target.linuxEntryFile);
}

/**
 * The command that starts this copy of Cairn: an AppImage is started through its image file
 * (APPIMAGE), since the folder it runs from disappears when it quits; an unpackaged app is
 * Electron with the app's folder.
 */
export function startCommand(options: { readonly execPath: string; readonly appPath: string; readonly packaged: boolean; readonly env: NodeJS.ProcessEnv }): string[] {
  const program = options.env.APPIMAGE !== undefined && options.env.APPIMAGE !== '' ? options.env.APPIMAGE : options.execPath;
  return options.packaged ? [program, HIDDEN_ARGUMENT] : [program, options.appPath, HIDDEN_ARGUMENT];
}
