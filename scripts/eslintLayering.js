// The layering of the code base as allow-lists, in the manner of VS Code's code-layering rule:
// each folder says what it may import (folders of this repository, npm packages, Node's
// built-in modules), and `local/layering` reports every import outside that list. A new import
// across folders is therefore a decision made here, never an accident. Outside
// src-main/engine/, the engine may be imported only through its public entry (index.ts).
//
// ARCHITECTURE.md's map says the same in prose; keep the two in step.

import { builtinModules } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const REPOSITORY = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Stands for Node's built-in modules (`node:fs`, `fs`, ...) in an allow-list. */
export const NODE = 'node built-ins';

const ENGINE_ENTRY = 'src-main/engine/index.ts';

/**
 * Each folder (the first that contains a file decides) with what its files may import: folder
 * prefixes of this repository (ending in /), single files, npm packages, or NODE. `except`
 * carves folders out of what `may` allows. Files in no folder here (tests, benchmarks,
 * scripts) are not restricted.
 */
export const LAYERS = [
  {
    folder: 'shared/node/',
    may: ['shared/', NODE],
    why: 'shared/node/ holds Node code that client and server share: shared/ and Node built-ins only',
  },
  {
    folder: 'shared/',
    may: ['shared/', 'zod'],
    except: ['shared/node/'],
    why: 'shared/ is pure TypeScript that runs anywhere: no Node, DOM, Electron or client/server code',
  },
  {
    folder: 'src-main/profile/',
    may: ['shared/', 'src-main/profile/', NODE],
    why: 'the profile folder (home, secrets, lock) stands below the engine and everything that opens a profile',
  },
  {
    folder: 'src-main/engine/',
    may: ['shared/', 'src-main/profile/', 'src-main/engine/', NODE, 'better-sqlite3', 'undici', 'chokidar', '@parcel/watcher', 'ignore', 'zod'],
    why: 'the engine is a library: it never imports Electron, the CLI, the daemon, the server or the renderer',
  },
  {
    folder: 'src-main/daemon/',
    may: ['shared/', 'src-main/profile/', 'src-main/daemon/', ENGINE_ENTRY, NODE, 'zod'],
    why: 'the daemon hosts the engine through its public entry; it is plain Node',
  },
  {
    folder: 'src-main/cli/',
    may: ['shared/', 'src-main/profile/', 'src-main/daemon/', 'src-main/cli/', NODE],
    why: 'the CLI speaks SyncApi (a daemon, or the daemon service in its own process); it never reaches into the engine',
  },
  {
    folder: 'src-main/electron/',
    may: ['shared/', 'src-main/profile/', 'src-main/daemon/', 'src-main/electron/', NODE, 'electron', 'zod'],
    why: 'the desktop shell hosts the daemon service and speaks SyncApi; it never reaches into the engine',
  },
  {
    folder: 'src-renderer/',
    may: ['shared/', 'src-renderer/', 'react', 'react-dom'],
    except: ['shared/node/'],
    why: 'the renderer runs in a browser and reaches the engine only through the typed API in shared/',
  },
  {
    folder: 'src-server/storage/postgres/',
    may: ['shared/', 'src-server/', NODE, 'pg', 'zod'],
    why: 'the scale-out metadata store is the server\'s one owner of pg (PostgreSQL)',
  },
  {
    folder: 'src-server/storage/s3/',
    may: ['shared/', 'src-server/', NODE, 'undici', 'aws4fetch'],
    why: 'the S3 client and chunk store are the server\'s one owner of undici and aws4fetch',
  },
  {
    folder: 'src-server/',
    may: ['shared/', 'src-server/', NODE, 'better-sqlite3', 'zod'],
    why: 'the server never imports client code; both sides speak the protocol in shared/',
  },
];

const WITHOUT_EXTENSION = /\.(?:[cm]?[jt]sx?)$/;

function packageOf(specifier) {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

function isNodeBuiltin(specifier) {
  return specifier.startsWith('node:') || builtinModules.includes(specifier) || builtinModules.includes(packageOf(specifier));
}

function allows(entry, target) {
  if (entry === NODE) return target.kind === 'node';
  if (target.kind === 'package') return entry === target.name;
  if (target.kind !== 'file') return false;
  if (entry.endsWith('/')) return target.path.startsWith(entry);
  return target.path.replace(WITHOUT_EXTENSION, '') === entry.replace(WITHOUT_EXTENSION, '');
}

/** What an import specifier in `file` (repository-relative, '/'-separated) points at. */
export function importTarget(file, specifier) {
  if (specifier.startsWith('.') || specifier.startsWith('/')) {
    const resolved = specifier.startsWith('/') ? path.posix.relative(REPOSITORY.split(path.sep).join('/'), specifier) : path.posix.join(path.posix.dirname(file), specifier);
    return { kind: 'file', path: path.posix.normalize(resolved) };
  }
  if (isNodeBuiltin(specifier)) return { kind: 'node', name: specifier };
  return { kind: 'package', name: packageOf(specifier) };
}

/** The layer of a repository-relative file, or undefined. */
export function layerOf(file) {
  return LAYERS.find((layer) => file.startsWith(layer.folder));
}

/** Why `file` may not import `specifier`, or null when it may. */
export function refusal(file, specifier) {
  const layer = layerOf(file);
  if (layer === undefined) return null;
  const target = importTarget(file, specifier);
  const excepted = target.kind === 'file' && (layer.except ?? []).some((folder) => target.path.startsWith(folder));
  if (!excepted && layer.may.some((entry) => allows(entry, target))) return null;
  if (target.kind === 'file' && target.path.startsWith('src-main/engine/') && layer.may.includes(ENGINE_ENTRY)) {
    return `outside src-main/engine/ only the engine's public entry (${ENGINE_ENTRY}) may be imported, not ${target.path}`;
  }
  const what = target.kind === 'file' ? target.path : target.kind === 'node' ? `the Node built-in ${target.name}` : `the package ${target.name}`;
  return `${layer.folder} may import only ${layer.may.join(', ')}${layer.except ? ` (not ${layer.except.join(', ')})` : ''}; not ${what}: ${layer.why}`;
}

const layeringRule = {
  meta: {
    type: 'problem',
    docs: { description: 'Each folder imports only what its allow-list in scripts/eslintLayering.js names.' },
    schema: [],
  },
  create(context) {
    const file = path.relative(REPOSITORY, context.filename).split(path.sep).join('/');
    if (layerOf(file) === undefined) return {};
    const check = (node, source) => {
      if (source === null || source === undefined || source.type !== 'Literal' || typeof source.value !== 'string') return;
      const message = refusal(file, source.value);
      if (message !== null) context.report({ node, message });
    };
    return {
      ImportDeclaration: (node) => check(node, node.source),
      ExportNamedDeclaration: (node) => check(node, node.source),
      ExportAllDeclaration: (node) => check(node, node.source),
      ImportExpression: (node) => check(node, node.source),
      TSImportEqualsDeclaration: (node) => {
        if (node.moduleReference.type === 'TSExternalModuleReference') check(node, node.moduleReference.expression);
      },
    };
  },
};

export const layeringPlugin = { rules: { layering: layeringRule } };
