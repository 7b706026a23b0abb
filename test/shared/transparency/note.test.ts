import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromHex, hasControlCharacter, utf8 } from '../../../shared/transparency/bytes';
import {
  DEFAULT_NOTE_LIMITS,
  addSignatures,
  formatSignatureLine,
  parseSignatureLine,
  signatureFor,
  NoteError,
  checkNoteSignatures,
  ed25519NoteSigner,
  ed25519NoteVerifier,
  formatNote,
  formatSignerKey,
  formatVkey,
  generateEd25519SecretKey,
  isValidKeyName,
  logVerifierFromVkey,
  noteKeyId,
  openNote,
  parseNote,
  parseSignerKey,
  parseVkey,
  signNote,
  vkeyOf,
  type NoteErrorCode,
} from '../../../shared/transparency/note';


const noControl = (text: string): boolean => !hasControlCharacter(text, false);
/**
 * Signed notes against published vectors of other implementations:
 * - golang.org/x/mod/sumdb/note (note.go package documentation and note_test.go): the
 *   PeterNeumann signer and verifier keys, the note they sign, and the same note cosigned by EnochRoot;
 * - the c2sp.org/signed-note example key example.com/foo and its signature of "This is an example
 *   message.\n" (as checked by the tlog_scales test suite);
 * - a vkey whose base64 holds a '+' (transparency-dev/formats note/note_cosigv1_test.go).
 */
const PETER_SKEY = 'PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz';
const PETER_VKEY = 'PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW';
const ENOCH_VKEY = 'EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop';
const PETER_TEXT = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";
const PETER_LINE = '— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n';
const ENOCH_LINE = '— EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n';
const PETER_NOTE = `${PETER_TEXT}\n${PETER_LINE}`;
const EXAMPLE_VKEY = 'example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k';
const EXAMPLE_NOTE = 'This is an example message.\n\n— example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n';
const PLUS_VKEY = 'TEST+7997405c+AQcC+FTVKf0jlTdHDY3rbevmnKxxPjigCXlVtGe6RIr6';

function errorCode(run: () => unknown): NoteErrorCode | 'no error' | 'other error' {
  try {
    run();
    return 'no error';
  } catch (error) {
    return error instanceof NoteError ? error.code : 'other error';
  }
}

describe('published vectors', () => {
  it('parses vkeys and checks their key IDs', () => {
    const peter = parseVkey(PETER_VKEY);
    expect(peter.name).toBe('PeterNeumann');
    expect(peter.keyId).toBe(0xc74f20a3);
    expect(peter.type).toBe(1);
    expect(formatVkey(peter.name, peter.type, peter.publicKey)).toBe(PETER_VKEY);
    const example = parseVkey(EXAMPLE_VKEY);
    expect(example.publicKey).toEqual(fromHex('e932791ae6e7a840a46164c904786426d5e7821dd8b29a00d61cae72afdd4da4'));
    expect(parseVkey(PLUS_VKEY).keyId).toBe(0x7997405c);
    expect(parseVkey(ENOCH_VKEY).name).toBe('EnochRoot');
  });

  it('signs the Go example byte for byte from its signer key (Ed25519 is deterministic)', () => {
    const skey = parseSignerKey(PETER_SKEY);
    expect(skey.keyId).toBe(0xc74f20a3);
    const signer = ed25519NoteSigner(skey.name, skey.secretKey);
    expect(vkeyOf(signer)).toBe(PETER_VKEY);
    expect(signNote(PETER_TEXT, [signer])).toBe(PETER_NOTE);
    expect(formatSignerKey(skey.name, skey.type, skey.secretKey)).toBe(PETER_SKEY);
  });

  it('opens the Go example, alone and cosigned, and the signed-note example', () => {
    const peter = logVerifierFromVkey(PETER_VKEY);
    const enoch = logVerifierFromVkey(ENOCH_VKEY);
    expect(openNote(PETER_NOTE, [peter]).text).toBe(PETER_TEXT);
    const both = `${PETER_NOTE}${ENOCH_LINE}`;
    expect(openNote(both, [peter, enoch]).verified.map((v) => v.verifier.name)).toEqual(['PeterNeumann', 'EnochRoot']);
    const onlyEnoch = openNote(both, [enoch]);
    expect(onlyEnoch.verified.map((v) => v.verifier.name)).toEqual(['EnochRoot']);
    expect(onlyEnoch.unknown.map((s) => s.name)).toEqual(['PeterNeumann']);
    expect(openNote(EXAMPLE_NOTE, [logVerifierFromVkey(EXAMPLE_VKEY)]).text).toBe('This is an example message.\n');
  });

  it('rejects the Go example altered by one character, or opened with the wrong key', () => {
    const peter = logVerifierFromVkey(PETER_VKEY);
    expect(errorCode(() => openNote(PETER_NOTE.replace('cryptography', 'cryptographY'), [peter]))).toBe('invalid-signature');
    expect(errorCode(() => openNote(PETER_NOTE, [logVerifierFromVkey(ENOCH_VKEY)]))).toBe('unverified-note');
    expect(errorCode(() => openNote(PETER_NOTE, []))).toBe('unverified-note');
  });
});

