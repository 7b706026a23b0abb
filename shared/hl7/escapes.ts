/**
 * HL7 v2 delimiters as a message declares them, and escape sequences (v2.5.1 §2.7), read the one
 * way both halves read them: the body's front end when it parses a message
 * (electron/intake/hl7/hl7-front-end.ts), and the mind when it looks for a patient's identifiers in
 * a quarantined input it opened (an erasure) or shows a raw message. Isomorphic: no Node, no DOM.
 *
 * `\F\ \S\ \T\ \R\ \E\` (and `\P\`, v2.7 truncation) decode to the delimiters, `\Xhh…\` to the
 * bytes in the message's charset (UTF-8 when they are valid UTF-8 in a UTF-8 message, else one
 * character per byte, as ISO 8859-1 reads them); formatting escapes (`\.br\`, `\H\`, `\N\`,
 * `\.sp\`, `\.in\`…), `\Z…\ \C…\ \M…\` and an empty `\\` are kept as written, for a viewer to
 * render. An escape character without its closing one is kept as it stands.
 */

export interface Hl7Delimiters {
  readonly field: string;
  readonly component: string;
  readonly repetition: string;
  readonly escape: string;
  readonly subcomponent: string;
  /** v2.7+ truncation character, when MSH-2 declares one. */
  readonly truncation?: string;
}

export const STANDARD_DELIMITERS: Hl7Delimiters = { field: '|', component: '^', repetition: '~', escape: '\\', subcomponent: '&' };

/**
 * The delimiters a header segment (MSH, FHS or BHS; `header[3]` is its field separator) declares:
 * MSH-1, and MSH-2 up to the next field separator, a missing encoding character taken from the
 * standard set, a fifth one (v2.7) the truncation character. Not checked: the body's front end
 * refuses any set but the standard one (and says why), the mind reads what was sent.
 */
export function declaredDelimiters(header: string): Hl7Delimiters {
  const field = header[3]!;
  const afterEncoding = header.indexOf(field, 4);
  const encoding = afterEncoding < 0 ? header.slice(4) : header.slice(4, afterEncoding);
  return {
    field,
    component: encoding[0] ?? STANDARD_DELIMITERS.component,
    repetition: encoding[1] ?? STANDARD_DELIMITERS.repetition,
    escape: encoding[2] ?? STANDARD_DELIMITERS.escape,
    subcomponent: encoding[3] ?? STANDARD_DELIMITERS.subcomponent,
    ...(encoding.length > 4 ? { truncation: encoding[4]! } : {}),
  };
}

const UTF8_STRICT = new TextDecoder('utf-8', { fatal: true });

const HEX_ESCAPE = /^X(?:[0-9A-Fa-f]{2})+$/;

/** One character per byte (code points 0…255): ISO 8859-1 as it is, not WHATWG's windows-1252 "latin1". */
function latin1(bytes: Uint8Array): string {
  let out = '';
  // In slices: String.fromCharCode takes its arguments on the stack.
  for (let at = 0; at < bytes.length; at += 8192) out += String.fromCharCode(...bytes.subarray(at, at + 8192));
  return out;
}

/** The bytes of an even-length string of hex digits (checked by HEX_ESCAPE). */
function hexBytes(hex: string): Uint8Array {
  const bytes = new Uint8Array(hex.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return bytes;
}

function decodeHex(hex: string, utf8: boolean): string {
  const bytes = hexBytes(hex);
  if (utf8) {
    try {
      return UTF8_STRICT.decode(bytes);
    } catch {
      return latin1(bytes);
    }
  }
  return latin1(bytes);
}

/**
 * Decodes the HL7 escape sequences of one value with the message's delimiters; `utf8`: the message
 * is UTF-8 (its hex escapes are read as UTF-8 when they are valid UTF-8).
 */
export function decodeEscapes(value: string, delimiters: Hl7Delimiters = STANDARD_DELIMITERS, utf8 = true): string {
  const esc = delimiters.escape;
  if (!value.includes(esc)) return value;
  let out = '';
  let i = 0;
  while (i < value.length) {
    const at = value.indexOf(esc, i);
    if (at < 0) {
      out += value.slice(i);
      break;
    }
    out += value.slice(i, at);
    const close = value.indexOf(esc, at + 1);
    if (close < 0) {
      out += value.slice(at);
      break;
    }
    const sequence = value.slice(at + 1, close);
    switch (sequence) {
      case 'F':
        out += delimiters.field;
        break;
      case 'S':
        out += delimiters.component;
        break;
      case 'T':
        out += delimiters.subcomponent;
        break;
      case 'R':
        out += delimiters.repetition;
        break;
      case 'E':
        out += esc;
        break;
      case 'P':
        out += delimiters.truncation ?? '#';
        break;
      default:
        if (HEX_ESCAPE.test(sequence)) out += decodeHex(sequence.slice(1), utf8);
        else out += esc + sequence + esc; // formatting (\.br\ \H\ \N\ …), \Z…\ \C…\ \M…\, or empty: kept
    }
    i = close + 1;
  }
  return out;
}
