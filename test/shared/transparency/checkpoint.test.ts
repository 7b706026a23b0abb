import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromBase64, hasControlCharacter, toBase64 } from '../../../shared/transparency/bytes';
import { formatCheckpoint, parseCheckpoint, signCheckpoint, type Checkpoint } from '../../../shared/transparency/checkpoint';
import { cosignatureTimestamp, cosignatureV1Message, cosignatureV1Signer, cosignatureV1Verifier, witnessVerifierFromVkey } from '../../../shared/transparency/cosignature';
import { EMPTY_ROOT } from '../../../shared/transparency/hash';
import { NoteError, ed25519NoteSigner, formatVkey, logVerifierFromVkey, openNote, parseNote, signNote, vkeyOf } from '../../../shared/transparency/note';


const noControl = (text: string): boolean => !hasControlCharacter(text, false);
/**
 * A real checkpoint of the staging CT log arche2025h1.staging.ct.transparency.dev, signed by the log
 * (an RFC 6962 tree head signature, type 0x05, and an Ed25519 note signature, type 0x01) and
 * cosigned by four witnesses (type 0x04), with the log's and one witness's published vkeys — as
 * used in the tlog_scales test suite; the remora.n621.de vkey also appears in
 * transparency-dev/formats note/note_cosigv1_test.go.
 */
const ARCHE_TEXT = 'arche2025h1.staging.ct.transparency.dev\n1432088532\nU7WM79jrzyhGZ5/GUBTpM7NzwdyfFx61t3RovgcC4Ro=\n';
const ARCHE_NOTE = `${ARCHE_TEXT}
— arche2025h1.staging.ct.transparency.dev zTM8sQAAAZ5W0WdjBAMARjBEAiBjW5IQf9pvsYLfQFX6hoGREPMHbdQ3urbllzalApkptQIgIpwtEroeW2BXaHAI4kJXFbon5Ch9MNL5zRNZ55lvGt0=
— arche2025h1.staging.ct.transparency.dev ui8GwCF1+kWqZrxGdhj4aX3gcw7XUlXQQabg/27lefwhUkzbC3NygNI75MdhL1bfTW9g8Ei59RA23oHP7Ry1k3ZFWwQ=
— transparency.dev/DEV:witness-little-garden 2AQqhwAAAABqEiEgzgFIqqhbUoDwjMWE6UP8nd8/KYTzwZ2rhIgcqoXHAwVkjZr4AscylP3v7sEodkRAErumC2q44vdgJY096st5BQ==
— witness1.smartit.nu/witness1 pIyCDwAAAABqEiEghIp82KWebrw7/oHQwlTAm3g2RKS4+eebl8eO0WH+/iEcxZ75W3u5hNI7TOQtmJbqmNWVuE0tgh0XwzdZsDsUAQ==
— remora.n621.de 2net5wAAAABqEiEgPlfF3V06o0Y+fHM+J5J9s27wgxxcOVSpZ/2g/KSiXCg9DEZI+aVCIobWX9sXTynk5XeU/zZ0WBxtqB0DrAWfBw==
— witness.stagemole.eu Z/euoAAAAABqEiEgw0i+7g2ENfDAWHmtRzCfKTHSDwYDJA2NmKeGi9Y8FtEyOUvVr+AJmIY/2TUFucgKi7lI7cUiOvKFYe/TmN9DAg==
`;
const ARCHE_VKEY = 'arche2025h1.staging.ct.transparency.dev+ba2f06c0+AU0vHmlGCS/PdN8b2OaGmKprLI8HKM+dJ472xgFYh15f';
const REMORA_VKEY = 'remora.n621.de+da77ade7+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2';

function code(run: () => unknown): string {
  try {
    run();
    return 'no error';
  } catch (error) {
    return error instanceof NoteError ? error.code : String(error);
  }
}