describe('keys', () => {
  it('derives key IDs from name, type and key, as the spec recommends', () => {
    const key = parseVkey(PETER_VKEY).publicKey;
    expect(noteKeyId('PeterNeumann', 1, key)).toBe(0xc74f20a3);
    expect(noteKeyId('PeterNeumann', 4, key)).not.toBe(0xc74f20a3);
    expect(noteKeyId('PeterNeumanN', 1, key)).not.toBe(0xc74f20a3);
  });

  it('refuses malformed and mismatched vkeys with a clear code', () => {
    expect(errorCode(() => parseVkey('PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW'))).toBe('key-id-mismatch');
    expect(errorCode(() => parseVkey('PeterNeumann+c74f20a3'))).toBe('malformed-key');
    expect(errorCode(() => parseVkey('PeterNeumann+c74f20+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW'))).toBe('malformed-key');
    expect(errorCode(() => parseVkey('Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW'))).toBe('malformed-key');
    expect(errorCode(() => parseVkey('PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10T'))).toBe('malformed-key');
    expect(errorCode(() => parseVkey('rekor.sigstore.dev+12345678+AwEB'))).toBe('unsupported-key-type');
    expect(errorCode(() => parseVkey('a+12345678+AQEB'))).toBe('malformed-key'); // 2-byte Ed25519 key
    expect(errorCode(() => logVerifierFromVkey('remora.n621.de+da77ade7+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2'))).toBe('unsupported-key-type');
  });

  it('refuses every substring and every one-character change of a vkey (as Go does)', () => {
    const bad: string[] = [];
    for (let i = 0; i <= PETER_VKEY.length; i++) for (let j = i + 1; j <= PETER_VKEY.length; j++) if (i !== 0 || j !== PETER_VKEY.length) bad.push(PETER_VKEY.slice(i, j));
    for (let i = 0; i < PETER_VKEY.length; i++) bad.push(PETER_VKEY.slice(0, i) + String.fromCharCode(PETER_VKEY.charCodeAt(i) + 1) + PETER_VKEY.slice(i + 1));
    for (const vkey of bad) expect(() => parseVkey(vkey), vkey).toThrow(NoteError);
  });

  it('accepts key names with no space and no plus', () => {
    expect(isValidKeyName('example.com/log42')).toBe(true);
    expect(isValidKeyName('oid/1.3.6.1.4.1')).toBe(true);
    expect(isValidKeyName('clinic–forschung.example/ünïcode')).toBe(true);
    for (const name of ['', 'a b', 'a+b', 'a\u00a0b', 'a\u2003b', 'a\tb', 'a\u0085b', 'a\ud800b']) expect(isValidKeyName(name), JSON.stringify(name)).toBe(false);
  });

  it('generates fresh keys that sign and verify', () => {
    const secret = generateEd25519SecretKey();
    const signer = ed25519NoteSigner('hdms.example/notary', secret);
    const note = signNote('hello\n', [signer]);
    expect(openNote(note, [logVerifierFromVkey(vkeyOf(signer))]).text).toBe('hello\n');
    expect(parseVkey(vkeyOf(signer)).publicKey).toEqual(signer.publicKey);
  });
});

