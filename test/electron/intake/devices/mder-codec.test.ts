import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeApdu, decodePhdAssociationInformation, encodeApdu, UnknownApduChoiceError, UnknownDataChoiceError, type Apdu } from '../../../../electron/intake/devices/apdu';
import { MderError, MderReader } from '../../../../electron/intake/devices/mder';
import { decodeAbsoluteTime, decodeFloat, decodeSfloat, encodeAbsoluteTime, encodeFloat, encodeSfloat } from '../../../../electron/intake/devices/mder-values';
import { DATA } from '../../../../electron/intake/devices/nomenclature';
import { aarq, fromHex, rlrq, SYSTEM_ID, toHex } from './agent-apdus';

describe('MDER bounded reader', () => {
  it('refuses a read past its container and names the field', () => {
    const r = new MderReader(Uint8Array.of(1, 2, 3), 0, 3, 'x.');
    expect(r.u16('a')).toBe(0x0102);
    expect(() => r.u16('b')).toThrow(/x\.b: needs 2 byte\(s\) but only 1 remain/);
  });

  it('a SEQUENCE OF whose count outruns its length fails; one with bytes left over fails', () => {
    // count 2, length 2, one u16: the second element is not there.
    expect(() => new MderReader(Uint8Array.of(0, 2, 0, 2, 0, 7)).sequenceOf('list', (r) => r.u16('e'))).toThrow(MderError);
    // count 1, length 4, one u16 + 2 bytes left.
    expect(() => new MderReader(Uint8Array.of(0, 1, 0, 4, 0, 7, 0, 0)).sequenceOf('list', (r) => r.u16('e'))).toThrow(/left over/);
  });

  it('never allocates from a length field: a declared 65535-byte octet string over 2 bytes fails', () => {
    expect(() => new MderReader(Uint8Array.of(0xff, 0xff, 1, 2)).octetString('s')).toThrow(/needs 65535/);
  });
});

describe('SFLOAT and FLOAT', () => {
  it('decodes ordinary values with their exponent', () => {
    expect(decodeSfloat(0x0078)).toMatchObject({ kind: 'number', value: 120 });
    expect(decodeSfloat(0xf16f)).toMatchObject({ kind: 'number', mantissa: 367, exponent: -1, value: 36.7 });
    expect(decodeSfloat(0xfff6)).toMatchObject({ kind: 'number', mantissa: -10, exponent: -1, value: -1 });
    expect(decodeFloat(0xff000270)).toMatchObject({ kind: 'number', mantissa: 624, exponent: -1, value: 62.4 });
    expect(decodeFloat(0x00fffffe)).toMatchObject({ kind: 'number', mantissa: -2, value: -2 });
  });

  it('special values stay names, never numbers', () => {
    expect(decodeSfloat(0x07ff)).toEqual({ kind: 'special', special: 'NaN' });
    expect(decodeSfloat(0x0800)).toEqual({ kind: 'special', special: 'NRes' });
    expect(decodeSfloat(0x07fe)).toEqual({ kind: 'special', special: '+INF' });
    expect(decodeSfloat(0x0802)).toEqual({ kind: 'special', special: '-INF' });
    expect(decodeSfloat(0x0801)).toEqual({ kind: 'special', special: 'reserved' });
    expect(decodeFloat(0x007fffff)).toEqual({ kind: 'special', special: 'NaN' });
    expect(decodeFloat(0x00800000)).toEqual({ kind: 'special', special: 'NRes' });
    expect(decodeFloat(0x007ffffe)).toEqual({ kind: 'special', special: '+INF' });
    expect(decodeFloat(0x00800002)).toEqual({ kind: 'special', special: '-INF' });
  });

  it('property: every 16-bit word decodes and re-encodes to itself; numbers are finite', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffff }), (word) => {
        const v = decodeSfloat(word);
        if (v.kind === 'number') expect(Number.isFinite(v.value)).toBe(true);
        expect(encodeSfloat(v)).toBe(word);
      }),
    );
  });

  it('property: every 32-bit word decodes and re-encodes to itself', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), (word) => {
        const v = decodeFloat(word);
        if (v.kind === 'number') expect(Number.isFinite(v.value)).toBe(true);
        expect(encodeFloat(v)).toBe(word);
      }),
    );
  });

  it('refuses to encode a mantissa that would read back as a special value', () => {
    expect(() => encodeSfloat({ kind: 'number', mantissa: 2047, exponent: 0, value: 2047 })).toThrow(/special/);
    expect(() => encodeSfloat({ kind: 'number', mantissa: 5000, exponent: 0, value: 5000 })).toThrow(/range/);
  });
});

