import { closeSync, constants, fsyncSync, openSync, readFileSync, statSync, writeSync } from 'node:fs';
import path from 'node:path';
import type { webcrypto } from 'node:crypto';
import { Wallet } from 'ethers';
import { z } from 'zod';

/**
 * The keeper's own keys (issue 15 item 6), generated at its first start into `<data-dir>/keeper.key`
 * (JSON, created exclusively with mode 0600 and fsynced; a file others may read is refused, as ssh
 * refuses such keys):
 *
 *   identity  secp256k1 (0x-hex private key): signs its join request, its member requests, its relay
 *             messages and its ledger entries; its address is the keeper's member address.
 *   message   P-256 ECDH private key (JWK): what the network encrypts to the keeper (its certificate's
 *             messageKey): relay envelopes, and the clinics' key shares (splitPackageKey).
 *
 * Both are credentials, held in the clear in that file like the server's network.key; the shares it
 * keeps are stored as they came, sealed to the message key, so the shares folder alone opens nothing.
 */
export const KEEPER_KEY_FILE = 'keeper.key';

export class KeeperKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KeeperKeyError';
  }
}

const JwkSchema = z.object({ kty: z.literal('EC'), crv: z.literal('P-256'), x: z.string(), y: z.string(), d: z.string() });
const KeyFileSchema = z.strictObject({ v: z.literal(1), identity: z.string().regex(/^0x[0-9a-f]{64}$/), message: JwkSchema });

export interface KeeperKeys {
  readonly identity: Wallet;
  /** ECDH private key (deriveBits). */
  readonly messagePrivateKey: webcrypto.CryptoKey;
  /** The uncompressed point as the network map writes it: 0x04 ‖ x ‖ y. */
  readonly messagePublicKey: string;
}

function pointOf(jwk: { readonly x: string; readonly y: string }): string {
  return `0x04${Buffer.from(jwk.x, 'base64url').toString('hex')}${Buffer.from(jwk.y, 'base64url').toString('hex')}`;
}

async function keysOf(text: string, file: string): Promise<KeeperKeys> {
  let parsed: z.infer<typeof KeyFileSchema>;
  try {
    parsed = KeyFileSchema.parse(JSON.parse(text));
  } catch {
    throw new KeeperKeyError(`${file} does not hold keeper keys`);
  }
  const messagePrivateKey = await globalThis.crypto.subtle.importKey('jwk', { ...parsed.message, ext: false, key_ops: ['deriveBits'] }, { name: 'ECDH', namedCurve: 'P-256' }, false, ['deriveBits']);
  return { identity: new Wallet(parsed.identity), messagePrivateKey, messagePublicKey: pointOf(parsed.message) };
}

/** Loads the keeper's keys, generating them when the file does not exist. */
export async function loadOrCreateKeeperKeys(dataDir: string): Promise<{ readonly keys: KeeperKeys; readonly created: boolean }> {
  const file = path.join(dataDir, KEEPER_KEY_FILE);
  try {
    const stat = statSync(file);
    if (process.platform !== 'win32' && (stat.mode & 0o077) !== 0) throw new KeeperKeyError(`${file} may be read by other users (mode ${(stat.mode & 0o777).toString(8)}); run chmod 600 on it`);
    return { keys: await keysOf(readFileSync(file, 'utf8'), file), created: false };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const pair = (await globalThis.crypto.subtle.generateKey({ name: 'ECDH', namedCurve: 'P-256' }, true, ['deriveBits'])) as webcrypto.CryptoKeyPair;
  const jwk = await globalThis.crypto.subtle.exportKey('jwk', pair.privateKey);
  const text = `${JSON.stringify({ v: 1, identity: Wallet.createRandom().privateKey, message: { kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y, d: jwk.d } })}\n`;
  let fd: number;
  try {
    fd = openSync(file, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return loadOrCreateKeeperKeys(dataDir);
    throw error;
  }
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  return { keys: await keysOf(text, file), created: true };
}
