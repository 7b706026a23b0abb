import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { DELIVERY_IPC_CHUNK_SIZE } from '../../shared/ipc/network-contract';
import { readChunkFile, writeChunkFile } from './chunk-files';
import { NetworkRefusal } from './server-url';

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
    const kept = await readChunkFile(file, this.maxChunkBytes);
    if (kept === null) await rm(file, { force: true });
    return kept;
  }

  /** Keeps a chunk whose SHA-256 the caller has checked (chunk-files.ts). */
  async keep(id: string, index: number, bytes: Uint8Array): Promise<void> {
    const file = this.chunkFile(id, index);
    await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
    await writeChunkFile(file, bytes);
  }

  /** The chunk's file, built only from a delivery id and an index that pass the same rules as the contract's. */
  private chunkFile(id: string, index: number): string {
    if (!/^[0-9a-f]{32}$/.test(id) || !Number.isSafeInteger(index) || index < 0) throw new NetworkRefusal('E_BAD_REQUEST', 'id or index: not a delivery chunk this node can keep.');
    return path.join(this.root, id, `${index}.chunk`);
  }
}


