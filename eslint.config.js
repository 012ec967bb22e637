// Lint and layering rules. The layering (scripts/eslintLayering.js) makes a wrong import fail
// `npm run check`: each folder imports only what its allow-list names (shared/ is pure
// TypeScript, the engine never sees Electron, outside the engine only its public entry may be
// imported, the renderer sees only shared/, the server never imports client code).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';
import { layeringPlugin } from './scripts/eslintLayering.js';

export default tseslint.config(
  { ignores: ['dist/**', 'dist-renderer/**', 'release/**', 'node_modules/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    plugins: { local: layeringPlugin },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-constant-condition': ['error', { checkLoops: false }],
      'local/layering': 'error',
    },
  },
  {
    files: ['src-renderer/**/*.ts', 'src-renderer/**/*.tsx'],
    languageOptions: { globals: { ...globals.browser } },
  },
);
