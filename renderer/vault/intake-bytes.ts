import type { HdmsApi } from '../../shared/ipc/contract';
import { INTAKE_CHUNK_MAX_CHARS } from '../../shared/ipc/intake-contract';
import { toBase64Url } from './vault-crypto';

/** Bytes per upload chunk: base64url of this many bytes is exactly INTAKE_CHUNK_MAX_CHARS. */
export const CHUNK_BYTES = 512 * 1024;

/**
 * How the bytes of a call travel: inline when all of them fit one message (base64url), else an
 * upload (intake.uploadBegin, then uploadAppend chunks in file order) that the call consumes.
 * On failure the upload is dropped.
 */
export async function withBytes<T>(
  api: Pick<HdmsApi, 'intake'>,
  files: readonly Uint8Array[],
  call: (carrier: { readonly files: { bytes: string }[] } | { readonly upload: string }) => Promise<T>,
): Promise<T> {
  const total = files.reduce((sum, bytes) => sum + Math.ceil((bytes.length * 4) / 3), 0);
  if (total <= INTAKE_CHUNK_MAX_CHARS && files.every((bytes) => bytes.length > 0)) {
    return call({ files: files.map((bytes) => ({ bytes: toBase64Url(bytes) })) });
  }
  const { handle } = await api.intake.uploadBegin({});
  try {
    for (const [file, bytes] of files.entries()) {
      if (bytes.length === 0) await api.intake.uploadAppend({ handle, file, chunk: '' });
      for (let offset = 0; offset < bytes.length; offset += CHUNK_BYTES) {
        await api.intake.uploadAppend({ handle, file, chunk: toBase64Url(bytes.subarray(offset, offset + CHUNK_BYTES)) });
      }
    }
  } catch (error) {
    await api.intake.uploadAbort({ handle }).catch(() => undefined);
    throw error;
  }
  return call({ upload: handle });
}

