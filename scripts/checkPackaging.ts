// Checks the desktop app's packaging without Electron: electron-builder builds the unpacked
// Linux app (`--linux dir`) from electron-builder.yml around a stub Electron folder (the real
// binary cannot be downloaded here), without rebuilding native modules and without network,
// into a temporary folder; then the layout is checked for what the app needs at run time:
//
// - resources/app.asar holds package.json, whose main is the compiled main process, the
//   preload (CommonJS, requiring only electron), the engine host, the UI's index.html and the
//   tray icons, and no sources, tests or source maps of ours;
// - every import of every shipped file of ours resolves inside the archive (a file left out by
//   the `files` patterns would otherwise fail only on a user's machine);
// - the native modules are unpacked beside the archive.
//
//   node --import tsx scripts/checkPackaging.ts      (after `npm run build` and `npx vite build`)

import { execFile } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { builtinModules } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** What the package must contain before electron-builder can run. */
export const REQUIRED_INPUTS = ['dist/src-main/electron/main.js', 'dist/src-main/electron/preload.cjs', 'dist/src-main/electron/engineHostMain.js', 'dist-renderer/index.html'];

// ---- the asar archive -------------------------------------------------------------------------

export interface AsarFile {
  readonly size: number;
  /** Where the file's bytes start after the header, or null for an unpacked file. */
  readonly offset: number | null;
  readonly unpacked: boolean;
}

export interface AsarIndex {
  /** Files by '/'-separated path inside the archive. */
  readonly files: ReadonlyMap<string, AsarFile>;
  /** Where file data starts in the archive. */
  readonly dataOffset: number;
}

interface AsarNode {
  files?: Record<string, AsarNode>;
  size?: number;
  offset?: string;
  unpacked?: boolean;
  link?: string;
}

/** Reads an asar archive's header: a size pickle, then a pickle holding the JSON file tree. */
export function readAsarIndex(archive: Buffer): AsarIndex {
  if (archive.length < 16 || archive.readUInt32LE(0) !== 4) throw new Error('not an asar archive');
  const headerPickleSize = archive.readUInt32LE(4);
  const jsonLength = archive.readUInt32LE(12);
  const tree = JSON.parse(archive.subarray(16, 16 + jsonLength).toString('utf8')) as AsarNode;
  const files = new Map<string, AsarFile>();
  const walk = (node: AsarNode, prefix: string) => {
    for (const [name, child] of Object.entries(node.files ?? {})) {
      const entryPath = prefix === '' ? name : `${prefix}/${name}`;
      if (child.files !== undefined) walk(child, entryPath);
      else if (child.link === undefined) {
        files.set(entryPath, { size: child.size ?? 0, offset: child.unpacked ? null : Number(child.offset ?? 0), unpacked: child.unpacked === true });
      }
    }
  };
  walk(tree, '');
  return { files, dataOffset: 8 + headerPickleSize };
}

export function readAsarFile(archive: Buffer, index: AsarIndex, filePath: string): Buffer {
  const file = index.files.get(filePath);
  if (file === undefined) throw new Error(`${filePath} is not in the archive`);
  if (file.offset === null) throw new Error(`${filePath} is unpacked`);
  return archive.subarray(index.dataOffset + file.offset, index.dataOffset + file.offset + file.size);
}

// ---- imports ----------------------------------------------------------------------------------

const IMPORT_PATTERNS = [
  /(?:^|[;\n}])\s*(?:import|export)\s[^'";]*?\sfrom\s*['"]([^'"]+)['"]/g,
  /(?:^|[;\n}])\s*import\s*['"]([^'"]+)['"]/g,
  /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g,
  /\brequire\(\s*['"]([^'"]+)['"]\s*\)/g,
];

/** The module specifiers a compiled file imports or requires with a literal. */
export function importsOf(source: string): string[] {
  const found = new Set<string>();
  for (const pattern of IMPORT_PATTERNS) for (const match of source.matchAll(pattern)) found.add(match[1]!);
  return [...found];
}

