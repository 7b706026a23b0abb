import { sha256, Wallet } from 'ethers';
import { EntryHasher, GENESIS_PREV_HASH, LEDGER_ENTRY_KINDS, ledgerDomain, ZERO_HASH, type LedgerEntry } from '../../../shared/ledger/ledger-schema';
import { signEntry } from '../../../shared/ledger/ledger-sign';

/** A fixed key, so failures are reproducible (never a real node's). */
export const TEST_KEY = '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d';
export const OTHER_KEY = '0x8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba';
export const domain = ledgerDomain();

export interface Signed {
  entry: LedgerEntry;
  signature: string;
}

/** A valid chain of `n` entries signed by `wallet`. */
export async function buildChain(n: number, wallet = new Wallet(TEST_KEY)): Promise<Signed[]> {
  const hasher = new EntryHasher(domain);
  const out: Signed[] = [];
  let prevHash = GENESIS_PREV_HASH;
  for (let seq = 1; seq <= n; seq++) {
    const entry = {
      seq,
      prevHash,
      kind: LEDGER_ENTRY_KINDS[seq % LEDGER_ENTRY_KINDS.length]!,
      subject: seq % 2 === 0 ? sha256(new TextEncoder().encode(`subject ${seq}`)) : ZERO_HASH,
      operator: ZERO_HASH,
      payloadHash: sha256(new TextEncoder().encode(`payload ${seq}`)),
      inputs: [sha256(new TextEncoder().encode(`input ${seq}`))],
      createdAt: 1_750_000_000_000 + seq,
      node: wallet.address,
    };
    const signed = await signEntry(wallet, domain, entry);
    out.push({ entry: signed.entry, signature: signed.signature });
    prevHash = hasher.hash(signed.entry);
  }
  return out;
}
