import { appendFileSync, closeSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { exportLine } from '../../shared/ledger/ledger-export-format';
import { signEntry, type EntrySigner } from '../../shared/ledger/ledger-sign';
import { AddressSchema, entryHash, GENESIS_PREV_HASH, ledgerDomain, ZERO_HASH, type LedgerEntry } from '../../shared/ledger/ledger-schema';
import { NotarySignedEntrySchema, type NotarySignedEntry } from '../../shared/network/notary';
import { EncryptedKeyShareSchema } from '../../shared/research/key-release';
import { PurchaseIdSchema } from '../../shared/research/purchase-request';
import type { EncryptedKeyShare } from '../../shared/research/package/key-split';

/**
 * What a keeper keeps in its data folder (besides keeper.key), all small JSON files written to a
 * temporary name, fsynced and renamed (or appended and fsynced), mode 0600:
 *
 *   network.json                  the network pinned at the first start (address, chain id) and the server URL
 *   shares/<purchase id>.json     a deposited share AS IT CAME: the EncryptedKeyShare sealed to this
 *                                 keeper's message key, bound to the purchase and the keeper (never
 *                                 the opened share), and the clinic that deposited it
 *   ledger.jsonl                  the keeper's signed ledger chain, one canonical export line per entry
 *                                 (KEY_RELEASE entries; the notary countersigns them)
 *   releases/<purchase id>.json   a release in progress: its signed KEY_RELEASE entry and the share
 *                                 already resealed to the buyer (resealKeyShare), sent once the entry
 *                                 is notarized; a restart finishes it. Deleted once sent.
 */

const FILE_MODE = 0o600;

function writeAtomic(file: string, text: string): void {
  const temp = `${file}.${process.pid}.tmp`;
  const fd = openSync(temp, 'w', FILE_MODE);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temp, file);
  fsyncDir(path.dirname(file));
}

function fsyncDir(dir: string): void {
  if (process.platform === 'win32') return;
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function readJson(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as unknown;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

const PinnedSchema = z.strictObject({ address: AddressSchema, chainId: z.number().int().min(1), serverUrl: z.string().min(1) });
export type PinnedKeeperNetwork = z.infer<typeof PinnedSchema>;

const StoredShareSchema = z.strictObject({ clinic: AddressSchema, share: EncryptedKeyShareSchema, storedAt: z.number().int().min(0) });
export type StoredShare = z.infer<typeof StoredShareSchema>;

const PendingReleaseSchema = z.strictObject({ purchaseId: PurchaseIdSchema, buyer: AddressSchema, signed: NotarySignedEntrySchema, share: EncryptedKeyShareSchema });
export type PendingRelease = z.infer<typeof PendingReleaseSchema>;

export class KeeperStoreError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KeeperStoreError';
  }
}

export class KeeperStore {
  readonly #sharesDir: string;
  readonly #releasesDir: string;
  readonly #ledgerFile: string;
  readonly #networkFile: string;
  #entries: NotarySignedEntry[] = [];