const BUILTINS = new Set(builtinModules);

/** The package a bare specifier names: `zod/v4` is `zod`, `@parcel/watcher` stays whole. */
export function packageOf(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
}

/** Why `specifier`, imported by `from`, cannot be loaded from the archive, or null when it can. */
export function unresolvedImport(specifier: string, from: string, files: ReadonlyMap<string, unknown>): string | null {
  if (specifier === 'electron' || specifier.startsWith('node:') || BUILTINS.has(specifier)) return null;
  if (specifier.startsWith('.')) {
    const target = path.posix.normalize(path.posix.join(path.posix.dirname(from), specifier));
    return files.has(target) ? null : `${from} imports ${specifier}, which is not packaged`;
  }
  const name = packageOf(specifier);
  return files.has(`node_modules/${name}/package.json`) ? null : `${from} imports the package ${name}, which is not packaged`;
}

// ---- the check --------------------------------------------------------------------------------

export interface PackagingReport {
  readonly problems: readonly string[];
  readonly facts: readonly string[];
  readonly seconds: number;
}

function run(command: string, args: readonly string[], options: { cwd: string; env: NodeJS.ProcessEnv }): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(command, args, { ...options, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : 1, output: `${stdout}${stderr}` });
    });
  });
}

async function exists(file: string): Promise<boolean> {
  try {
    await stat(file);
    return true;
  } catch {
    return false;
  }
}

/**
 * The stub Electron: electron-builder copies the folder and renames its `electron` binary to the
 * app's executable name; nothing else of it is read for an unpacked Linux build.
 */
async function writeElectronStub(folder: string): Promise<void> {
  await mkdir(folder, { recursive: true });
  await writeFile(path.join(folder, 'electron'), '#!/bin/sh\necho "stub Electron: this build only checks the packaged layout" >&2\nexit 1\n');
  await chmod(path.join(folder, 'electron'), 0o755);
}