describe('a real witnessed checkpoint', () => {
  it('verifies the log signature and the remora.n621.de cosignature, ignoring the other lines', () => {
    const log = logVerifierFromVkey(ARCHE_VKEY);
    const remora = witnessVerifierFromVkey(REMORA_VKEY);
    const check = openNote(ARCHE_NOTE, [log, remora]);
    expect(check.verified.map((v) => v.verifier.name)).toEqual(['arche2025h1.staging.ct.transparency.dev', 'remora.n621.de']);
    // The RFC 6962 signature shares the log's name but not its key ID: another key, ignored.
    expect(check.unknown.map((s) => s.name)).toEqual([
      'arche2025h1.staging.ct.transparency.dev',
      'transparency.dev/DEV:witness-little-garden',
      'witness1.smartit.nu/witness1',
      'witness.stagemole.eu',
    ]);
    const cosignature = check.verified[1]!.signature;
    expect(cosignatureTimestamp(cosignature)).toBe(0x6a122120);
    const checkpoint = parseCheckpoint(check.text);
    expect(checkpoint).toEqual({ origin: 'arche2025h1.staging.ct.transparency.dev', size: 1432088532, rootHash: fromBase64('U7WM79jrzyhGZ5/GUBTpM7NzwdyfFx61t3RovgcC4Ro='), extensions: [] });
    expect(formatCheckpoint(checkpoint)).toBe(ARCHE_TEXT);
  });

  it('refuses the same note with another tree size, for both keys', () => {
    const altered = ARCHE_NOTE.replace('1432088532', '1432088533');
    expect(code(() => openNote(altered, [logVerifierFromVkey(ARCHE_VKEY)]))).toBe('invalid-signature');
    expect(code(() => openNote(altered, [witnessVerifierFromVkey(REMORA_VKEY)]))).toBe('invalid-signature');
  });

  it('reads the timestamp of the transparency-dev/formats cosignature vector', () => {
    const bytes = fromBase64('ZGhGuQAAAABm/qTPeyKXD+R2rzyQsxPiP8mXum7qq/iF0u4vanlqJyocWODBt97w9uL+8qT7S5gxEHWWOworDcFiEBYJXORmnFBOBA==')!;
    expect(cosignatureTimestamp(bytes.subarray(4))).toBe(1727964367);
    // A plain Ed25519 signature is not a cosignature.
    expect(cosignatureTimestamp(fromBase64('eQjRQm6eSKzFoiYalgwCPXu2y3ijtg68is9M46JKxuZB+dRfTmeQeDBoXnvxZx2ugnkyV+MUMLXpWs1hPb/W/4xkNQY=')!.subarray(4))).toBeNull();
  });
});

describe('checkpoint text', () => {
  const root = fromBase64('CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=')!;

  it('formats and parses the spec example, with and without extension lines', () => {
    const text = 'example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n';
    expect(parseCheckpoint(text)).toEqual({ origin: 'example.com/behind-the-sofa', size: 20852163, rootHash: root, extensions: [] });
    const extended: Checkpoint = { origin: 'example.com/behind-the-sofa', size: 20852163, rootHash: root, extensions: ['Timestamp: 1', 'x'] };
    expect(formatCheckpoint(extended)).toBe(`${text}Timestamp: 1\nx\n`);
    expect(parseCheckpoint(formatCheckpoint(extended))).toEqual(extended);
    expect(parseCheckpoint(`origin\n0\n${toBase64(EMPTY_ROOT)}\n`).size).toBe(0);
  });

  it.each([
    ['two lines', 'origin\n5\n'],
    ['no final newline', `origin\n5\n${toBase64(root)}`],
    ['an empty origin', `\n5\n${toBase64(root)}\n`],
    ['a leading zero', `origin\n05\n${toBase64(root)}\n`],
    ['a sign', `origin\n+5\n${toBase64(root)}\n`],
    ['a negative size', `origin\n-5\n${toBase64(root)}\n`],
    ['a size beyond 2^53', `origin\n9007199254740993\n${toBase64(root)}\n`],
    ['a hex size', `origin\n0x5\n${toBase64(root)}\n`],
    ['a 31-byte root', `origin\n5\n${toBase64(root.subarray(1))}\n`],
    ['a root in hex', `origin\n5\n${'ab'.repeat(32)}\n`],
    ['an empty extension line', `origin\n5\n${toBase64(root)}\n\next\n`],
    ['a space after the size', `origin\n5 \n${toBase64(root)}\n`],
  ])('refuses %s', (_, text) => {
    expect(code(() => parseCheckpoint(text))).toBe('malformed-checkpoint');
  });

  it('round-trips any checkpoint', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary', minLength: 1, maxLength: 40 }).filter(noControl),
        fc.nat({ max: Number.MAX_SAFE_INTEGER }),
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.array(fc.string({ unit: 'binary', minLength: 1, maxLength: 20 }).filter(noControl), { maxLength: 3 }),
        (origin, size, rootHash, extensions) => {
          const checkpoint = { origin, size, rootHash, extensions };
          expect(parseCheckpoint(formatCheckpoint(checkpoint))).toEqual(checkpoint);
        },
      ),
    );
  });
});

describe('cosignature/v1', () => {
  const log = ed25519NoteSigner('hdms.example/log', new Uint8Array(32).fill(1));
  const witness = cosignatureV1Signer('witness.hdms.example/w1', new Uint8Array(32).fill(2), () => 1679315147);
  const checkpoint: Checkpoint = { origin: 'hdms.example/log', size: 20852163, rootHash: new Uint8Array(32).fill(3), extensions: [] };

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
