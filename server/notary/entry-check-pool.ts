import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { EntryHasher, ledgerDomain, type LedgerEntry } from '../../shared/ledger/ledger-schema';
import { verifyEntrySignature } from '../../shared/network/notary';
import { nativeEntrySignatureCheck } from './native-secp256k1';

/**
 * The notary's CPU work per entry — its EIP-712 digest (≈ 0.04 ms) and its signature check
 * (≈ 0.06 ms with libsecp256k1, ≈ 0.45 ms with @noble/curves) — on worker threads, one per core:
 * a submission's entries are cut into one chunk per worker, and this thread only serves requests
 * and runs the sequencer. Small submissions are
 * checked here directly. A worker that fails is replaced by checking here: the pool only ever makes
 * the same checks faster, never different.
 */
export interface EntryCheckItem {
  readonly entry: LedgerEntry;
  readonly signature: string;
  readonly publicKey: Uint8Array;
}

export interface EntryCheckResult {
  readonly digest: string;
  readonly ok: boolean;
}

export interface EntryCheckRequest {
  readonly id: number;
  readonly chainId: number;
  readonly items: readonly EntryCheckItem[];
}

const hashers = new Map<number, EntryHasher>();
/** libsecp256k1 where its addon loads, else @noble/curves: the same answers (native-secp256k1.ts). */
const verify = nativeEntrySignatureCheck ?? verifyEntrySignature;

/** Which implementation checks entry signatures in this process, for the server's start line. */
export const ENTRY_SIGNATURE_CHECKER = nativeEntrySignatureCheck === null ? '@noble/curves' : 'libsecp256k1';

export function checkEntrySignatures(chainId: number, items: readonly EntryCheckItem[]): EntryCheckResult[] {
  let hasher = hashers.get(chainId);
  if (hasher === undefined) hashers.set(chainId, (hasher = new EntryHasher(ledgerDomain(chainId))));
  return items.map((item) => {
    const digest = hasher.hash(item.entry);
    return { digest, ok: verify(digest, item.signature, item.publicKey) };
  });
}

/** Fewer entries than this are checked on this thread alone. */
const INLINE_BELOW = 32;

export class EntryCheckPool {
  readonly #workers: (Worker | null)[];
  readonly #waiting = new Map<number, { resolve: (results: EntryCheckResult[]) => void; reject: (error: Error) => void }>();
  #next = 0;
  #fromWorkers = 0;

  constructor(
    private readonly chainId: number,
    size: number = Math.max(1, Math.min(4, availableParallelism())),
  ) {
    this.#workers = Array.from({ length: size }, (_, i) => this.#spawn(i));
  }

  #spawn(slot: number): Worker | null {
    try {
      const worker = new Worker(new URL('./entry-check-worker.mjs', import.meta.url));
      worker.unref();
      worker.on('message', (message: { id: number; results: EntryCheckResult[] }) => {
        const waiter = this.#waiting.get(message.id);
        this.#waiting.delete(message.id);
        this.#fromWorkers += message.results.length;
        waiter?.resolve(message.results);
      });
      const fail = (error: Error): void => {
        this.#workers[slot] = null;
        for (const waiter of this.#waiting.values()) waiter.reject(error);
        this.#waiting.clear();
      };
      worker.on('error', fail);
      worker.on('exit', () => fail(new Error('an entry-check worker exited')));
      return worker;
    } catch {
      return null;
    }
  }

  async check(items: readonly EntryCheckItem[]): Promise<EntryCheckResult[]> {
    const workers = this.#workers.filter((worker): worker is Worker => worker !== null);
    if (items.length < INLINE_BELOW || workers.length === 0) return checkEntrySignatures(this.chainId, items);
    // Every chunk goes to a worker: a chunk checked here would block this thread's event loop for
    // tens of milliseconds, holding up every other request and the sequencer's integration.
    const share = Math.ceil(items.length / workers.length);
    const chunks = workers.map((worker, i) => ({ worker, items: items.slice(i * share, (i + 1) * share) })).filter((chunk) => chunk.items.length > 0);
    const pending = chunks.map(
      (chunk) =>
        new Promise<EntryCheckResult[]>((resolve, reject) => {
          const id = ++this.#next;
          this.#waiting.set(id, { resolve, reject });
          chunk.worker.postMessage({ id, chainId: this.chainId, items: chunk.items } satisfies EntryCheckRequest);
        }).catch(() => checkEntrySignatures(this.chainId, chunk.items)),
    );
    return (await Promise.all(pending)).flat();
  }

  /** Entries the workers have checked so far (the rest were checked on this thread). */
  get checkedByWorkers(): number {
    return this.#fromWorkers;
  }

  async close(): Promise<void> {
    const workers = this.#workers.splice(0);
    await Promise.all(workers.map(async (worker) => worker?.terminate()));
  }
}
