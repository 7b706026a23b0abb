import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { defaultReadAs, editDraft, encodeEdited, namedFieldOffset, replacementCount } from '../../../../renderer/features/intake/hl7-edit';
import { decodeHl7 } from '../../../../renderer/features/intake/hl7-tree';

const latin1 = (text: string): Uint8Array => Uint8Array.from([...text].map((char) => char.charCodeAt(0)));
const asLatin1 = (bytes: Uint8Array): string => String.fromCharCode(...bytes);
const NOT_UTF8 = 'MSH-18: The bytes are not valid UNICODE UTF-8 (the default charset; MSH-18 is empty).';
const MSH = 'MSH|^~\\&|QA11|CS-WARD|HDMS|NODE|20261206101500||ADT^A01|QA11-CS-2|P|2.5.1';

describe('the Edit dialog reads a quarantined message as a charset (QA round 4, issue 11 #1)', () => {
  it('reads Latin-1 bytes with an empty MSH-18, quarantined as not UTF-8, as ISO 8859-1', () => {
    const bytes = latin1(`${MSH}\rPID|1||7001^^^H^MR||Größe^Wiebke\r`);
    expect(defaultReadAs(bytes, undefined, NOT_UTF8)).toBe('8859/1');
    const draft = editDraft({ bytes }, NOT_UTF8);
    expect(draft).toEqual({ readAs: '8859/1', text: `${MSH}\nPID|1||7001^^^H^MR||Größe^Wiebke` });
    // Read as UTF-8 on request: the two unreadable bytes show as U+FFFD, and are counted.
    const asUtf8 = editDraft({ bytes }, NOT_UTF8, 'UNICODE UTF-8');
    expect(replacementCount(asUtf8.text)).toBe(2);
  });

  it('reads UTF-8 bytes with an empty MSH-18 as UTF-8, and follows a supported MSH-18 even when it is wrong', () => {
    const utf8 = new TextEncoder().encode(`${MSH}\rPID|1||7001^^^H^MR||Größe^Wiebke\r`);
    expect(defaultReadAs(utf8, undefined, 'PID-3 is empty.')).toBe('UNICODE UTF-8');
    const wrong = latin1(`${MSH}||||||unicode utf-8\rPID|1||7001^^^H^MR||Größe^Wiebke\r`);
    expect(defaultReadAs(wrong, 'unicode utf-8', 'MSH-18: The bytes are not valid unicode utf-8.')).toBe('UNICODE UTF-8');
    expect(replacementCount(editDraft({ bytes: wrong, charset: 'unicode utf-8' }, 'x').text)).toBe(2);
    expect(defaultReadAs(latin1(`${MSH}||||||8859/2\r`), '8859/2', 'x')).toBe('8859/2');
    expect(defaultReadAs(latin1(`${MSH}||||||ISO IR6\r`), 'ISO IR6', 'x')).toBe('ASCII');
    // An MSH-18 this node does not read: the first guess that reads every byte.
    expect(defaultReadAs(latin1(`${MSH}||||||8859/9\rPID|1||1||Öz\r`), '8859/9', 'not supported')).toBe('8859/1');
  });
});

describe('UTF-8 bytes held under a single-byte MSH-18 open as UTF-8 (the bytes as they are, not "MÃ¼ller")', () => {
  const DOUBT = 'MSH-18 says 8859/1, but the bytes read as UTF-8 (e.g. segment PID, field 5): check with the sender; reprocess with the character set it was written in (UNICODE UTF-8, used even when MSH-18 names another).';
  it('reads UTF-8 bytes under MSH-18 8859/1 or ASCII as UTF-8, and the edited copy files Müller in the charset MSH-18 names', () => {
    for (const declared of ['8859/1', 'ASCII', '8859/15']) {
      const bytes = new TextEncoder().encode(`${MSH}||||||${declared}\rPID|1||7001^^^H^MR||Müller^Jürgen\r`);
      expect(defaultReadAs(bytes, declared, DOUBT), declared).toBe('UNICODE UTF-8');
      const draft = editDraft({ bytes, charset: declared }, DOUBT);
      expect(draft.text, declared).toContain('PID|1||7001^^^H^MR||Müller^Jürgen');
      expect(draft.text, declared).not.toContain('Ã');
    }
    // Reprocessed from there: 8859/1 holds ü, so the copy is written in 8859/1 as its MSH-18 says.
    const bytes = new TextEncoder().encode(`${MSH}||||||8859/1\rPID|1||7001^^^H^MR||Müller^Jürgen\r`);
    const edited = encodeEdited(editDraft({ bytes, charset: '8859/1' }, DOUBT).text);
    expect(edited).toMatchObject({ charset: '8859/1', override: true, msh18Set: false });
    expect(asLatin1(edited.bytes)).toContain('||Müller^Jürgen\r');
  });

  it('keeps the declared single-byte charset when the bytes are not UTF-8 (real Latin-1 stays Latin-1)', () => {
    const bytes = latin1(`${MSH}||||||8859/1\rPID|1||7001^^^H^MR||Müller^Jürgen\r`);
    expect(defaultReadAs(bytes, '8859/1', 'PID-3 is empty.')).toBe('8859/1');
    expect(editDraft({ bytes, charset: '8859/1' }, 'x').text).toContain('||Müller^Jürgen');
  });
});

