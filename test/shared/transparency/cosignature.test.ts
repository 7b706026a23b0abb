import { describe, expect, it } from 'vitest';
import { fromBase64 } from '../../../shared/transparency/bytes';
import { formatCheckpoint, signCheckpoint, type Checkpoint } from '../../../shared/transparency/checkpoint';
import { cosignatureTimestamp, cosignatureV1Message, cosignatureV1Signer, cosignatureV1Verifier, witnessVerifierFromVkey } from '../../../shared/transparency/cosignature';
import { NoteError, ed25519NoteSigner, formatVkey, logVerifierFromVkey, openNote, parseNote, signNote, vkeyOf } from '../../../shared/transparency/note';

/**
 * Witness cosignatures (c2sp.org/tlog-cosignature, cosignature/v1). A real cosignature by the
 * remora.n621.de witness is verified in checkpoint.test.ts; the timestamp vector below is from
 * transparency-dev/formats note/note_cosigv1_test.go.
 */

function code(run: () => unknown): string {
  try {
    run();
    return 'no error';
  } catch (error) {
    return error instanceof NoteError ? error.code : String(error);
  }
}

describe('cosignature/v1', () => {
  const log = ed25519NoteSigner('hdms.example/log', new Uint8Array(32).fill(1));
  const witness = cosignatureV1Signer('witness.hdms.example/w1', new Uint8Array(32).fill(2), () => 1679315147);
  const checkpoint: Checkpoint = { origin: 'hdms.example/log', size: 20852163, rootHash: new Uint8Array(32).fill(3), extensions: [] };

  it('reads the timestamp of the transparency-dev/formats cosignature vector', () => {
    const bytes = fromBase64('ZGhGuQAAAABm/qTPeyKXD+R2rzyQsxPiP8mXum7qq/iF0u4vanlqJyocWODBt97w9uL+8qT7S5gxEHWWOworDcFiEBYJXORmnFBOBA==')!;
    expect(cosignatureTimestamp(bytes.subarray(4))).toBe(1727964367);
    // A plain Ed25519 signature is not a cosignature.
    expect(cosignatureTimestamp(fromBase64('eQjRQm6eSKzFoiYalgwCPXu2y3ijtg68is9M46JKxuZB+dRfTmeQeDBoXnvxZx2ugnkyV+MUMLXpWs1hPb/W/4xkNQY=')!.subarray(4))).toBeNull();
  });

  it('signs "cosignature/v1\\ntime <t>\\n" followed by the checkpoint text', () => {
    const text = formatCheckpoint(checkpoint);
    expect(new TextDecoder().decode(cosignatureV1Message(1679315147, text))).toBe(`cosignature/v1\ntime 1679315147\n${text}`);
    const note = signCheckpoint(checkpoint, [log, witness]);
    const sig = parseNote(note).signatures[1]!;
    expect(sig.signature).toHaveLength(72);
    expect(cosignatureTimestamp(sig)).toBe(1679315147);
    expect(new DataView(sig.signature.buffer, sig.signature.byteOffset).getBigUint64(0)).toBe(1679315147n);
    const verifier = witnessVerifierFromVkey(vkeyOf(witness));
    expect(verifier.keyId).toBe(witness.keyId);
    expect(openNote(note, [verifier]).verified).toHaveLength(1);
    // The same Ed25519 key as a plain (0x01) key has another key ID: the line is unknown to it.
    expect(code(() => openNote(note, [logVerifierFromVkey(formatVkey(witness.name, 1, witness.publicKey))]))).toBe('unverified-note');
  });

  it('covers extension lines and the timestamp', () => {
    const extended = { ...checkpoint, extensions: ['Extendo'] };
    const note = signCheckpoint(extended, [witness]);
    const verifier = cosignatureV1Verifier(witness.name, witness.publicKey);
    expect(code(() => openNote(note.replace('Extendo', 'Extendx'), [verifier]))).toBe('invalid-signature');
    const parsed = parseNote(note);
    const sig = parsed.signatures[0]!.signature.slice();
    sig[7]! ^= 1; // Timestamp one second off.
    expect(verifier.verify(new TextEncoder().encode(parsed.text), sig)).toBe(false);
  });

  it('refuses to cosign what is not a checkpoint', () => {
    expect(code(() => signNote('just a note\n', [witness]))).toBe('malformed-checkpoint');
  });

  it('a witness key is not accepted where a log key is expected, nor the reverse', () => {
    expect(code(() => logVerifierFromVkey(vkeyOf(witness)))).toBe('unsupported-key-type');
    expect(code(() => witnessVerifierFromVkey(vkeyOf(log)))).toBe('unsupported-key-type');
  });
});
