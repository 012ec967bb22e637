// Lint and layering rules. The layering rules make a wrong import fail `npm run check`:
// shared/ is pure TypeScript, the engine never sees Electron, the renderer sees only shared/,
// and the server never imports client code.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

const nodeBuiltins = ['node:*', 'fs', 'path', 'os', 'crypto', 'http', 'https', 'net', 'child_process', 'worker_threads', 'stream', 'url', 'util', 'events', 'buffer', 'zlib'];

const restrict = (groups, message) => ({
  'no-restricted-imports': ['error', { patterns: [{ group: groups, message }] }],
});

export default tseslint.config(
  { ignores: ['dist/**', 'dist-renderer/**', 'release/**', 'node_modules/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-constant-condition': ['error', { checkLoops: false }],
    },
  },
  {
    files: ['shared/**/*.ts'],
    ignores: ['shared/node/**'],
    rules: restrict(
      [...nodeBuiltins, 'electron', 'electron/*', 'react', 'react-dom', 'react/*', '**/src-main/**', '**/src-server/**', '**/src-renderer/**', 'better-sqlite3', 'undici', 'chokidar'],
      'shared/ is pure TypeScript: no Node, DOM, Electron or client/server code.',
    ),
  },
  {
    files: ['src-main/engine/**/*.ts', 'src-main/cli/**/*.ts', 'src-main/daemon/**/*.ts'],
    rules: restrict(
      ['electron', 'electron/*', '**/src-server/**', '**/src-renderer/**', 'react', 'react-dom', '**/electron/**'],
      'Engine, daemon and CLI code is plain Node: no Electron, server or renderer imports.',
    ),
  },
  {
    files: ['src-main/engine/**/*.ts'],
    rules: restrict(
      ['electron', 'electron/*', '**/src-server/**', '**/src-renderer/**', 'react', 'react-dom', '**/electron/**', '**/cli/**', '**/daemon/**'],
      'The engine is a library: it never imports Electron, the CLI, the daemon, the server or the renderer.',
    ),
  },
  {
    files: ['src-renderer/**/*.ts', 'src-renderer/**/*.tsx'],
    languageOptions: { globals: { ...globals.browser } },
    rules: restrict(
      [...nodeBuiltins, 'electron', 'electron/*', '**/src-main/**', '**/src-server/**', 'better-sqlite3', 'undici', 'chokidar'],
      'The renderer reaches the engine only through the typed API in shared/.',
    ),
  },
  {
    files: ['src-server/**/*.ts'],
    rules: restrict(
      ['electron', 'electron/*', '**/src-main/**', '**/src-renderer/**', 'react', 'react-dom'],
      'The server never imports client code; both sides speak the protocol in shared/.',
    ),
  },
);
