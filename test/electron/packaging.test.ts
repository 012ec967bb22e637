// The packaged app's layout (scripts/checkPackaging.ts): electron-builder builds the unpacked
// Linux app around a stub Electron, offline, and the check reads the archive. It needs the
// compiled app (`npm run build`) and the built UI (`npx vite build`): without them it is skipped
// on a developer's machine and fails in CI, which must build them first.

import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REQUIRED_INPUTS, checkPackaging, importsOf, packageOf, readAsarFile, readAsarIndex, unresolvedImport } from '../../scripts/checkPackaging.js';

const missing = REQUIRED_INPUTS.filter((input) => !existsSync(path.resolve(input)));
const skip = missing.length > 0 && !process.env.CI;
if (skip) console.warn(`packaging check skipped: ${missing.join(', ')} missing (run \`npm run build\` and \`npx vite build\`; CI always runs it)`);

describe('the packaged app', () => {
  it.skipIf(skip)(
    'holds the main process, preload, engine host, UI and icons in app.asar, with the native modules unpacked',
    async () => {
      const report = await checkPackaging();
      expect(report.problems).toEqual([]);
      expect(report.facts.some((fact) => fact.startsWith('imports of '))).toBe(true);
    },
    180_000,
  );
});

describe('the checks it is made of', () => {
  it('finds every kind of import in compiled code', () => {
    const source = [
      "import { app } from 'electron';",
      "import path from 'node:path';",
      "export { parse } from './parser.js';",
      "import './sideEffect.js';",
      "export * from '../shared/api/index.js';",
      "const lazy = await import('./lazy.js');",
      "const electron = require('electron');",
      "const text = 'this import is from a string';",
    ].join('\n');
    expect(importsOf(source).sort()).toEqual(['../shared/api/index.js', './lazy.js', './parser.js', './sideEffect.js', 'electron', 'node:path'].sort());
  });

  it('resolves imports against the archive', () => {
    const files = new Map<string, unknown>([
      ['dist/src-main/electron/main.js', null],
      ['dist/shared/api/index.js', null],
      ['node_modules/zod/package.json', null],
      ['node_modules/@parcel/watcher/package.json', null],
    ]);
    const from = 'dist/src-main/electron/main.js';
    expect(unresolvedImport('../../shared/api/index.js', from, files)).toBeNull();
    expect(unresolvedImport('zod/v4', from, files)).toBeNull();
    expect(unresolvedImport('@parcel/watcher', from, files)).toBeNull();
    expect(unresolvedImport('electron', from, files)).toBeNull();
    expect(unresolvedImport('node:fs', from, files)).toBeNull();
    expect(unresolvedImport('worker_threads', from, files)).toBeNull();
    expect(unresolvedImport('./appTray.js', from, files)).toBe('dist/src-main/electron/main.js imports ./appTray.js, which is not packaged');
    expect(unresolvedImport('react', from, files)).toBe('dist/src-main/electron/main.js imports the package react, which is not packaged');
    expect(packageOf('@scope/name/deep/file.js')).toBe('@scope/name');
  });

  it('reads an asar archive', () => {
    const content = Buffer.from('{"main":"dist/main.js"}');
    const header = JSON.stringify({
      files: {
        'package.json': { size: content.length, offset: '0' },
        node_modules: { files: { native: { files: { 'addon.node': { size: 10, unpacked: true } } } } },
      },
    });
    const json = Buffer.from(header);
    const pickle = Buffer.alloc(8);
    pickle.writeUInt32LE(4 + 4 + json.length, 0);
    pickle.writeUInt32LE(json.length, 4);
    const size = Buffer.alloc(8);
    size.writeUInt32LE(4, 0);
    size.writeUInt32LE(pickle.length + json.length, 4);
    const archive = Buffer.concat([size, pickle, json, content]);
    const index = readAsarIndex(archive);
    expect([...index.files.keys()]).toEqual(['package.json', 'node_modules/native/addon.node']);
    expect(index.files.get('node_modules/native/addon.node')).toEqual({ size: 10, offset: null, unpacked: true });
    expect(readAsarFile(archive, index, 'package.json').toString()).toBe('{"main":"dist/main.js"}');
    expect(() => readAsarIndex(Buffer.from('PK\u0003\u0004 not an archive'))).toThrow('not an asar archive');
  });
});
