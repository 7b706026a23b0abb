import { parentPort } from 'node:worker_threads';
import { checkEntrySignatures, type EntryCheckRequest } from './entry-check-pool';

/** A worker of the entry-check pool: EIP-712 digests and signature checks for a chunk of entries. */
parentPort!.on('message', (request: EntryCheckRequest) => {
  parentPort!.postMessage({ id: request.id, results: checkEntrySignatures(request.chainId, request.items) });
});