describe('strict parsing', () => {
  const signer = ed25519NoteSigner('hdms.example/notary', new Uint8Array(32).fill(7));
  const verifier = ed25519NoteVerifier(signer.name, signer.publicKey);
  const good = signNote('line one\n\nline three\n', [signer]);

  it('separates text and signatures at the last blank line', () => {
    const parsed = parseNote(good);
    expect(parsed.text).toBe('line one\n\nline three\n');
    expect(parsed.signatures).toHaveLength(1);
    expect(openNote(utf8(good), [verifier]).text).toBe(parsed.text);
  });

  it.each([
    ['no blank line', 'text\n— hdms.example/notary AAAAAAE=\n', 'malformed-note'],
    ['no final newline', good.slice(0, -1), 'malformed-note'],
    ['nothing after the blank line', 'text\n\n', 'malformed-note'],
    ['a hyphen instead of the em dash', good.replace('—', '-'), 'malformed-note'],
    ['no space after the name', good.replace('notary ', 'notary'), 'malformed-note'],
    ['two spaces', good.replace('notary ', 'notary  '), 'malformed-note'],
    ['base64 without padding', good.replace('=\n', '\n'), 'malformed-note'],
    ['a signature of four bytes', 'text\n\n— a AAAAAA==\n', 'malformed-note'],
    ['a carriage return', good.replace('line one', 'line\rone'), 'malformed-note'],
    ['a tab', good.replace('line one', 'line\tone'), 'malformed-note'],
    ['an empty signature line', `${good}\n`, 'malformed-note'],
    ['trailing text after the signatures', `${good}more`, 'malformed-note'],
  ] as const)('refuses %s', (_, note, code) => {
    expect(errorCode(() => parseNote(note))).toBe(code);
  });

  it('refuses invalid UTF-8, oversized notes and too many signatures before checking anything', () => {
    const bytes = utf8(good);
    bytes[2] = 0xff;
    expect(errorCode(() => parseNote(bytes))).toBe('malformed-note');
    expect(errorCode(() => parseNote(`${'x'.repeat(DEFAULT_NOTE_LIMITS.maxBytes)}\n\n— a AAAAAAE=\n`))).toBe('note-too-large');
    expect(errorCode(() => parseNote(new Uint8Array(DEFAULT_NOTE_LIMITS.maxBytes + 1)))).toBe('note-too-large');
    const many = `text\n\n${'— a AAAAAAE=\n'.repeat(101)}`;
    expect(errorCode(() => parseNote(many))).toBe('too-many-signatures');
    expect(parseNote(many, { maxBytes: 1 << 20, maxSignatures: 200 }).signatures).toHaveLength(101);
    // Multi-byte text is measured in UTF-8 bytes, not in string length.
    expect(errorCode(() => parseNote(`${'€'.repeat(200)}\n\n— a AAAAAAE=\n`, { maxBytes: 500, maxSignatures: 10 }))).toBe('note-too-large');
  });

  it('ignores signatures that share only a name or only a key ID with a known key', () => {
    const sameName = ed25519NoteSigner(signer.name, new Uint8Array(32).fill(8));
    const note = signNote('text\n', [sameName, signer]);
    const check = checkNoteSignatures(parseNote(note), [verifier]);
    expect(check.verified).toHaveLength(1);
    expect(check.unknown.map((s) => s.keyId)).toEqual([sameName.keyId]);
    // A line with the known key ID under another name is someone else's key too.
    const parsed = parseNote(note);
    const renamed = formatNote(parsed.text, [{ ...parsed.signatures[1]!, name: 'other.example' }]);
    expect(errorCode(() => openNote(renamed, [verifier]))).toBe('unverified-note');
  });

  it('rejects a note where a known key signed wrongly, even next to a good signature', () => {
    const parsed = parseNote(good);
    const broken = { ...parsed.signatures[0]!, signature: parsed.signatures[0]!.signature.map((b, i) => (i === 0 ? b ^ 1 : b)) };
    expect(errorCode(() => openNote(formatNote(parsed.text, [parsed.signatures[0]!, broken]), [verifier]))).toBe('invalid-signature');
    expect(checkNoteSignatures(parsed, [verifier]).invalid).toHaveLength(0);
  });

  it('refuses two different keys configured under one name and key ID', () => {
    const twin = { ...verifier, publicKey: new Uint8Array(32) };
    expect(errorCode(() => openNote(good, [verifier, twin]))).toBe('ambiguous-key');
  });

  it('re-signing replaces a signer’s old signature and keeps the others', () => {
    const other = ed25519NoteSigner('witness.example', new Uint8Array(32).fill(9));
    const first = parseNote(signNote('text\n', [signer, other]));
    const again = parseNote(signNote('text\n', [signer], first.signatures));
    expect(again.signatures.map((s) => s.name)).toEqual(['hdms.example/notary', 'witness.example']);
  });

  it('adds signature lines received from cosigners, replacing a key’s older line', () => {
    const witness = ed25519NoteSigner('witness.example', new Uint8Array(32).fill(9));
    const line = formatSignatureLine(signatureFor(parseNote(good).text, witness));
    const parsedLine = parseSignatureLine(line);
    expect(parsedLine.name).toBe('witness.example');
    expect(parseSignatureLine(line.slice(0, -1))).toEqual(parsedLine);
    const cosigned = addSignatures(good, [parsedLine]);
    const twice = addSignatures(cosigned, [parsedLine]);
    expect(twice).toBe(cosigned);
    expect(openNote(cosigned, [verifier, ed25519NoteVerifier(witness.name, witness.publicKey)]).verified).toHaveLength(2);
    expect(errorCode(() => parseSignatureLine('— witness.example AAAAAAE=\r\n'))).toBe('malformed-note');
    expect(errorCode(() => parseSignatureLine(`— w ${'A'.repeat(200_000)}`))).toBe('note-too-large');
    expect(errorCode(() => addSignatures(good, [parsedLine], { maxBytes: 1 << 16, maxSignatures: 1 }))).toBe('too-many-signatures');
  });

  it('refuses to sign a text that is not a note text', () => {
    expect(errorCode(() => signNote('no newline', [signer]))).toBe('malformed-note');
    expect(errorCode(() => signNote('bell\u0007\n', [signer]))).toBe('malformed-note');
  });
});

