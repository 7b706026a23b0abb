import { closeSync, constants, fsyncSync, openSync, readFileSync, statSync, writeSync } from 'node:fs';
import path from 'node:path';
import { Wallet } from 'ethers';

/**
 * The network key (design §10): a secp256k1 key that signs membership certificates and network maps.
 * Generated at the first start into `<data-dir>/network.key` (the private key as 0x-hex, one line),
 * created exclusively with mode 0600 and fsynced. A key file that others may read is refused, as ssh
 * refuses such keys. Several server processes on one PostgreSQL share the network: copy this file
 * to each one's data folder (the database records the key's address and refuses a different key).
 */
export const NETWORK_KEY_FILE = 'network.key';

export class NetworkKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NetworkKeyError';
  }
}

export function networkKeyPath(dataDir: string): string {
  return path.join(dataDir, NETWORK_KEY_FILE);
}

/** Loads the network key, generating it when the file does not exist. */
export function loadOrCreateNetworkKey(dataDir: string): { readonly wallet: Wallet; readonly created: boolean } {
  const file = networkKeyPath(dataDir);
  try {
    return { wallet: readNetworkKey(file), created: false };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const wallet = Wallet.createRandom();
  let fd: number;
  try {
    fd = openSync(file, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
  } catch (error) {
    // Another process made it between our read and our create: use theirs.
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return { wallet: readNetworkKey(file), created: false };
    throw error;
  }
  try {
    writeSync(fd, `${wallet.privateKey}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  fsyncDir(dataDir);
  return { wallet: new Wallet(wallet.privateKey), created: true };
}

function readNetworkKey(file: string): Wallet {
  const stat = statSync(file);
  if (process.platform !== 'win32' && (stat.mode & 0o077) !== 0) {
    throw new NetworkKeyError(`${file} may be read by other users (mode ${(stat.mode & 0o777).toString(8)}); run chmod 600 on it`);
  }
  const text = readFileSync(file, 'utf8').trim();
  if (!/^0x[0-9a-f]{64}$/.test(text)) throw new NetworkKeyError(`${file} does not hold a network key (0x and 64 lowercase hex digits)`);
  try {
    return new Wallet(text);
  } catch {
    throw new NetworkKeyError(`${file} does not hold a valid secp256k1 private key`);
  }
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
