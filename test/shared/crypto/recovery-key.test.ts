import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bytesEqual, fromHex } from '../../../shared/crypto/bytes';
import { RecoveryKeyError, formatRecoveryKey, generateRecoveryKey, parseRecoveryKey } from '../../../shared/crypto/recovery-key';

async function code(text: string): Promise<string | undefined> {
  return parseRecoveryKey(text).then(
    () => undefined,
    (error: unknown) => (error instanceof RecoveryKeyError ? error.code : 'other'),
  );
}

describe('recovery key', () => {
  it('prints 14 groups of 4 Crockford base32 characters and reads them back', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 32, maxLength: 32 }), async (key) => {
        const printed = await formatRecoveryKey(key);
        expect(printed).toMatch(/^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){13}$/);
        expect(bytesEqual(await parseRecoveryKey(printed), key)).toBe(true);
      }),
      { numRuns: 50 },
    );
    expect(await formatRecoveryKey(new Uint8Array(32))).toMatch(/^0000-0000-0000-0000-0000-0000-0000-0000-0000-0000-0000-0000-0000-/);
  });

  it('tolerates spaces, dashes, line breaks, lower case and O/0, I/1, L/1 confusions', async () => {
    const key = fromHex('1b048fc9e752d3532b6afb97c5b00e34a00275f731a5da561bb128e1153848fc');
    const printed = await formatRecoveryKey(key); // 3C28-ZJF7-AB9N-6AVA-ZEBW-BC0E-6JG0-4XFQ-66JX-MNGV-P4ME-259R-93Y0-HWVV
    const variants = [
      printed.toLowerCase(),
      printed.replace(/-/g, ' '),
      printed.replace(/-/g, ''),
      printed.replace(/-/g, '\n'),
      printed.replace(/0/g, 'O'),
      printed.replace(/0/g, 'o').replace(/-/g, ' – '),
      ` ${printed} `,
    ];
    for (const variant of variants) expect(bytesEqual(await parseRecoveryKey(variant), key), variant).toBe(true);
    const withOne = await formatRecoveryKey(fromHex('ffffffff00000000ffffffff00000000ffffffff00000000ffffffff00000001'));
    expect(withOne).toContain('1');
    expect(bytesEqual(await parseRecoveryKey(withOne.replace(/1/g, 'l')), await parseRecoveryKey(withOne))).toBe(true);
    expect(bytesEqual(await parseRecoveryKey(withOne.replace(/1/g, 'I')), await parseRecoveryKey(withOne))).toBe(true);
  });

  it('catches every single-character typo with the checksum group', async () => {
    const key = generateRecoveryKey();
    const compact = (await formatRecoveryKey(key)).replace(/-/g, '');
    let caught = 0;
    for (let i = 0; i < compact.length; i++) {
      const replacement = compact[i] === 'X' ? 'Y' : 'X';
      const typo = compact.slice(0, i) + replacement + compact.slice(i + 1);
      if ((await code(typo)) === 'E_RECOVERY_KEY_CHECKSUM') caught++;
    }
    expect(caught).toBe(compact.length);
    const swapped = compact[0] === compact[1] ? compact : compact[1]! + compact[0]! + compact.slice(2);
    if (swapped !== compact) expect(await code(swapped)).toBe('E_RECOVERY_KEY_CHECKSUM');
  });

  it('reports the wrong length and characters outside the alphabet, without echoing them', async () => {
    const printed = await formatRecoveryKey(generateRecoveryKey());
    expect(await code(printed.slice(0, -1))).toBe('E_RECOVERY_KEY_FORMAT');
    expect(await code(`${printed}A`)).toBe('E_RECOVERY_KEY_FORMAT');
    expect(await code('')).toBe('E_RECOVERY_KEY_FORMAT');
    const withU = `U${printed.slice(1)}`;
    const error = await parseRecoveryKey(withU).catch((caught: unknown) => caught as RecoveryKeyError);
    expect(error).toMatchObject({ code: 'E_RECOVERY_KEY_FORMAT', message: expect.stringMatching(/Character 1 of group 1/) });
    expect((error as RecoveryKeyError).message).not.toContain(printed.slice(1, 5));
  });
});
