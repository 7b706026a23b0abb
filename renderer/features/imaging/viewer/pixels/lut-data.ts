import type { LutData } from './pixel-module';

/**
 * A LUT lookup as PS3.3 C.11.1.1 says: input below the first mapped value gives the first entry,
 * above the last mapped value the last entry.
 */
export function lookupLut(lut: LutData, input: number): number {
  const index = Math.round(input) - lut.firstMapped;
  if (index <= 0) return lut.data[0] ?? 0;
  const last = Math.min(lut.entries, lut.data.length) - 1;
  if (index >= last) return lut.data[last] ?? 0;
  return lut.data[index]!;
}

/** The descriptor's three numbers as a LUT needs them (entries 0 means 65,536; the first mapped value may be signed). */
export function lutFromDescriptor(descriptor: readonly number[], data: ArrayLike<number>, firstMappedSigned: boolean): LutData {
  const [entries = 0, first = 0, bits = 16] = descriptor;
  const firstMapped = firstMappedSigned && first >= 0x8000 ? first - 0x10000 : first;
  return { entries: entries === 0 ? 65536 : entries, firstMapped, bits, data };
}

/** The largest value a LUT's entries can take. */
export function lutMaxOutput(lut: LutData): number {
  return 2 ** lut.bits - 1;
}
