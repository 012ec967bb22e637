// Start at login: the XDG autostart entry on Linux (its place, its text, the Exec quoting of
// the Desktop Entry Specification, written and removed in a temp folder), Electron's login item
// elsewhere.

import { mkdtemp, readFile, readdir, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  HIDDEN_ARGUMENT,
  applyStartAtLogin,
  autostartEntryPath,
  autostartEntryText,
  quoteExecArgument,
  startCommand,
} from '../../src-main/electron/startAtLogin.js';
import type { AutostartEntry, StartAtLoginTarget } from '../../src-main/electron/startAtLogin.js';

let base: string;
beforeEach(async () => {
  base = await mkdtemp(path.join(os.tmpdir(), 'cairn-autostart-test-'));
});
afterEach(async () => {
  await rm(base, { recursive: true, force: true });
});

const ENTRY: AutostartEntry = { command: ['/opt/Cairn/cairn', HIDDEN_ARGUMENT], name: 'Cairn', comment: 'Keeps your folders in sync', icon: 'cairn' };

describe('autostartEntryPath', () => {
  it.each<[string, NodeJS.ProcessEnv, string]>([
    ['XDG_CONFIG_HOME when set', { XDG_CONFIG_HOME: '/home/ann/.xdg' }, '/home/ann/.xdg/autostart/cairn.desktop'],
    ['~/.config otherwise', {}, '/home/ann/.config/autostart/cairn.desktop'],
    ['~/.config when XDG_CONFIG_HOME is relative', { XDG_CONFIG_HOME: 'config' }, '/home/ann/.config/autostart/cairn.desktop'],
  ])('%s', (_name, env, expected) => {
    expect(autostartEntryPath(env, '/home/ann')).toBe(expected);
  });
});

describe('quoteExecArgument', () => {
  it.each([
    ['a plain path', '/opt/Cairn/cairn', '/opt/Cairn/cairn'],
    ['a space', '/home/ann/My Apps/Cairn.AppImage', '"/home/ann/My Apps/Cairn.AppImage"'],
    ['a double quote', 'say "hi"', '"say \\\\"hi\\\\""'],
    ['a dollar sign', '/opt/$HOME', '"/opt/\\\\$HOME"'],
    ['a backtick', 'a`b', '"a\\\\`b"'],
    ['a backslash', 'C:\\Cairn', '"C:\\\\\\\\Cairn"'],
    ['a percent sign (a field code otherwise)', '/opt/100%/cairn', '/opt/100%%/cairn'],
    ['a single quote', "/home/ann/Ann's/cairn", '"/home/ann/Ann\'s/cairn"'],
    ['an empty argument', '', '""'],
  ])('%s', (_name, argument, expected) => {
    expect(quoteExecArgument(argument)).toBe(expected);
  });

  it('refuses control characters', () => {
    expect(() => quoteExecArgument('/opt/cairn\n--evil')).toThrow('control characters');
  });
});

describe('autostartEntryText', () => {
  it('is a desktop entry that starts Cairn in the tray', () => {
    expect(autostartEntryText({ ...ENTRY, command: ['/home/ann/Apps/Cairn 1.0.AppImage', HIDDEN_ARGUMENT] })).toBe(
      [
        '[Desktop Entry]',
        'Type=Application',
        'Version=1.5',
        'Name=Cairn',
        'Comment=Keeps your folders in sync',
        'Exec="/home/ann/Apps/Cairn 1.0.AppImage" --hidden',
        'Icon=cairn',
        'Terminal=false',
        'X-GNOME-Autostart-enabled=true',
        '',
      ].join('\n'),
    );
  });

  it('refuses a value that would add lines', () => {
    expect(() => autostartEntryText({ ...ENTRY, name: 'Cairn\nExec=rm -rf ~' })).toThrow('control characters');
  });
});

describe('startCommand', () => {
  it.each<[string, Parameters<typeof startCommand>[0], string[]]>([
    ['a packaged app', { execPath: '/opt/Cairn/cairn', appPath: '/opt/Cairn/resources/app.asar', packaged: true, env: {} }, ['/opt/Cairn/cairn', '--hidden']],
    [
      'an AppImage, through its image file',
      { execPath: '/tmp/.mount_CairnX/cairn', appPath: '/tmp/.mount_CairnX/resources/app.asar', packaged: true, env: { APPIMAGE: '/home/ann/Cairn.AppImage' } },
      ['/home/ann/Cairn.AppImage', '--hidden'],
    ],
    ['an unpackaged app, with its folder', { execPath: '/src/node_modules/electron/dist/electron', appPath: '/src', packaged: false, env: {} }, ['/src/node_modules/electron/dist/electron', '/src', '--hidden']],
  ])('%s', (_name, options, expected) => {
    expect(startCommand(options)).toEqual(expected);
  });
});

describe('applyStartAtLogin', () => {
  function target(platform: NodeJS.Platform, file: string, loginItems: boolean[]): StartAtLoginTarget {
    return { platform, linuxEntryFile: file, linuxEntry: ENTRY, setLoginItem: (open) => void loginItems.push(open) };
  }

  it('writes and removes the autostart entry on Linux', async () => {
    const file = autostartEntryPath({ XDG_CONFIG_HOME: path.join(base, 'config') });
    const loginItems: boolean[] = [];
    await applyStartAtLogin(true, target('linux', file, loginItems));
    expect(await readFile(file, 'utf8')).toBe(autostartEntryText(ENTRY));
    expect((await stat(file)).mode & 0o777).toBe(0o644);
    await applyStartAtLogin(true, target('linux', file, loginItems));
    expect(await readdir(path.dirname(file))).toEqual(['cairn.desktop']);
    await applyStartAtLogin(false, target('linux', file, loginItems));
    expect(await readdir(path.dirname(file))).toEqual([]);
    await applyStartAtLogin(false, target('linux', file, loginItems));
    expect(loginItems).toEqual([]);
  });

  it.each<NodeJS.Platform>(['darwin', 'win32'])('uses the login item on %s and writes no file', async (platform) => {
    const file = path.join(base, 'autostart', 'cairn.desktop');
    const loginItems: boolean[] = [];
    await applyStartAtLogin(true, target(platform, file, loginItems));
    await applyStartAtLogin(false, target(platform, file, loginItems));
    expect(loginItems).toEqual([true, false]);
    expect(await readdir(base)).toEqual([]);
  });
});