describe('AbsoluteTime (BCD)', () => {
  it('decodes a valid time as local wall-clock text', () => {
    expect(decodeAbsoluteTime(fromHex('2026112108523550'))).toMatchObject({ valid: true, local: '2026-11-21T08:52:35.50' });
    expect(decodeAbsoluteTime(fromHex('2024022923595999'))).toMatchObject({ valid: true, local: '2024-02-29T23:59:59.99' });
  });

  it('refuses non-BCD octets and out-of-range fields without throwing', () => {
    expect(decodeAbsoluteTime(fromHex('20261321256199ff'))).toEqual({ valid: false, reason: 'octet 7 is not BCD' });
    expect(decodeAbsoluteTime(fromHex('2026132108523550'))).toEqual({ valid: false, reason: 'month out of range' });
    expect(decodeAbsoluteTime(fromHex('2025022908523550'))).toEqual({ valid: false, reason: 'day out of range' });
    expect(decodeAbsoluteTime(fromHex('2026112125003550'))).toEqual({ valid: false, reason: 'hour out of range' });
    expect(decodeAbsoluteTime(fromHex('2026112108603550'))).toEqual({ valid: false, reason: 'minute out of range' });
    expect(decodeAbsoluteTime(fromHex('2026112108526050'))).toEqual({ valid: false, reason: 'second out of range' });
    expect(decodeAbsoluteTime(fromHex('0000000000000000'))).toMatchObject({ valid: false });
    expect(decodeAbsoluteTime(fromHex('20261121'))).toMatchObject({ valid: false });
  });

  it('property: any 8 octets decode to a valid time or a reason, never an exception; valid ones round-trip', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 8, maxLength: 8 }), (bytes) => {
        const t = decodeAbsoluteTime(bytes);
        if (t.valid) expect(toHex(encodeAbsoluteTime(t))).toBe(toHex(bytes));
        else expect(t.reason).toMatch(/./);
      }),
    );
  });
});

