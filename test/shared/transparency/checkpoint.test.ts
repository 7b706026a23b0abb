import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromBase64, hasControlCharacter, toBase64 } from '../../../shared/transparency/bytes';
import { formatCheckpoint, parseCheckpoint, type Checkpoint } from '../../../shared/transparency/checkpoint';
import { cosignatureTimestamp, witnessVerifierFromVkey } from '../../../shared/transparency/cosignature';
import { EMPTY_ROOT } from '../../../shared/transparency/hash';
import { NoteError, logVerifierFromVkey, openNote } from '../../../shared/transparency/note';


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
