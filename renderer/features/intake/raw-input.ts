/**
 * What the raw view shows of an input that is not HL7 text (a quarantined DICOM instance, a device
 * report): its first bytes as a hex dump, and for DICOM the elements dicom-parser could read before
 * it stopped (shared/dicom/dicom-elements.ts, which the erasure's scan of the quarantine reads too).
 */

export const HEX_DUMP_BYTES = 4096;

/** Lines of 16 bytes: offset (8 hex digits), the bytes in hex, and their printable ASCII. */
export function hexDump(bytes: Uint8Array, maxBytes: number = HEX_DUMP_BYTES): string[] {
  const lines: string[] = [];
  const end = Math.min(bytes.length, maxBytes);
  for (let offset = 0; offset < end; offset += 16) {
    const row = bytes.subarray(offset, Math.min(end, offset + 16));
    const hex = Array.from(row, (byte) => byte.toString(16).padStart(2, '0')).join(' ');
    const text = Array.from(row, (byte) => (byte >= 0x20 && byte < 0x7f ? String.fromCharCode(byte) : '.')).join('');
    lines.push(`${offset.toString(16).padStart(8, '0')}  ${hex.padEnd(47)}  |${text}|`);
  }
  return lines;
}