describe('the edited copy is written so that its bytes and MSH-18 agree', () => {
  it('sends all-ASCII text as it is, with no charset', () => {
    const edited = encodeEdited(`${MSH}\nPID|1||1||Smith^Ann`);
    expect(edited).toMatchObject({ override: false, msh18Set: false });
    expect(edited.charset).toBeUndefined();
    expect(new TextDecoder().decode(edited.bytes)).toBe(`${MSH}\rPID|1||1||Smith^Ann\r`);
  });

  it('writes the text in the charset its MSH-18 names when that charset holds it', () => {
    const latin = encodeEdited(`${MSH}||||||8859/1\nPID|1||1||Weiß^Jörg`);
    expect(latin).toMatchObject({ charset: '8859/1', override: true, msh18Set: false });
    expect(asLatin1(latin.bytes)).toBe(`${MSH}||||||8859/1\rPID|1||1||Weiß^Jörg\r`);
    const polish = encodeEdited(`${MSH}||||||8859/2\nPID|1||1||Łukasz^Józef`);
    expect(polish.charset).toBe('8859/2');
    expect(decodeHl7(polish.bytes).text).toBe(`${MSH}||||||8859/2\rPID|1||1||Łukasz^Józef\r`);
    expect(polish.bytes.length).toBe(`${MSH}||||||8859/2\rPID|1||1||Łukasz^Józef\r`.length);
  });

  it('writes UTF-8 and sets MSH-18 to UNICODE UTF-8 when MSH-18 is empty or cannot hold the text', () => {
    const empty = encodeEdited(`${MSH}\nPID|1||1||Größe^Wiebke`);
    expect(empty).toMatchObject({ charset: 'UNICODE UTF-8', override: true, msh18Set: true });
    const text = new TextDecoder('utf-8', { fatal: true }).decode(empty.bytes);
    expect(text).toBe(`${MSH}||||||UNICODE UTF-8\rPID|1||1||Größe^Wiebke\r`);
    // What the raw viewer and the body read: MSH-18 says what the bytes are.
    expect(decodeHl7(empty.bytes).text).toBe(text);
    const euro = encodeEdited(`${MSH}||||||8859/1~ISO IR87\nNTE|1||5 €`);
    expect(new TextDecoder().decode(euro.bytes)).toBe(`${MSH}||||||UNICODE UTF-8\rNTE|1||5 €\r`);
    // The tester's second try: MSH-18 set to 8859/1 over a text that holds U+FFFD stores U+FFFD as UTF-8, labelled so.
    const kept = encodeEdited(`${MSH}||||||8859/1\nPID|1||1||Wei\uFFFD^J\uFFFDrg`);
    expect(kept).toMatchObject({ charset: 'UNICODE UTF-8', msh18Set: true });
  });

  it('refuses a text that does not start with MSH', () => {
    expect(() => encodeEdited('PID|1')).toThrow('The message must start with its MSH segment.');
  });
});

describe('where the field a reason names starts in the edit box (H8 F11)', () => {
  const text = 'MSH|^~\\&|LABSYS|CLINIC1|HDMS|NODE|20261206150000||||BADTYPE-1|P|2.5.1\nPID|1||MRN100234^^^CLINIC1^MR||Okonkwo^Adaeze';

  it('MSH-9 is after the eighth "|" of the MSH line (MSH-1 is the separator itself)', () => {
    const at = namedFieldOffset(text, 'MSH-9 (message type) is empty.');
    expect(text.slice(at!, at! + 3)).toBe('||B');
    expect(text.slice(0, at!).split('|').length - 1).toBe(8);
  });

  it('another segment counts from its name; no field named, or none such, is null', () => {
    const at = namedFieldOffset(text, 'The PID segment has no patient identifier (PID-3, PID-2 and PID-4 are empty).');
    expect(text.slice(at!)).toMatch(/^MRN100234/);
    expect(namedFieldOffset(text, 'The bytes are not valid UNICODE UTF-8.')).toBeNull();
    expect(namedFieldOffset(text, 'OBX-5 is empty.')).toBeNull();
  });
});

describe('the edit box uses the dialog\'s width (H8 F11: 450 px of 725)', () => {
  it('is not held to the inputs\' max-width', () => {
    const css = readFileSync(new URL('../../../../renderer/styles/intake.css', import.meta.url), 'utf8');
    expect(/\.quarantine-edit__text\s*\{([^}]*)\}/.exec(css)?.[1]).toMatch(/max-width:\s*none/);
  });
});
