import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// Tests never load the real electron module (its binary cannot be downloaded on every machine):
// the alias points it at a stand-in that fails loudly unless a test mocks it with vi.mock('electron').
const electronStandIn = fileURLToPath(new URL('./test/support/electron-stand-in.ts', import.meta.url));

export default defineConfig({
  resolve: { alias: { electron: electronStandIn } },
  define: { __APP_VERSION__: JSON.stringify('0.0.0-test') },
  test: {
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          environment: 'node',
          // Integration tests (real sockets, fsync, child processes) share 2 cores with everything
          // else in CI; a timeout here only catches hangs, it is not a speed assertion.
          testTimeout: 30_000,
          hookTimeout: 30_000,
          include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
          exclude: ['test/e2e/**', 'test/interop/**', 'test/bench/**'],
          setupFiles: ['test/support/dom-wait-timeout.ts'],
        },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          environment: 'node',
          include: ['test/e2e/**/*.test.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
          // One Chromium at a time on a 2-core machine.
          fileParallelism: false,
        },
      },
      {
        extends: true,
        test: {
          name: 'interop',
          environment: 'node',
          include: ['test/interop/**/*.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
