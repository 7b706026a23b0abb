import { randomBytes } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from '../storage/durable-files';

/**
 * The random per-vault key a channel's duplicate tags are keyed with (DICOM, devices): `<dir>/key`,
 * 32 bytes, made on first use. A missing or damaged key is replaced: tags made with the old one
 * then match nothing, so a resend is stored again rather than wrongly taken for a duplicate.
 */
export async function openDedupeKey(dir: string): Promise<Buffer> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const keyFile = path.join(dir, 'key');
  try {
    const key = await readFile(keyFile);
    if (key.length === 32) return key;
  } catch {
    // None yet: made below.
  }
  const key = randomBytes(32);
  await writeFileAtomic(keyFile, key);
  return key;
}
