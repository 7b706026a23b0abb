import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root, wherever the test runner was started from. */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The built browser shell (`npm run build` makes it). */
export const SHELL_ENTRY = path.join(REPO_ROOT, 'out', 'main', 'shell.js');

/** Where e2e runs leave their artefacts (screenshots); ignored by git. */
export const TEST_RESULTS_DIR = path.join(REPO_ROOT, 'test-results');
