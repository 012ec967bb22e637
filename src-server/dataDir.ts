// Where cairn-server keeps its data when --data is not given.

import os from 'node:os';
import path from 'node:path';

/**
 * $CAIRN_SERVER_DATA if set; otherwise the platform's per-user data folder:
 * $XDG_DATA_HOME/cairn-server or ~/.local/share/cairn-server on Linux and other Unixes,
 * ~/Library/Application Support/cairn-server on macOS, %APPDATA%\cairn-server on Windows.
 */
export function defaultDataDir(environment: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform, home: string = os.homedir()): string {
  const explicit = environment.CAIRN_SERVER_DATA;
  if (explicit !== undefined && explicit !== '') return path.resolve(explicit);
  switch (platform) {
    case 'darwin':
      return path.join(home, 'Library', 'Application Support', 'cairn-server');
    case 'win32':
      return path.win32.join(environment.APPDATA ?? path.win32.join(home, 'AppData', 'Roaming'), 'cairn-server');
    default: {
      const xdg = environment.XDG_DATA_HOME;
      return path.join(xdg !== undefined && path.isAbsolute(xdg) ? xdg : path.join(home, '.local', 'share'), 'cairn-server');
    }
  }
}
