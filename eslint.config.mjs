// @ts-check
import js from '@eslint/js';
import reactHooks from 'eslint-plugin-react-hooks';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const NODE_BUILTINS = [
  'assert', 'buffer', 'child_process', 'cluster', 'crypto', 'dgram', 'dns', 'events', 'fs', 'fs/promises', 'http',
  'http2', 'https', 'module', 'net', 'os', 'path', 'perf_hooks', 'process', 'readline', 'stream', 'tls', 'tty',
  'url', 'util', 'v8', 'vm', 'worker_threads', 'zlib',
];

/** The runtime boundaries of the design (§1, §6), enforced on every import. */
const noNode = [{ group: ['node:*'], message: 'This runtime has no Node: reach disk and network through the contract.' }];
// Bare builtin names are matched exactly (as paths, not patterns), so a folder such as
// shared/crypto/ is not mistaken for Node's crypto module.
const noNodeBuiltins = NODE_BUILTINS.map((name) => ({ name, message: 'This runtime has no Node.' }));
const noElectronPackage = { name: 'electron', message: 'Only electron/main.ts, electron/preload.ts and electron/ipc/electron-ipc-binding.ts import electron.' };

const noServer = { group: ['**/server/**'], message: 'The app never imports the network server (server/): it reaches it over HTTP.' };

const DOM_GLOBALS = ['window', 'document', 'navigator', 'localStorage', 'sessionStorage', 'location', 'history', 'indexedDB'];

export default tseslint.config(
  { ignores: ['out/**', 'dist/**', 'node_modules/**', 'bench-results/**', 'test-results/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      eqeqeq: ['error', 'always'],
      'no-console': 'error',
    },
  },
  {
    // Type-aware rules: a promise nobody awaits loses its error (an unhandled rejection in the body,
    // a silent failure in the mind), and an async callback where a void one is expected does too.
    files: ['electron/**/*.ts', 'renderer/**/*.{ts,tsx}', 'shared/**/*.ts', 'server/**/*.ts', 'test/**/*.{ts,tsx}', 'scripts/**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
    },
  },
  {
    files: ['shared/**/*.ts'],
    languageOptions: { globals: {} },
    rules: {
      'no-restricted-imports': ['error', {
        paths: [noElectronPackage, ...noNodeBuiltins, { name: 'react', message: 'shared/ is isomorphic and UI-free.' }],
        patterns: [...noNode, { group: ['**/electron/**', '**/renderer/**', '**/server/**'], message: 'shared/ imports nothing from electron/, renderer/ or server/.' }],
      }],
      'no-restricted-globals': ['error', ...DOM_GLOBALS, 'self', 'importScripts', 'postMessage', 'process', 'Buffer', 'require', '__dirname'],
    },
  },
  {
    files: ['renderer/**/*.{ts,tsx}'],
    languageOptions: { globals: { ...globals.browser } },
    plugins: { 'react-hooks': reactHooks },
    rules: {
      ...reactHooks.configs.recommended.rules,
      'no-restricted-imports': ['error', {
        paths: [noElectronPackage, ...noNodeBuiltins],
        patterns: [...noNode, { group: ['**/electron/**'], message: 'The mind reaches the body only through the contract in shared/ipc.' }, noServer],
      }],
      'no-restricted-globals': ['error', 'process', 'Buffer', 'require', '__dirname'],
    },
  },
  {
    files: ['electron/**/*.ts'],
    ignores: ['electron/main.ts', 'electron/preload.ts', 'electron/ipc/electron-ipc-binding.ts'],
    languageOptions: { globals: { ...globals.node } },
    rules: {
      // Type-only imports are erased at build time and may describe Electron objects anywhere.
      'no-restricted-imports': ['error', {
        paths: [{ ...noElectronPackage, allowTypeImports: true }],
        patterns: [{ group: ['**/renderer/**'], message: 'The body never imports the mind.' }, noServer],
      }],
    },
  },
  {
    files: ['electron/main.ts', 'electron/preload.ts', 'electron/ipc/electron-ipc-binding.ts'],
    languageOptions: { globals: { ...globals.node } },
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['**/renderer/**'], message: 'The body never imports the mind.' }, noServer] }],
    },
  },
  {
    // The network server (design §10) is its own deployable: it shares shared/ with the app and
    // nothing else, and the app never imports it (it talks to it over HTTP, like any member).
    files: ['server/**/*.ts'],
    languageOptions: { globals: { ...globals.node } },
    rules: {
      'no-restricted-imports': ['error', {
        paths: [{ ...noElectronPackage, message: 'The network server is not part of the desktop app: no electron.' }],
        patterns: [{ group: ['**/electron/**', '**/renderer/**'], message: 'server/ imports nothing from electron/ or renderer/ (shared/ is what both sides use).' }],
      }],
    },
  },
  {
    files: ['test/**/*.{ts,tsx}', 'scripts/**/*.{js,mjs,ts}', '*.config.{ts,mjs}'],
    languageOptions: { globals: { ...globals.node } },
    rules: {
      // Tests may import 'electron': vitest.config.ts resolves it to a stand-in or a vi.mock, never the real module.
      'no-console': 'off',
    },
  },
);