export async function checkPackaging(options: { readonly projectDir?: string; readonly keepOutput?: boolean } = {}): Promise<PackagingReport> {
  const started = Date.now();
  const projectDir = options.projectDir ?? ROOT;
  const problems: string[] = [];
  const facts: string[] = [];
  for (const input of REQUIRED_INPUTS) {
    if (!(await exists(path.join(projectDir, input)))) problems.push(`${input} is missing: run \`npm run build\` and \`npx vite build\` first`);
  }
  if (problems.length > 0) return { problems, facts, seconds: (Date.now() - started) / 1000 };

  const work = await mkdtemp(path.join(os.tmpdir(), 'cairn-packaging-'));
  try {
    const stub = path.join(work, 'electron-stub');
    const output = path.join(work, 'out');
    await writeElectronStub(stub);
    const builder = await run(
      process.execPath,
      [
        path.join(projectDir, 'node_modules', 'electron-builder', 'cli.js'),
        '--linux',
        'dir',
        '--publish',
        'never',
        `-c.electronDist=${stub}`,
        '-c.npmRebuild=false',
        `-c.directories.output=${output}`,
      ],
      // No code signing, no update checks, no downloads: only what is on this machine.
      { cwd: projectDir, env: { ...process.env, CSC_IDENTITY_AUTO_DISCOVERY: 'false', ELECTRON_BUILDER_OFFLINE: 'true', CI: 'true' } },
    );
    if (builder.code !== 0) {
      problems.push(`electron-builder failed (exit ${builder.code}):\n${builder.output}`);
      return { problems, facts, seconds: (Date.now() - started) / 1000 };
    }

    const appDir = path.join(output, 'linux-unpacked');
    if (!(await exists(path.join(appDir, 'cairn')))) problems.push('the executable linux-unpacked/cairn is missing');
    const archivePath = path.join(appDir, 'resources', 'app.asar');
    if (!(await exists(archivePath))) {
      problems.push('resources/app.asar is missing');
      return { problems, facts, seconds: (Date.now() - started) / 1000 };
    }
    const archive = await readFile(archivePath);
    const index = readAsarIndex(archive);
    facts.push(`app.asar: ${index.files.size} files, ${(archive.length / 1024 / 1024).toFixed(1)} MiB`);

    const manifest = JSON.parse(readAsarFile(archive, index, 'package.json').toString('utf8')) as { main?: string; productName?: string };
    const main = manifest.main === undefined ? '' : path.posix.normalize(manifest.main);
    if (!index.files.has(main)) problems.push(`the main entry ${manifest.main} is not in app.asar`);
    for (const file of [
      'dist/src-main/electron/main.js',
      'dist/src-main/electron/preload.cjs',
      'dist/src-main/electron/engineHostMain.js',
      'dist-renderer/index.html',
      'assets/icons/256x256.png',
      'assets/tray/up-to-date-22.png',
      'assets/tray/up-to-date-16@2x.png',
    ]) {
      if (!index.files.has(file)) problems.push(`${file} is not in app.asar`);
    }
    for (const file of index.files.keys()) {
      if (file.startsWith('node_modules/')) continue;
      if (/\.(ts|tsx|cts|mts|map)$/.test(file) || /^(test|src-main|src-renderer|src-server|shared|bench|scripts)\//.test(file)) {
        problems.push(`${file} should not be packaged`);
      }
    }

    // Every import of every file of ours resolves inside the archive.
    let checked = 0;
    for (const file of index.files.keys()) {
      if (file.startsWith('node_modules/') || !/\.(js|cjs)$/.test(file)) continue;
      checked += 1;
      for (const specifier of importsOf(readAsarFile(archive, index, file).toString('utf8'))) {
        const problem = unresolvedImport(specifier, file, index.files);
        if (problem !== null) problems.push(problem);
      }
    }
    facts.push(`imports of ${checked} files resolve inside the archive`);
    const preloadImports = importsOf(readAsarFile(archive, index, 'dist/src-main/electron/preload.cjs').toString('utf8'));
    if (preloadImports.join() !== 'electron') problems.push(`the preload must require only electron, not ${preloadImports.join(', ')}`);
    if (!/<meta\s+http-equiv="Content-Security-Policy"/i.test(readAsarFile(archive, index, 'dist-renderer/index.html').toString('utf8'))) {
      facts.push('warning: dist-renderer/index.html has no Content-Security-Policy meta (main adds the header as well)');
    }

    // Native modules, unpacked beside the archive.
    const unpacked = path.join(appDir, 'resources', 'app.asar.unpacked');
    const sqlite = 'node_modules/better-sqlite3/build/Release/better_sqlite3.node';
    if (index.files.get(sqlite)?.unpacked !== true || !(await exists(path.join(unpacked, sqlite)))) problems.push(`${sqlite} is not unpacked`);
    const watchers = [...index.files.entries()].filter(([file]) => /^node_modules\/@parcel\/watcher-[^/]+\/.*\.node$/.test(file));
    if (watchers.length === 0) problems.push('no native @parcel/watcher binary is packaged');
    for (const [file, entry] of watchers) {
      if (!entry.unpacked || !(await exists(path.join(unpacked, file)))) problems.push(`${file} is not unpacked`);
    }
    facts.push(`unpacked: ${[sqlite, ...watchers.map(([file]) => file)].join(', ')}`);
    if (options.keepOutput) facts.push(`output kept in ${output}`);
    return { problems, facts, seconds: (Date.now() - started) / 1000 };
  } finally {
    if (!options.keepOutput) await rm(work, { recursive: true, force: true });
  }
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const report = await checkPackaging({ keepOutput: process.argv.includes('--keep') });
  for (const fact of report.facts) process.stdout.write(`${fact}\n`);
  for (const problem of report.problems) process.stderr.write(`problem: ${problem}\n`);
  process.stdout.write(`${report.problems.length === 0 ? 'packaging check passed' : 'packaging check FAILED'} in ${report.seconds.toFixed(1)} s\n`);
  process.exitCode = report.problems.length === 0 ? 0 : 1;
}
