import { fromBase64, hasControlCharacter, toBase64 } from './bytes';
import { HASH_SIZE } from './hash';
import { NoteError, type NoteSigner, signNote } from './note';

/**
 * C2SP transparency log checkpoints (https://c2sp.org/tlog-checkpoint, v1.0.0): the text of a
 * signed note that states a log's tree head,
 *
 *   <origin>\n<tree size, decimal, no leading zeros>\n<base64 of the 32-byte root hash>\n[extension lines\n]
 *
 * Parsing is strict: exactly one spelling per checkpoint, so two byte-different checkpoints are
 * two different statements and a node can keep them as evidence.
 */

export interface Checkpoint {
  /** The log's identity; the log's key name SHOULD equal it, and this project requires it does. */
  readonly origin: string;
  readonly size: number;
  readonly rootHash: Uint8Array;
  /** Opaque, non-empty lines after the root; signed and cosigned, but not audited by anyone. */
  readonly extensions: readonly string[];
}

const SIZE = /^(0|[1-9][0-9]*)$/;

function fail(message: string): never {
  throw new NoteError('malformed-checkpoint', message);
}

/** The note text of a checkpoint, final newline included. */
export function formatCheckpoint(checkpoint: Checkpoint): string {
  const { origin, size, rootHash, extensions } = checkpoint;
  if (origin.length === 0 || hasControlCharacter(origin, false)) fail('A checkpoint origin is a non-empty line.');
  if (!Number.isSafeInteger(size) || size < 0) fail('A checkpoint tree size is a non-negative safe integer.');
  if (rootHash.length !== HASH_SIZE) fail('A checkpoint root hash is 32 bytes.');
  for (const line of extensions) if (line.length === 0 || hasControlCharacter(line, false)) fail('A checkpoint extension is a non-empty line.');
  return [origin, String(size), toBase64(rootHash), ...extensions].map((line) => `${line}\n`).join('');
}

/** Parses a checkpoint's note text (the part signatures cover). */
export function parseCheckpoint(text: string): Checkpoint {
  if (!text.endsWith('\n')) fail('A checkpoint ends with a newline.');
  const lines = text.slice(0, -1).split('\n');
  if (lines.length < 3) fail('A checkpoint has an origin, a tree size and a root hash line.');
  const [origin, sizeText, rootText, ...extensions] = lines as [string, string, string, ...string[]];
  if (origin.length === 0 || hasControlCharacter(origin, false)) fail('The checkpoint origin line is empty.');
  if (!SIZE.test(sizeText)) fail(`The checkpoint tree size "${sizeText.slice(0, 40)}" is not a decimal number without leading zeros.`);
  const size = Number(sizeText);
  if (!Number.isSafeInteger(size)) fail(`The checkpoint tree size ${sizeText.slice(0, 40)} is beyond 2^53 − 1.`);
  const rootHash = fromBase64(rootText);
  if (rootHash === null || rootHash.length !== HASH_SIZE) fail('The checkpoint root hash is not the canonical base64 of 32 bytes.');
  for (const line of extensions) if (line.length === 0 || hasControlCharacter(line, false)) fail('A checkpoint extension line is empty.');
  return { origin, size, rootHash, extensions };
}

/** A signed checkpoint note, signed by the log (and any further signers given). */
export function signCheckpoint(checkpoint: Checkpoint, signers: readonly NoteSigner[]): string {
  return signNote(formatCheckpoint(checkpoint), signers);
}
