import { fromBase64Url, toBase64Url, utf8Decode, utf8Encode } from '../crypto/bytes';
import type { Opener, Sealer } from '../crypto/envelope';

/**
 * A record's `meta`: JSON sealed as a `journalMetadata` envelope (base64url), opened only by the
 * mind. Compressed (envelope version 2) whenever that makes it smaller.
 */
export async function sealJson(sealer: Sealer, value: unknown): Promise<string> {
  return toBase64Url(await sealer.seal('journalMetadata', utf8Encode(JSON.stringify(value)), { compress: 'plain' }));
}

/** Opens a sealed meta; throws (EnvelopeError, SyntaxError) when it does not open or is not JSON. */
export async function openJson(opener: Opener, meta: string): Promise<unknown> {
  const opened = await opener.open(fromBase64Url(meta));
  if (opened.kind !== 'journalMetadata') throw new TypeError('The journal metadata is not a journalMetadata envelope.');
  return JSON.parse(utf8Decode(opened.plaintext)) as unknown;
}
