import { Signature, Wallet } from 'ethers';
import { afterAll, describe, expect, it } from 'vitest';
import { checkEntrySignatures, EntryCheckPool } from '../../../server/notary/entry-check-pool';
import { EntryHasher, ledgerDomain, ZERO_HASH, type LedgerEntry } from '../../../shared/ledger/ledger-schema';

/** The worker pool makes exactly the checks of the main thread, only spread over threads. */
describe('entry-check pool', () => {
  const pool = new EntryCheckPool(31337, 1);
  afterAll(async () => pool.close());

  it('answers what the main thread answers, with all the work done by its worker', async () => {
    const wallet = new Wallet(Wallet.createRandom().privateKey);
    const other = new Wallet(Wallet.createRandom().privateKey);
    const hasher = new EntryHasher(ledgerDomain(31337));
    const publicKey = new Uint8Array(Buffer.from(wallet.signingKey.publicKey.slice(2), 'hex'));
    const items = Array.from({ length: 80 }, (_, i) => {
      const entry: LedgerEntry = { seq: i + 1, prevHash: ZERO_HASH, kind: 'ACCESS', subject: ZERO_HASH, operator: ZERO_HASH, payloadHash: ZERO_HASH, inputs: [], createdAt: i, node: wallet.address };
      const signer = i % 7 === 3 ? other : wallet;
      return { entry, signature: Signature.from(signer.signingKey.sign(hasher.hash(entry))).serialized.toLowerCase(), publicKey };
    });
    const pooled = await pool.check(items);
    expect(pooled).toEqual(checkEntrySignatures(31337, items));
    expect(pooled.filter((result) => !result.ok)).toHaveLength(items.filter((_, i) => i % 7 === 3).length);
    expect(pool.checkedByWorkers).toBe(items.length);
  });
});
