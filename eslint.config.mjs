import js from '@eslint/js';
import reactHooks from 'eslint-plugin-react-hooks';
import globals from 'globals';
import tseslint from 'typescript-eslint';
import nova from './eslint/core-boundaries.mjs';

const nodeBuiltins = ['node:*', 'fs', 'path', 'os', 'crypto', 'child_process', 'http', 'https', 'net', 'url', 'events', 'stream', 'zlib', 'worker_threads'];

export default tseslint.config(
  { ignores: ['out/**', 'dist/**', 'node_modules/**', 'test-results/**', 'playwright-report/**', '.tools/**', '.electron-native/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-restricted-properties': [
        'error',
        { object: 'describe', property: 'only', message: 'Do not commit .only.' },
        { object: 'it', property: 'only', message: 'Do not commit .only.' },
        { object: 'test', property: 'only', message: 'Do not commit .only.' },
      ],
    },
  },
  {
    files: ['src/**/*.{ts,tsx}'],
    rules: { 'no-console': 'error' },
  },
  {
    // CommonJS scripts (loaded by the TypeScript suites and the .mjs scripts alike) require.
    files: ['**/*.cjs'],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: ['src/shared/**'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          { group: ['electron', 'electron/*', 'electron-log*', 'better-sqlite3', 'react', 'react-*', ...nodeBuiltins], message: 'src/shared runs in every process: it imports no electron, node or react.' },
          { group: ['**/main/**', '**/renderer/**', '**/preload/**', '**/server/**'], message: 'src/shared imports nothing of ours.' },
        ],
      }],
    },
  },
  {
    // Resolved per file, so type-only imports and `../index` from any depth are caught (tested in tests/lint).
    files: ['src/main/**/*.ts'],
    plugins: { nova },
    rules: { 'nova/core-boundaries': 'error' },
  },
  {
    files: ['src/main/**'],
    ignores: ['src/main/index.ts', 'src/main/shell/**'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          { group: ['electron', 'electron/*', 'electron-log/main', 'electron-updater'], message: 'Only the shell (src/main/index.ts, src/main/shell/) imports electron; the core runs in plain Node.' },
          { group: ['**/renderer/**', '**/preload/**', '**/server/**'], message: 'main does not reach into other processes or the reference server.' },
        ],
      }],
    },
  },
  {
    // The shell's rules: Electron's types only. Electron's objects are passed in by
    // src/main/index.ts, so every module here runs against the test double as against Electron.
    files: ['src/main/shell/**'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          { group: ['electron', 'electron/*', 'electron-log/main', 'electron-updater'], allowTypeImports: true, message: 'Shell modules take Electron objects (and electron-updater, which requires electron) as parameters; only src/main/index.ts imports their values.' },
          { group: ['**/renderer/**', '**/preload/**', '**/server/**'], message: 'The shell does not import other processes or the reference server.' },
        ],
      }],
    },
  },
  {
    files: ['src/main/index.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [{ group: ['**/renderer/**', '**/preload/**', '**/server/**'], message: 'The shell wires the core; it does not import other processes.' }],
      }],
    },
  },
  {
    files: ['src/preload/**'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          { group: ['**/main/**', '**/renderer/**', '**/server/**', ...nodeBuiltins], message: 'The preload exposes the contract and nothing else.' },
        ],
      }],
    },
  },
  {
    files: ['src/renderer/**'],
    languageOptions: { globals: { ...globals.browser } },
    plugins: { 'react-hooks': reactHooks },
    rules: {
      ...reactHooks.configs.recommended.rules,
      'no-restricted-imports': ['error', {
        patterns: [
          { group: ['electron', 'electron/*', 'electron-log*', 'better-sqlite3', 'ws', ...nodeBuiltins], message: 'The renderer talks to main only through window.api.' },
          { group: ['**/main/**', '**/server/**', '**/preload/index*'], message: 'The renderer imports only src/shared and the preload types.' },
        ],
      }],
    },
  },
  {
    files: ['server/**'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [{ group: ['**/src/main/**', '**/src/renderer/**', '**/src/preload/**'], message: 'The reference server shares only src/shared with the app.' }],
      }],
    },
  },
);
