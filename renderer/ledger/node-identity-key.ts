import { Wallet } from 'ethers';
import { deriveIdentitySeed } from '../../shared/crypto/vault-keys';

/**
 * The node's identity key (design §3): secp256k1, derived from the vault master secret with HKDF
 * under "hdms/vault/v1/identity-secp256k1" (shared/crypto/vault-keys.ts). "Wrapped by the master
 * secret" is satisfied by derivation: the key is never stored anywhere, it exists only while a
 * session holds the master, and every slot that recovers the master (passphrase, recovery key,
 * keychain) recovers the same key, so a restored vault keeps its node id. The node id is the key's
 * Ethereum address (EIP-55 checksummed).
 *
 * Lifetime: ethers keeps the private key as a hex string inside the Wallet, which JavaScript cannot
 * zero; the session drops its only reference at lock, like the other derived keys.
 */

/** secp256k1 group order n. */
const SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

export async function deriveNodeWallet(master: Uint8Array): Promise<Wallet> {
  const seed = await deriveIdentitySeed(master);
  try {
    let hex = '0x';
    for (const byte of seed) hex += byte.toString(16).padStart(2, '0');
    const k = BigInt(hex);
    // Probability below 2^-127; vault-keys.ts documents the "#counter" rule should it ever happen.
    if (k === 0n || k >= SECP256K1_N) throw new RangeError('The derived identity seed is not a valid secp256k1 key; this vault cannot sign.');
    return new Wallet(hex);
  } finally {
    seed.fill(0);
  }
}
