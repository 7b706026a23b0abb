import type { Hl7Charset } from '../../../shared/ipc/intake-contract';

/**
 * An operator's edited copy of a quarantined HL7 message, as bytes to reprocess. The editor shows
 * one segment a line; HL7 separates segments with CR, so lines are joined with CR (a trailing CR
 * after the last). The bytes are written in the charset the message was read as when it can hold
 * the text (all ASCII: any; Latin-1 for 8859/1), else in UTF-8; whenever the text is not plain
 * ASCII the charset is given with `override`, so the body decodes the bytes as they were written
 * whatever MSH-18 says (which may be the very thing the operator is fixing).
 */
export interface EditedBytes {
  readonly bytes: Uint8Array;
  /** The charset to decode them with (absent: all ASCII, any charset reads them alike). */
  readonly charset?: Hl7Charset;
  readonly override: boolean;
}

export function segmentsOf(text: string): string[] {
  return text.split(/\r\n|\r|\n/).filter((line) => line.trim() !== '');
}

/** The edited text (one segment a line) as HL7 bytes. Throws on a text without an MSH segment first. */
export function encodeEdited(text: string, readAs: Hl7Charset): EditedBytes {
  const segments = segmentsOf(text);
  if (segments.length === 0 || !segments[0]!.startsWith('MSH')) throw new Error('The message must start with its MSH segment.');
  const joined = `${segments.join('\r')}\r`;
  const codes = [...joined].map((char) => char.codePointAt(0)!);
  if (codes.every((code) => code < 0x80)) return { bytes: Uint8Array.from(codes), override: false };
  if (readAs === '8859/1' && codes.every((code) => code <= 0xff)) return { bytes: Uint8Array.from(codes), charset: '8859/1', override: true };
  return { bytes: new TextEncoder().encode(joined), charset: 'UNICODE UTF-8', override: true };
}
