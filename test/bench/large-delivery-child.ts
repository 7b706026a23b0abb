// Child of large-delivery.bench.ts: one release of argv[2] bytes of synthetic DICOM (instances of
// argv[3] bytes) from the clinic's mind to a folder (large-delivery-flow.ts), in a fresh process so
// its memory is its own. Progress on stderr; the result as one JSON line on stdout.
//
// @noble/hashes is ESM only. Required by our CommonJS-compiled TypeScript under tsx, it is
// transformed to CommonJS and its SHA-256 runs 10–20× slower than the same code loaded as ESM (4.5
// against 64 MiB/s here; README, dataset package). The app's mind loads it as ESM (the renderer
// bundle), and every pass over the package hashes with it (sealing twice, opening twice, saving
// twice), so here the module is loaded as ESM first and put where require() finds it: the mind's
// code is unchanged, it only gets the module the app would give it.
import { createRequire } from 'node:module';
import type { LargeDeliveryResult } from './large-delivery-flow';

async function main(): Promise<void> {
  const [targetBytes, instanceBytes] = [Number(process.argv[2]), Number(process.argv[3])];
  if (!Number.isSafeInteger(targetBytes) || targetBytes < 1 || !Number.isSafeInteger(instanceBytes) || instanceBytes < 1) throw new Error('usage: large-delivery-child.ts <bytes> <instance bytes>');
  const require = createRequire(__filename);
  const file = require.resolve('@noble/hashes/sha2.js');
  const esm = (await import('@noble/hashes/sha2.js')) as object;
  require.cache[file] = Object.assign(Object.create(null) as NodeJS.Module, { id: file, filename: file, loaded: true, exports: esm, children: [], paths: [] });
  const { runLargeDelivery } = await import('./large-delivery-flow');
  const result: LargeDeliveryResult = await runLargeDelivery(targetBytes, instanceBytes, (line) => void process.stderr.write(`${line}\n`));
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`large-delivery child: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  },
);
