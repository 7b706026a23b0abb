import type { HdmsApi } from '../../../shared/ipc/contract';
import { VaultError } from '../vault-service';
import { concatBytes, type Opener } from '../vault-crypto';

/** objects.read slices (its maximum is 4 MiB) and the largest raw message the viewer opens. */
const OBJECT_SLICE_BYTES = 4 * 1024 * 1024;
const MAX_RAW_OBJECT_BYTES = 64 * 1024 * 1024;

/** Reads a sealed object in slices and opens it with the intake private key (raw HL7 messages are small). */
export async function openSealedObject(api: Pick<HdmsApi, 'objects'>, opener: Opener, objectId: string): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let offset = 0;
  for (;;) {
    const { bytes, size } = await api.objects.readBinary({ id: objectId, offset, length: OBJECT_SLICE_BYTES });
    parts.push(bytes);
    offset += bytes.length;
    if (offset >= size || bytes.length === 0) break;
    if (offset > MAX_RAW_OBJECT_BYTES) throw new VaultError('E_NODE', 'This object is too large to show as a message.');
  }
  const sealed = parts.length === 1 ? parts[0]! : concatBytes(...parts);
  const opened = await opener.open(sealed);
  return opened.plaintext;
}
