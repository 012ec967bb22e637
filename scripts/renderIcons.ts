// Renders Cairn's icons from their SVG sources in assets/ into the PNG sizes each platform
// needs, plus the Windows .ico and macOS .icns containers built from those PNGs. The PNGs are
// committed; run this after changing an SVG:
//
//   node --import tsx scripts/renderIcons.ts
//
// It drives the system's Chromium (CAIRN_CHROMIUM, default /usr/bin/chromium) through
// playwright-core and never downloads a browser.

import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import type { Page } from 'playwright-core';
import { TRAY_STATES } from '../src-main/electron/appMessages.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const ASSETS = path.join(ROOT, 'assets');
const CHROMIUM = process.env.CAIRN_CHROMIUM ?? '/usr/bin/chromium';

/** App icon sizes (Linux icon set, and the sources of the .ico and .icns). */
export const APP_ICON_SIZES = [16, 32, 48, 64, 128, 256, 512, 1024] as const;
/** Sizes at or below this use the simplified drawing. */
const SMALL_ICON_MAX = 32;
/** Tray icon sizes (Windows and macOS 16, Linux 22, large panels 32), each also at @2x. */
export const TRAY_ICON_SIZES = [16, 22, 32] as const;
const ICO_SIZES = [16, 32, 48, 64, 128, 256] as const;
/** ICNS entry types holding PNG data, by pixel size (the @2x types reuse the larger PNGs). */
const ICNS_ENTRIES: readonly (readonly [string, number])[] = [
  ['icp4', 16],
  ['icp5', 32],
  ['icp6', 64],
  ['ic07', 128],
  ['ic08', 256],
  ['ic09', 512],
  ['ic10', 1024],
  ['ic11', 32],
  ['ic12', 64],
  ['ic13', 256],
  ['ic14', 512],
];

async function render(page: Page, svg: string, size: number): Promise<Buffer> {
  await page.setViewportSize({ width: size, height: size });
  const source = `data:image/svg+xml;base64,${Buffer.from(svg).toString('base64')}`;
  await page.setContent(
    `<!doctype html><html><body style="margin:0;background:transparent"><img id="icon" src="${source}" width="${size}" height="${size}" style="display:block"></body></html>`,
  );
  await page.locator('#icon').evaluate((image: HTMLImageElement) => image.decode());
  return page.screenshot({ omitBackground: true, clip: { x: 0, y: 0, width: size, height: size } });
}

/** An .ico holding PNG images (Windows Vista and later read PNG entries). */
export function icoOf(images: readonly { size: number; png: Buffer }[]): Buffer {
  const header = Buffer.alloc(6);
  header.writeUInt16LE(0, 0);
  header.writeUInt16LE(1, 2);
  header.writeUInt16LE(images.length, 4);
  const directory = Buffer.alloc(16 * images.length);
  let offset = header.length + directory.length;
  images.forEach(({ size, png }, index) => {
    const entry = index * 16;
    directory.writeUInt8(size >= 256 ? 0 : size, entry);
    directory.writeUInt8(size >= 256 ? 0 : size, entry + 1);
    directory.writeUInt8(0, entry + 2);
    directory.writeUInt8(0, entry + 3);
    directory.writeUInt16LE(1, entry + 4);
    directory.writeUInt16LE(32, entry + 6);
    directory.writeUInt32LE(png.length, entry + 8);
    directory.writeUInt32LE(offset, entry + 12);
    offset += png.length;
  });
  return Buffer.concat([header, directory, ...images.map((image) => image.png)]);
}

/** An .icns holding PNG entries. */
export function icnsOf(entries: readonly { type: string; png: Buffer }[]): Buffer {
  const chunks = entries.map(({ type, png }) => {
    const head = Buffer.alloc(8);
    head.write(type, 0, 'ascii');
    head.writeUInt32BE(png.length + 8, 4);
    return Buffer.concat([head, png]);
  });
  const head = Buffer.alloc(8);
  head.write('icns', 0, 'ascii');
  head.writeUInt32BE(8 + chunks.reduce((sum, chunk) => sum + chunk.length, 0), 4);
  return Buffer.concat([head, ...chunks]);
}

async function main(): Promise<void> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  try {
    const page = await browser.newPage({ deviceScaleFactor: 1 });
    const large = await readFile(path.join(ASSETS, 'icon.svg'), 'utf8');
    const small = await readFile(path.join(ASSETS, 'icon-small.svg'), 'utf8');
    const appIcons = new Map<number, Buffer>();
    await mkdir(path.join(ASSETS, 'icons'), { recursive: true });
    for (const size of APP_ICON_SIZES) {
      const png = await render(page, size <= SMALL_ICON_MAX ? small : large, size);
      appIcons.set(size, png);
      await writeFile(path.join(ASSETS, 'icons', `${size}x${size}.png`), png);
    }
    await writeFile(path.join(ASSETS, 'icon.ico'), icoOf(ICO_SIZES.map((size) => ({ size, png: appIcons.get(size)! }))));
    await writeFile(path.join(ASSETS, 'icon.icns'), icnsOf(ICNS_ENTRIES.map(([type, size]) => ({ type, png: appIcons.get(size)! }))));

    for (const state of TRAY_STATES) {
      const svg = await readFile(path.join(ASSETS, 'tray', `${state}.svg`), 'utf8');
      for (const size of TRAY_ICON_SIZES) {
        await writeFile(path.join(ASSETS, 'tray', `${state}-${size}.png`), await render(page, svg, size));
        await writeFile(path.join(ASSETS, 'tray', `${state}-${size}@2x.png`), await render(page, svg, size * 2));
      }
    }
    process.stdout.write(`rendered ${APP_ICON_SIZES.length} app icons, icon.ico, icon.icns and ${TRAY_STATES.length * TRAY_ICON_SIZES.length * 2} tray icons\n`);
  } finally {
    await browser.close();
  }
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await main();
}
