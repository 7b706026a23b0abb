import type { TypedDataDomain, TypedDataField } from 'ethers';
import { entryTypes, parseEntry, type LedgerDomain, type LedgerEntry } from './ledger-schema';

/** What signs entries: an ethers Wallet (BaseWallet) or anything with the same two members. */
export interface EntrySigner {
  readonly address: string;
  signTypedData(domain: TypedDataDomain, types: Record<string, TypedDataField[]>, value: Record<string, unknown>): Promise<string>;
}

/**
 * Validates `entry` strictly (shared/ledger/ledger-schema.ts) and signs it. A value with an extra
 * field, or a missing one, is refused before ethers sees it (ethers would sign the extra field
 * away silently). The entry must name the signer as its node.
 */
export async function signEntry(signer: EntrySigner, domain: LedgerDomain, value: unknown): Promise<{ readonly entry: LedgerEntry; readonly signature: string }> {
  const entry = parseEntry(value);
  if (entry.node !== signer.address) throw new RangeError(`entry ${entry.seq} names node ${entry.node}, but the signer is ${signer.address}.`);
  const signature = await signer.signTypedData({ ...domain }, entryTypes(), { ...entry, inputs: [...entry.inputs] });
  return { entry, signature: signature.toLowerCase() };
}
