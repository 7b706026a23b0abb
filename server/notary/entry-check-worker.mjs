// Bootstrap of a worker of the entry-check pool: the server runs its TypeScript through tsx, which a
// worker thread does not inherit, so the worker registers tsx (both module systems: this package is
// CommonJS) before loading entry-check-worker.ts.
import { register as registerCjs } from 'tsx/cjs/api';
import { register as registerEsm } from 'tsx/esm/api';

registerCjs();
registerEsm();
await import('./entry-check-worker.ts');
