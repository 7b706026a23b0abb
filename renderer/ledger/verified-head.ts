import { z } from 'zod';
import { concatBytes, encodeStringList, utf8Encode } from '../../shared/crypto/bytes';
import { EntryHasher, LedgerEntrySchema, type LedgerDomain } from '../../shared/ledger/ledger-schema';
import { fromBase64Url, toBase64Url } from '../vault/vault-crypto';
import type { VaultDb } from '../vault/views/vault-db';

/**
 * The last verified head of the ledger (issue 10 item 8): after a verification that found no
 * break, `{seq, head}` (the EIP-712 hash of entry `seq`) is kept in the views' meta with an
 * HMAC under the vault's event key, so the next unlock verifies only the entries after it instead
 * of the whole chain. It is trusted only if its tag holds and entry `seq` of the view still hashes
 * to `head`; otherwise the verification starts from entry 1. A rebuild of the views drops it.
 */

export const VERIFIED_HEAD_KEY = 'ledgerVerifiedHead';
const TAG_LABEL = 'hdms/ledger-verified-head/v1';

const StoredSchema = z.strictObject({ seq: z.number().int().min(1), head: z.string().regex(/^0x[0-9a-f]{64}$/), at: z.string(), tag: z.string() });

export interface VerifiedHead {
  readonly seq: number;
  readonly head: string;
  /** When it was verified (ISO). */
  readonly at: string;
}

async function tagOf(key: CryptoKey, head: Omit<VerifiedHead, 'at'>): Promise<Uint8Array> {
  const input = concatBytes(utf8Encode(TAG_LABEL), encodeStringList([String(head.seq), head.head]));
  return new Uint8Array(await globalThis.crypto.subtle.sign('HMAC', key, input));
}

export async function storeVerifiedHead(db: VaultDb, key: CryptoKey, head: VerifiedHead): Promise<void> {
  const tag = toBase64Url(await tagOf(key, head));
  await db.meta.put({ key: VERIFIED_HEAD_KEY, value: { ...head, tag } });
}

/** The stored head if its tag holds under `key` and the view's entry `seq` still hashes to it; else null. */
export async function readVerifiedHead(db: VaultDb, key: CryptoKey, domain: LedgerDomain): Promise<VerifiedHead | null> {
  const parsed = StoredSchema.safeParse((await db.meta.get(VERIFIED_HEAD_KEY))?.value);
  if (!parsed.success) return null;
  const { seq, head, at, tag } = parsed.data;
  let genuine: boolean;
  try {
    genuine = await globalThis.crypto.subtle.verify('HMAC', key, fromBase64Url(tag), concatBytes(utf8Encode(TAG_LABEL), encodeStringList([String(seq), head])));
  } catch {
    genuine = false;
  }
  if (!genuine) return null;
  const row = await db.ledger.get(seq);
  const entry = LedgerEntrySchema.safeParse(row?.entry);
  if (!entry.success || new EntryHasher(domain).hash(entry.data) !== head) return null;
  return { seq, head, at };
}
