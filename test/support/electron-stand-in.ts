/**
 * Resolved instead of the real `electron` package in every test (see vitest.config.ts). A test
 * that needs Electron APIs replaces this with vi.mock('electron', ...); anything else that reaches
 * for Electron fails at once with a clear message instead of trying to launch a binary.
 */
function unavailable(): never {
  throw new Error('The real electron module is not available in tests; use vi.mock("electron").');
}

const standIn = new Proxy({}, { get: (_target, key) => (key === '__esModule' ? false : unavailable()) });
export default standIn;