describe('parsing properties', () => {
  it('any note signed here parses back to the same text and signatures, and opens', () => {
    const line = fc.string({ unit: 'binary', maxLength: 30 }).filter(noControl);
    fc.assert(
      fc.property(fc.array(line, { minLength: 1, maxLength: 6 }), fc.uint8Array({ minLength: 32, maxLength: 32 }), (lines, secret) => {
        const text = `${lines.join('\n')}\n`;
        const signer = ed25519NoteSigner('prop.example', secret);
        const note = signNote(text, [signer]);
        expect(parseNote(note).text).toBe(text);
        expect(openNote(note, [ed25519NoteVerifier(signer.name, signer.publicKey)]).verified).toHaveLength(1);
      }),
      { numRuns: 50 },
    );
  });

  it('arbitrary input never crashes the parser: it parses or throws a NoteError', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.constantFrom(PETER_NOTE, EXAMPLE_NOTE).chain((n) => fc.tuple(fc.nat(n.length), fc.string({ maxLength: 3 })).map(([at, s]) => n.slice(0, at) + s + n.slice(at + 1)))), (input) => {
        try {
          parseNote(input);
        } catch (error) {
          expect(error).toBeInstanceOf(NoteError);
        }
      }),
      { numRuns: 300 },
    );
  });
});
