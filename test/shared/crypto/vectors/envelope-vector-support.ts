import { readFileSync } from 'node:fs';
import { fromHex } from '../../../../shared/crypto/bytes';
import type { Sealer, SealerOptions } from '../../../../shared/crypto/envelope';
import { replay } from '../../../support/byte-fixtures';
import type { EnvelopeVector } from './generate-vectors';

/** The committed v1 vectors (read rather than imported: test/tsconfig.json includes only .ts files). */
export const envelopeVectors: readonly EnvelopeVector[] = (JSON.parse(readFileSync(new URL('envelope-v1.json', import.meta.url), 'utf8')) as { vectors: EnvelopeVector[] }).vectors;

/** The deterministic sealer options that reproduce `vector`: its chunk size, ephemeral scalar and random bytes. */
export function vectorSealerOptions(vector: EnvelopeVector): SealerOptions {
  return { chunkSize: vector.chunkSize, ephemeralPrivateScalar: fromHex(vector.ephemeralPrivateScalar), random: replay(vector.random) };
}

/** Hex of what `sealStream` writes for the vector's plaintext fed in two pieces (a split after 5 bytes). */
export async function streamedHex(sealer: Sealer, vector: EnvelopeVector): Promise<string> {
  const plaintext = fromHex(vector.plaintext);
  let hex = '';
  for await (const piece of sealer.sealStream(vector.kind, [plaintext.subarray(0, 5), plaintext.subarray(5)])) hex += Buffer.from(piece).toString('hex');
  return hex;
}
