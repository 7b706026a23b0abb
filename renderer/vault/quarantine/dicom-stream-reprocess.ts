import type { DicomReprocessOutcome } from '../../../shared/ipc/dicom-contract';
import type { HdmsApi } from '../../../shared/ipc/contract';
import { CHUNK_BYTES } from '../intake-bytes';
import { sealedObjectSlices } from '../records/sealed-objects';
import { toBase64Url, type Opener } from '../vault-crypto';
import { VaultError } from '../vault-service';


/** Regroups pieces into chunks of exactly `size` bytes (the last one shorter). */
async function* rechunk(source: AsyncIterable<Uint8Array>, size: number): AsyncGenerator<Uint8Array> {
  let pending = new Uint8Array(size);
  let filled = 0;
  for await (const piece of source) {
    for (let at = 0; at < piece.length; ) {
      const take = Math.min(size - filled, piece.length - at);
      pending.set(piece.subarray(at, at + take), filled);
      filled += take;
      at += take;
      if (filled === size) {
        yield pending;
        pending = new Uint8Array(size);
        filled = 0;
      }
    }
  }
  if (filled > 0) yield pending.subarray(0, filled);
}

/**
 * Reprocesses a quarantined DICOM instance of any size without holding it whole: its sealed object
 * is read in slices, opened as a stream with the intake key, and sent chunk by chunk through
 * dicom.streamBegin({ reprocess }) / streamAppend, each chunk after the body has sealed what came
 * before. The last chunk goes only once the whole envelope opened (a cut or altered object aborts
 * the import: nothing is stored). The body journals the act as this session's operator.
 */
export async function streamReprocess(
  api: Pick<HdmsApi, 'objects' | 'dicom'>,
  opener: Opener,
  objectId: string,
  quarantineSeq: number,
): Promise<{ readonly resolved: boolean; readonly result: DicomReprocessOutcome }> {
  const { handle } = await api.dicom.streamBegin({ reprocess: { quarantineSeq } });
  let finished = false;
  try {
    const opened = await opener.openStream(sealedObjectSlices(api, objectId));
    let held: Uint8Array | null = null;
    for await (const chunk of rechunk(opened.plaintext, CHUNK_BYTES)) {
      // One chunk is held back, so the last one is known as last when it is sent.
      if (held !== null) {
        const answer = await api.dicom.streamAppend({ handle, chunk: toBase64Url(held), last: false });
        if (answer.result !== undefined) {
          finished = true;
          return settled(answer);
        }
      }
      held = chunk;
    }
    const answer = await api.dicom.streamAppend({ handle, chunk: toBase64Url(held ?? new Uint8Array(0)), last: true });
    finished = true;
    return settled(answer);
  } finally {
    if (!finished) await api.dicom.streamAbort({ handle }).catch(() => undefined);
  }
}

function settled(answer: { readonly result?: DicomReprocessOutcome; readonly reprocessed?: { readonly seq: number; readonly resolved: boolean } }): { resolved: boolean; result: DicomReprocessOutcome } {
  if (answer.reprocessed === undefined) throw new VaultError('E_NODE', answer.result?.reason ?? 'The node did not reprocess the instance.');
  return { resolved: answer.reprocessed.resolved, result: answer.result! };
}
