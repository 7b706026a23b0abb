import { createHash, randomBytes } from 'node:crypto';
import { open, readFile, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { syncDir } from '../storage/durable-files';

/**
 * One delivery chunk on this node's disk (received-deliveries.ts keeps what it read, outgoing-
 * deliveries.ts stages what it will upload): the chunk's SHA-256 (32 bytes), then its bytes. Written
 * to a temporary file, fsynced, renamed into place, the folder fsynced; read back only when its
 * size can be a chunk, and only when it still hashes to its own SHA-256.
 */
export const CHUNK_DIGEST_BYTES = 32;

export async function writeChunkFile(file: string, bytes: Uint8Array): Promise<void> {
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
  await syncDir(path.dirname(file));
}

/** The chunk and its SHA-256 (hex); null when the file is absent, cannot be a chunk of at most `maxBytes`, or does not match its hash. */
export async function readChunkFile(file: string, maxBytes: number): Promise<{ readonly bytes: Buffer; readonly sha256: string } | null> {
  let size: number;
  try {
    size = (await stat(file)).size;
  } catch (error) {
    if ((error as { code?: string } | null)?.code === 'ENOENT') return null;
    throw error;
  }
  // Checked before reading: a file that cannot be a chunk is never read whole into memory.
  if (size < CHUNK_DIGEST_BYTES || size > CHUNK_DIGEST_BYTES + maxBytes) return null;
  const content = await readFile(file);
  const bytes = content.subarray(CHUNK_DIGEST_BYTES);
  const digest = createHash('sha256').update(bytes).digest();
  return digest.equals(content.subarray(0, CHUNK_DIGEST_BYTES)) ? { bytes, sha256: digest.toString('hex') } : null;
}
