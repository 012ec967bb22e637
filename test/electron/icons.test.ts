// The committed icons are all there, at the sizes each platform asks for: the app icon set,
// the Windows and macOS containers, and every tray state at 16, 22 and 32 pixels with @2x.

import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { TRAY_STATES } from '../../src-main/electron/appMessages.js';
import { trayIconFile } from '../../src-main/electron/trayModel.js';
import { APP_ICON_SIZES, TRAY_ICON_SIZES } from '../../scripts/renderIcons.js';

const ASSETS = path.resolve('assets');
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function pngSize(data: Buffer): { width: number; height: number } {
  expect(data.subarray(0, 8).equals(PNG_SIGNATURE)).toBe(true);
  return { width: data.readUInt32BE(16), height: data.readUInt32BE(20) };
}

describe('the app icon', () => {
  it.each(APP_ICON_SIZES)('exists at %i pixels', async (size) => {
    expect(pngSize(await readFile(path.join(ASSETS, 'icons', `${size}x${size}.png`)))).toEqual({ width: size, height: size });
  });

  it('has a Windows .ico with PNG images from 16 to 256 pixels', async () => {
    const ico = await readFile(path.join(ASSETS, 'icon.ico'));
    expect([ico.readUInt16LE(0), ico.readUInt16LE(2)]).toEqual([0, 1]);
    const sizes: number[] = [];
    for (let index = 0; index < ico.readUInt16LE(4); index += 1) {
      const entry = 6 + index * 16;
      const image = ico.subarray(ico.readUInt32LE(entry + 12), ico.readUInt32LE(entry + 12) + ico.readUInt32LE(entry + 8));
      const { width } = pngSize(image);
      expect(ico.readUInt8(entry) || 256).toBe(width);
      sizes.push(width);
    }
    expect(sizes).toEqual([16, 32, 48, 64, 128, 256]);
  });

  it('has a macOS .icns with PNG entries up to 1024 pixels', async () => {
    const icns = await readFile(path.join(ASSETS, 'icon.icns'));
    expect(icns.subarray(0, 4).toString('ascii')).toBe('icns');
    expect(icns.readUInt32BE(4)).toBe(icns.length);
    const entries = new Map<string, number>();
    for (let offset = 8; offset < icns.length; ) {
      const length = icns.readUInt32BE(offset + 4);
      entries.set(icns.subarray(offset, offset + 4).toString('ascii'), pngSize(icns.subarray(offset + 8, offset + length)).width);
      offset += length;
    }
    expect(Object.fromEntries(entries)).toEqual({ icp4: 16, icp5: 32, icp6: 64, ic07: 128, ic08: 256, ic09: 512, ic10: 1024, ic11: 32, ic12: 64, ic13: 256, ic14: 512 });
  });
});

describe('the tray icons', () => {
  it.each(TRAY_STATES)('%s exists at every size, with its @2x', async (state) => {
    for (const size of TRAY_ICON_SIZES) {
      expect(pngSize(await readFile(path.join(ASSETS, 'tray', `${state}-${size}.png`)))).toEqual({ width: size, height: size });
      expect(pngSize(await readFile(path.join(ASSETS, 'tray', `${state}-${size}@2x.png`)))).toEqual({ width: size * 2, height: size * 2 });
    }
  });

  it('are picked at the size of each platform', () => {
    expect(trayIconFile('/app/assets/tray', 'syncing', 'linux')).toBe(path.join('/app/assets/tray', 'syncing-22.png'));
    expect(trayIconFile('/app/assets/tray', 'error', 'darwin')).toBe(path.join('/app/assets/tray', 'error-16.png'));
    expect(trayIconFile('/app/assets/tray', 'paused', 'win32')).toBe(path.join('/app/assets/tray', 'paused-16.png'));
  });
});
