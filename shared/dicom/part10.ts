/** Whether `bytes` start as a DICOM Part 10 file: a 128-byte preamble, then "DICM" (PS3.10 7.1). */
export function hasPart10Prefix(bytes: Uint8Array): boolean {
  return bytes.length >= 132 && bytes[128] === 0x44 && bytes[129] === 0x49 && bytes[130] === 0x43 && bytes[131] === 0x4d;
}
