import { describe, expect, it } from 'vitest';
import { hexDump } from '../../../../renderer/features/intake/raw-input';

describe('raw inputs: hex dump', () => {
  it('writes 16 bytes a line with the offset, the hex and the printable ASCII, up to the limit', () => {
    const bytes = Uint8Array.from({ length: 40 }, (_, i) => (i < 4 ? [0x44, 0x49, 0x43, 0x4d][i]! : i));
    const lines = hexDump(bytes);
    expect(lines).toHaveLength(3);
    expect(lines[0]).toBe('00000000  44 49 43 4d 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f  |DICM............|');
    expect(lines[2]).toBe(`00000020  20 21 22 23 24 25 26 27${' '.repeat(24)}  | !"#$%&'|`);
    expect(hexDump(new Uint8Array(10_000), 4096)).toHaveLength(256);
    expect(hexDump(new Uint8Array(0))).toEqual([]);
  });
});