  constructor(readonly dataDir: string) {
    this.#sharesDir = path.join(dataDir, 'shares');
    this.#releasesDir = path.join(dataDir, 'releases');
    this.#ledgerFile = path.join(dataDir, 'ledger.jsonl');
    this.#networkFile = path.join(dataDir, 'network.json');
    mkdirSync(this.#sharesDir, { recursive: true, mode: 0o700 });
    mkdirSync(this.#releasesDir, { recursive: true, mode: 0o700 });
    this.#entries = this.#readLedger();
  }

  pinned(): PinnedKeeperNetwork | null {
    const value = readJson(this.#networkFile);
    if (value === undefined) return null;
    const parsed = PinnedSchema.safeParse(value);
    if (!parsed.success) throw new KeeperStoreError(`${this.#networkFile} is not a pinned network`);
    return parsed.data;
  }

  pin(network: PinnedKeeperNetwork): void {
    writeAtomic(this.#networkFile, `${JSON.stringify(PinnedSchema.parse(network))}\n`);
  }

  // ——— Shares ———

  #shareFile(purchaseId: string): string {
    return path.join(this.#sharesDir, `${PurchaseIdSchema.parse(purchaseId)}.json`);
  }

  share(purchaseId: string): StoredShare | null {
    const parsed = StoredShareSchema.safeParse(readJson(this.#shareFile(purchaseId)));
    return parsed.success ? parsed.data : null;
  }

  putShare(clinic: string, share: EncryptedKeyShare, now: number): void {
    writeAtomic(this.#shareFile(share.purchaseId), `${JSON.stringify(StoredShareSchema.parse({ clinic, share, storedAt: now }))}\n`);
  }

  shareCount(): number {
    return readdirSync(this.#sharesDir).filter((name) => name.endsWith('.json')).length;
  }

  // ——— The ledger ———

  #readLedger(): NotarySignedEntry[] {
    let text: string;
    try {
      text = readFileSync(this.#ledgerFile, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    const entries: NotarySignedEntry[] = [];
    let prev = GENESIS_PREV_HASH;
    for (const line of text.split('\n')) {
      if (line === '') continue;
      const parsed = NotarySignedEntrySchema.safeParse(JSON.parse(line));
      // A torn last line (a crash while appending) is where the chain ends; anything else is an error.
      if (!parsed.success || parsed.data.entry.seq !== entries.length + 1 || parsed.data.entry.prevHash !== prev) throw new KeeperStoreError(`${this.#ledgerFile} is broken at entry ${entries.length + 1}`);
      entries.push(parsed.data);
      prev = entryHash(ledgerDomain(), parsed.data.entry);
    }
    return entries;
  }

  entries(): readonly NotarySignedEntry[] {
    return this.#entries;
  }

  /** Signs the next entry of the keeper's chain, without appending it (append does, once its release is kept). */
  async signNext(signer: EntrySigner, fields: Pick<LedgerEntry, 'kind' | 'subject' | 'payloadHash' | 'inputs' | 'createdAt'>): Promise<NotarySignedEntry> {
    const last = this.#entries.at(-1);
    return signEntry(signer, ledgerDomain(), {
      seq: (last?.entry.seq ?? 0) + 1,
      prevHash: last === undefined ? GENESIS_PREV_HASH : entryHash(ledgerDomain(), last.entry),
      operator: ZERO_HASH,
      node: signer.address,
      ...fields,
      inputs: [...fields.inputs],
    });
  }

  /**
   * Appends a signed entry (fsynced) if it is the next of the chain; nothing if the chain holds it
   * already (a release finished after a restart). Anything else is a fork the keeper must not make.
   */
  append(signed: NotarySignedEntry): void {
    const held = this.#entries[signed.entry.seq - 1];
    if (held !== undefined) {
      if (exportLine(held) !== exportLine(signed)) throw new KeeperStoreError(`the ledger holds another entry ${signed.entry.seq}`);
      return;
    }
    const last = this.#entries.at(-1);
    if (signed.entry.seq !== this.#entries.length + 1 || signed.entry.prevHash !== (last === undefined ? GENESIS_PREV_HASH : entryHash(ledgerDomain(), last.entry))) throw new KeeperStoreError(`entry ${signed.entry.seq} does not continue the ledger`);
    const fd = openSync(this.#ledgerFile, 'a', FILE_MODE);
    try {
      appendFileSync(fd, `${exportLine(signed)}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    this.#entries.push(signed);
  }

  // ——— Releases in progress ———

  putPendingRelease(release: PendingRelease): void {
    writeAtomic(path.join(this.#releasesDir, `${PurchaseIdSchema.parse(release.purchaseId)}.json`), `${JSON.stringify(PendingReleaseSchema.parse(release))}\n`);
  }

  pendingReleases(): PendingRelease[] {
    const out: PendingRelease[] = [];
    for (const name of readdirSync(this.#releasesDir)) {
      if (!name.endsWith('.json')) continue;
      const parsed = PendingReleaseSchema.safeParse(readJson(path.join(this.#releasesDir, name)));
      if (parsed.success) out.push(parsed.data);
    }
    return out;
  }

  donePendingRelease(purchaseId: string): void {
    try {
      unlinkSync(path.join(this.#releasesDir, `${PurchaseIdSchema.parse(purchaseId)}.json`));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
}
