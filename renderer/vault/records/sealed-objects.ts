import type { HdmsApi } from '../../../shared/ipc/contract';
import { VaultError } from '../vault-service';
import { concatBytes, envelopeRangeReader, type Opener } from '../vault-crypto';

/** objects.readBinary slices (its maximum is 4 MiB). */
const OBJECT_SLICE_BYTES = 4 * 1024 * 1024;
/** The largest sealed object the mind opens whole (a raw message, a DICOM instance; larger instances are read in ranges). */
export const MAX_WHOLE_OBJECT_BYTES = 64 * 1024 * 1024;

/** A sealed object's first slice (up to 4 MiB) and its whole sealed size. */
export async function readSealedHead(api: Pick<HdmsApi, 'objects'>, objectId: string): Promise<{ readonly head: Uint8Array; readonly size: number }> {
  const { bytes, size } = await api.objects.readBinary({ id: objectId, offset: 0, length: OBJECT_SLICE_BYTES });
  return { head: bytes, size };
}

/**
 * A sealed object's bytes from the body, slice by slice, as bytes (objects.readBinary: no base64
 * on the way); refused with `tooLarge` past MAX_WHOLE_OBJECT_BYTES. `first`: its first slice, when
 * the caller has read it already (readSealedHead).
 */
export async function readSealedBytes(api: Pick<HdmsApi, 'objects'>, objectId: string, tooLarge: string, first?: { readonly head: Uint8Array; readonly size: number }): Promise<Uint8Array> {
  const start = first ?? (await readSealedHead(api, objectId));
  if (start.size > MAX_WHOLE_OBJECT_BYTES) throw new VaultError('E_NODE', tooLarge);
  if (start.head.length >= start.size) return start.head;
  return concatBytes(start.head, await readSealedRange(api, objectId, start.head.length, start.size - start.head.length));
}

/** Sealed bytes [offset, offset + length) of an object, read in objects.readBinary slices (fewer only at its end). */
export async function readSealedRange(api: Pick<HdmsApi, 'objects'>, objectId: string, offset: number, length: number): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let at = offset;
  const end = offset + length;
  while (at < end) {
    const { bytes } = await api.objects.readBinary({ id: objectId, offset: at, length: Math.min(OBJECT_SLICE_BYTES, end - at) });
    if (bytes.length === 0) break;
    parts.push(bytes);
    at += bytes.length;
  }
  return parts.length === 1 ? parts[0]! : concatBytes(...parts);
}

/**
 * A sealed object's bytes from the body slice by slice, as they are read (objects.readBinary),
 * for readers that stream (a release, a reprocess); with a limit, refused (RangeError with its
 * message) as soon as the object's size is over it.
 */
export async function* sealedObjectSlices(api: Pick<HdmsApi, 'objects'>, objectId: string, limit?: { readonly maxBytes: number; readonly tooLarge: string }): AsyncGenerator<Uint8Array> {
  for (let offset = 0; ; ) {
    const { bytes, size } = await api.objects.readBinary({ id: objectId, offset, length: OBJECT_SLICE_BYTES });
    if (limit !== undefined && size > limit.maxBytes) throw new RangeError(limit.tooLarge);
    if (bytes.length > 0) yield bytes;
    offset += bytes.length;
    if (offset >= size || bytes.length === 0) return;
  }
}

/** Reads a sealed object in slices and opens it with the intake private key (raw HL7 messages are small). */
export async function openSealedObject(api: Pick<HdmsApi, 'objects'>, opener: Opener, objectId: string): Promise<Uint8Array> {
  const opened = await opener.open(await readSealedBytes(api, objectId, 'This object is too large to show as a message.'));
  return opened.plaintext;
}

/**
 * The first `maxBytes` of a sealed object's plaintext (all of it when shorter): a small object is
 * opened whole; a larger one is read in ranges (envelopeRangeReader: only the chunks asked for are
 * read and authenticated), so a DICOM instance of hundreds of MiB is never whole in memory.
 */
export async function openQuarantinedStart(api: Pick<HdmsApi, 'objects'>, opener: Opener, objectId: string, maxBytes: number): Promise<Uint8Array> {
  const head = await readSealedHead(api, objectId);
  if (head.size <= maxBytes) return (await opener.open(await readSealedBytes(api, objectId, 'This input is too large to open.', head))).plaintext;
  const reader = envelopeRangeReader(head.head, head.size, await opener.unwrapDataKey(head.head), (offset, length) => readSealedRange(api, objectId, offset, length));
  return reader.read(0, Math.min(maxBytes, reader.plaintextLength));
}
