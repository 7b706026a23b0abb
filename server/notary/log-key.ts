import { createPrivateKey, sign, type KeyObject } from 'node:crypto';
import { closeSync, constants, fsyncSync, openSync, readFileSync, statSync, writeSync } from 'node:fs';
import path from 'node:path';
import { ed25519 } from '@noble/curves/ed25519.js';
import { logOrigin } from '../../shared/network/notary';
import { ed25519NoteSigner, SIGNATURE_TYPE_ED25519, vkeyOf, type NoteSigner } from '../../shared/transparency/note';

/**
 * The log key (issue 10 item 6): an Ed25519 key that signs the log's checkpoints (C2SP signed notes)
 * and the notary's receipts. Generated at the first start into `<data-dir>/log.key` next to the
 * network key (the 32-byte seed as 64 lowercase hex digits, one line), created exclusively with mode
 * 0600 and fsynced; a file others may read is refused. Several server processes on one PostgreSQL
 * share the log: copy this file with network.key. Its vkey (named by the log's origin) is `keys.log`
 * in the network map's parameters, so nodes get it from the map they verify against the network key.
 */
export const LOG_KEY_FILE = 'log.key';

export class LogKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LogKeyError';
  }
}

export interface LogKey {
  /** The log's origin, also its key's name. */
  readonly origin: string;
  readonly publicKey: Uint8Array;
  /** `origin+keyid+base64(0x01 ‖ key)`: what the map publishes. */
  readonly vkey: string;
  /** Signs checkpoint notes. */
  readonly noteSigner: NoteSigner;
  /** Ed25519 through OpenSSL (receipts: one per entry, so the fast path). */
  sign(message: Uint8Array): Uint8Array;
}

export function logKeyFromSeed(seed: Uint8Array, networkAddress: string): LogKey {
  if (seed.length !== 32) throw new LogKeyError('an Ed25519 seed is 32 bytes');
  const origin = logOrigin(networkAddress);
  const publicKey = ed25519.getPublicKey(seed);
  const b64url = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64url');
  const key: KeyObject = createPrivateKey({ key: { kty: 'OKP', crv: 'Ed25519', d: b64url(seed), x: b64url(publicKey) }, format: 'jwk' });
  return {
    origin,
    publicKey,
    vkey: vkeyOf({ name: origin, type: SIGNATURE_TYPE_ED25519, publicKey }),
    noteSigner: ed25519NoteSigner(origin, seed),
    sign: (message) => new Uint8Array(sign(null, message, key)),
  };
}

export function logKeyPath(dataDir: string): string {
  return path.join(dataDir, LOG_KEY_FILE);
}

/** Loads the log key's seed, generating it when the file does not exist. */
export function loadOrCreateLogKey(dataDir: string, networkAddress: string): LogKey {
  const file = logKeyPath(dataDir);
  try {
    return logKeyFromSeed(readSeed(file), networkAddress);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const seed = crypto.getRandomValues(new Uint8Array(32));
  let fd: number;
  try {
    fd = openSync(file, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return logKeyFromSeed(readSeed(file), networkAddress);
    throw error;
  }
  try {
    writeSync(fd, `${Buffer.from(seed).toString('hex')}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  if (process.platform !== 'win32') {
    const dir = openSync(dataDir, 'r');
    try {
      fsyncSync(dir);
    } finally {
      closeSync(dir);
    }
  }
  return logKeyFromSeed(seed, networkAddress);
}

function readSeed(file: string): Uint8Array {
  const stat = statSync(file);
  if (process.platform !== 'win32' && (stat.mode & 0o077) !== 0) throw new LogKeyError(`${file} may be read by other users (mode ${(stat.mode & 0o777).toString(8)}); run chmod 600 on it`);
  const text = readFileSync(file, 'utf8').trim();
  if (!/^[0-9a-f]{64}$/.test(text)) throw new LogKeyError(`${file} does not hold a log key (64 lowercase hex digits)`);
  return new Uint8Array(Buffer.from(text, 'hex'));
}
