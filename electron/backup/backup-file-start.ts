import type { FileHandle } from 'node:fs/promises';

/** "HDMSBAK1" (backup-format.ts's BACKUP_MAGIC; repeated here so this file imports nothing of it). */
const MAGIC = Buffer.from('HDMSBAK1', 'ascii');
/** The magic and the preamble's length: the least a backup file holds before anything else. */
export const BACKUP_START_BYTES = MAGIC.length + 4;

/**
 * What the first bytes of a file say about it as a backup (tester T2 S35 F7: a backup is known by its
 * content, not its name). Null when it begins as a backup; otherwise the words for the refusal:
 * empty, cut short (a beginning of the magic and nothing more: a copy interrupted or still running),
 * or not a backup at all. Says nothing of the rest of a foreign file but that it is not a backup.
 */
export function backupStartProblem(start: Uint8Array): string | null {
  const bytes = Buffer.from(start.buffer, start.byteOffset, start.byteLength);
  const magicPart = bytes.subarray(0, Math.min(bytes.length, MAGIC.length));
  if (!magicPart.equals(MAGIC.subarray(0, magicPart.length))) {
    return 'That file is not an HDMS Node backup (it does not begin the way an HDMS Node backup file does).';
  }
  if (bytes.length === 0) return 'The file is empty (0 bytes): it is not a backup yet; was the copy interrupted, or is it still being copied?';
  if (bytes.length < BACKUP_START_BYTES) return `The file is cut short (${bytes.length} bytes): it is damaged, or still being copied.`;
  return null;
}

/** Reads a file's first bytes (up to BACKUP_START_BYTES) through an open handle. */
export async function readBackupStart(handle: FileHandle): Promise<Buffer> {
  const start = Buffer.alloc(BACKUP_START_BYTES);
  const { bytesRead } = await handle.read(start, 0, start.length, 0);
  return start.subarray(0, bytesRead);
}
