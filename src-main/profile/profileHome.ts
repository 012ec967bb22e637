// Where a client profile lives by default. Its own module, without the engine's dependencies,
// so the desktop app's main process can find the profile without loading the engine (which
// runs in its utility process).

import os from 'node:os';
import path from 'node:path';

/** `$CAIRN_HOME`, else the platform's folder for application settings. */
export function defaultHome(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string {
  if (env.CAIRN_HOME) return env.CAIRN_HOME;
  const home = os.homedir();
  if (platform === 'win32') return path.join(env.APPDATA ?? path.join(home, 'AppData', 'Roaming'), 'Cairn');
  if (platform === 'darwin') return path.join(home, 'Library', 'Application Support', 'Cairn');
  return path.join(env.XDG_CONFIG_HOME ?? path.join(home, '.config'), 'cairn');
}