describe('APDU codec', () => {
  it('an AARQ laid out by hand decodes field by field', () => {
    // E2 00 | length 0x32 | assoc-version 0x80000000 | data-proto-list count 1 length 0x2A |
    // data-proto-id 20601 (0x5079) | info length 0x26 | protocolVersion 0x80000000 | encodingRules MDER 0x8000 |
    // nomenclatureVersion 0x80000000 | functionalUnits 0 | systemType agent 0x00800000 |
    // system-id (8) | dev-config-id 0x02BC | data-req-mode flags 0x0001, agent count 1, manager count 0 | option-list empty
    const hand = fromHex('e2000032 80000000 0001 002a 5079 0026 80000000 8000 80000000 00000000 00800000 0008 001c05fffe123456 02bc 0001 01 00 0000 0000');
    expect(toHex(aarq(0x02bc))).toBe(toHex(hand));
    const apdu = decodeApdu(hand);
    if (apdu.type !== 'aarq') throw new Error('not an AARQ');
    expect(apdu.assocVersion).toBe(0x80000000);
    const info = decodePhdAssociationInformation(apdu.dataProtos[0]!.info);
    expect(info.devConfigId).toBe(0x02bc);
    expect(toHex(info.systemId)).toBe(toHex(SYSTEM_ID));
  });

  it('refuses an APDU whose outer length does not match the bytes (both ways)', () => {
    const ok = rlrq(0);
    expect(decodeApdu(ok)).toEqual({ type: 'rlrq', reason: 0 });
    expect(() => decodeApdu(Uint8Array.of(...ok, 0))).toThrow(/left over/);
    expect(() => decodeApdu(ok.subarray(0, ok.length - 1))).toThrow(MderError);
  });

  it('refuses a PRST whose inner octet string is longer than its container (nested length overrun)', () => {
    // PRST length 10; octet string claims 12.
    const bytes = fromHex('e700000a 000c 0001 0400 0002 0000');
    expect(() => decodeApdu(bytes)).toThrow(/needs 12 byte/);
  });

  it('refuses a DATA-apdu message whose length leaves bytes over', () => {
    // RORJ with message length 4 but the problem is 2 bytes.
    const bytes = fromHex('e700000a 0008 0001 0400 0004 0002 0000');
    expect(() => decodeApdu(bytes)).toThrow(/left over/);
  });

  it('an unknown APDU choice and an unknown DATA-apdu choice are their own errors (the latter keeps the invoke id)', () => {
    expect(() => decodeApdu(fromHex('e8000002 0000'))).toThrow(UnknownApduChoiceError);
    try {
      decodeApdu(fromHex('e7000008 0006 0042 0102 0000'));
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(UnknownDataChoiceError);
      expect((error as UnknownDataChoiceError).invokeId).toBe(0x42);
    }
  });

  const bytesArb = fc.uint8Array({ maxLength: 40 });
  const u16 = fc.integer({ min: 0, max: 0xffff });
  const u32 = fc.integer({ min: 0, max: 0xffffffff });
  const ava = fc.record({ id: u16, value: bytesArb });
  const messageArb = fc.oneof(
    fc.record({ choice: fc.constantFrom(DATA.ROIV_CMIP_EVENT_REPORT, DATA.ROIV_CMIP_CONFIRMED_EVENT_REPORT), objHandle: u16, eventTime: u32, eventType: u16, eventInfo: bytesArb }),
    fc.record({ choice: fc.constant(DATA.RORS_CMIP_CONFIRMED_EVENT_REPORT), objHandle: u16, currentTime: u32, eventType: u16, eventReplyInfo: bytesArb }),
    fc.record({ choice: fc.constant(DATA.ROIV_CMIP_GET), objHandle: u16, attributeIds: fc.array(u16, { maxLength: 6 }) }),
    fc.record({ choice: fc.constantFrom(DATA.RORS_CMIP_GET, DATA.RORS_CMIP_CONFIRMED_SET), objHandle: u16, attributes: fc.array(ava, { maxLength: 4 }) }),
    fc.record({ choice: fc.constantFrom(DATA.ROIV_CMIP_SET, DATA.ROIV_CMIP_CONFIRMED_SET), objHandle: u16, modifications: fc.array(fc.record({ operator: u16, attribute: ava }), { maxLength: 3 }) }),
    fc.record({ choice: fc.constantFrom(DATA.ROIV_CMIP_ACTION, DATA.ROIV_CMIP_CONFIRMED_ACTION, DATA.RORS_CMIP_CONFIRMED_ACTION), objHandle: u16, actionType: u16, actionInfo: bytesArb }),
    fc.record({ choice: fc.constant(DATA.ROER), errorValue: u16, parameter: bytesArb }),
    fc.record({ choice: fc.constant(DATA.RORJ), problem: u16 }),
  );
  const apduArb: fc.Arbitrary<Apdu> = fc.oneof(
    fc.record({ type: fc.constant('aarq' as const), assocVersion: u32, dataProtos: fc.array(fc.record({ id: u16, info: bytesArb }), { maxLength: 3 }) }),
    fc.record({ type: fc.constant('aare' as const), result: u16, selectedDataProto: fc.record({ id: u16, info: bytesArb }) }),
    fc.record({ type: fc.constantFrom('rlrq' as const, 'rlre' as const, 'abrt' as const), reason: u16 }),
    fc.record({ type: fc.constant('prst' as const), data: fc.record({ invokeId: u16, message: messageArb }) }),
  ) as fc.Arbitrary<Apdu>;

  it('property: decode(encode(apdu)) is the apdu, for every APDU and DATA-apdu shape', () => {
    fc.assert(
      fc.property(apduArb, (apdu) => {
        expect(decodeApdu(encodeApdu(apdu))).toEqual(apdu);
      }),
    );
  });

  it('property: arbitrary bytes either decode to something that re-encodes to the same bytes, or fail with an MderError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), (bytes) => {
        let apdu: Apdu;
        try {
          apdu = decodeApdu(bytes);
        } catch (error) {
          expect(error).toBeInstanceOf(MderError);
          return;
        }
        expect(toHex(encodeApdu(apdu))).toBe(toHex(bytes));
      }),
      { numRuns: 2000 },
    );
  });

  it('property: every truncation of a valid APDU fails with an MderError', () => {
    fc.assert(
      fc.property(apduArb, fc.nat(), (apdu, cut) => {
        const bytes = encodeApdu(apdu);
        const at = cut % bytes.length;
        expect(() => decodeApdu(bytes.subarray(0, at))).toThrow(MderError);
      }),
    );
  });
});
