import { syncDir } from '../storage/durable-files';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { DELIVERY_IPC_CHUNK_SIZE } from '../../shared/ipc/network-contract';
import { NetworkRefusal } from './server-url';

/** Bytes of the SHA-256 digest that opens every kept chunk file. */
const DIGEST_BYTES = 32;

/**
 * Chunks of deliveries this node received and opened (`network.deliveryRead` with `keep`), kept
 * under <data>/received-deliveries/<id>/<index>.chunk so a dataset opened once outlives the
 * delivery service's TTL. The bytes are the sealed package's (the body cannot read them). Each
 * file is the chunk's SHA-256 then the chunk, so a read checks it again: a damaged file is removed
 * and answered as absent (the caller fetches it afresh).
 */
export class ReceivedDeliveries {
  private readonly root: string;

  constructor(dataDir: string, private readonly maxChunkBytes: number = DELIVERY_IPC_CHUNK_SIZE) {
    this.root = path.join(dataDir, 'received-deliveries');
  }

  /** The kept chunk, checked against its hash; null when none is kept (or the kept one was damaged and is gone now). */
  async read(id: string, index: number): Promise<{ readonly bytes: Buffer; readonly sha256: string } | null> {
    const file = this.chunkFile(id, index);
    let size: number;
    try {
      size = (await stat(file)).size;
    } catch (error) {
      if (codeOf(error) === 'ENOENT') return null;
      throw error;
    }
    // Checked before reading: a file that cannot be a chunk is never read whole into memory.
    if (size >= DIGEST_BYTES && size <= DIGEST_BYTES + this.maxChunkBytes) {
      const content = await readFile(file);
      const bytes = content.subarray(DIGEST_BYTES);
      const digest = createHash('sha256').update(bytes).digest();
      if (digest.equals(content.subarray(0, DIGEST_BYTES))) return { bytes, sha256: digest.toString('hex') };
    }
    await rm(file, { force: true });
    return null;
  }

  /** Keeps a chunk whose SHA-256 the caller has checked: a temporary file, fsynced, renamed into place. */
  async keep(id: string, index: number, bytes: Uint8Array): Promise<void> {
    const file = this.chunkFile(id, index);
    const folder = path.dirname(file);
    await mkdir(folder, { recursive: true, mode: 0o700 });
    const temporary = `${file}.${randomBytes(8).toString('hex')}.tmp`;
    const handle = await open(temporary, 'wx', 0o600);
    try {
      await handle.writeFile(Buffer.concat([createHash('sha256').update(bytes).digest(), bytes]));
      await handle.sync();
    } catch (error) {
      await handle.close().catch(() => undefined);
      await rm(temporary, { force: true });
      throw error;
    }
    await handle.close();
    try {
      await rename(temporary, file);
    } catch (error) {
      await rm(temporary, { force: true });
      throw error;
    }
    await syncDir(folder);
  }

  /** The chunk's file, built only from a delivery id and an index that pass the same rules as the contract's. */
  private chunkFile(id: string, index: number): string {
    if (!/^[0-9a-f]{32}$/.test(id) || !Number.isSafeInteger(index) || index < 0) throw new NetworkRefusal('E_BAD_REQUEST', 'id or index: not a delivery chunk this node can keep.');
    return path.join(this.root, id, `${index}.chunk`);
  }
}


function codeOf(error: unknown): string | undefined {
  return (error as { code?: string } | null)?.code;
}
