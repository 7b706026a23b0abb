import { describe, expect, it } from 'vitest';
import {
  ABORT_REASON,
  PDU_TYPE,
  PduError,
  PduReader,
  PduStreamReader,
  encodeAssociateRq,
  encodePData,
  parseAssociateRq,
  parsePDataTf,
  parsePDataTfParts,
  type Pdv,
} from '../../../../electron/intake/dicom/dicom-pdu';
import { negotiateAssociation } from '../../../../electron/intake/dicom/dicom-negotiation';
import { COMMAND_FIELD, DimseError, decodeCommand, encodeCommand } from '../../../../electron/intake/dicom/dimse-command';
import { STATE_TRANSITIONS } from '../../../../electron/intake/dicom/dicom-upper-layer';

const RQ = {
  calledAeTitle: 'HDMS',
  callingAeTitle: 'CT01',
  applicationContext: '1.2.840.10008.3.1.1.1',
  presentationContexts: [
    { id: 1, abstractSyntax: '1.2.840.10008.1.1', transferSyntaxes: ['1.2.840.10008.1.2'] },
    { id: 3, abstractSyntax: '1.2.840.10008.5.1.4.1.1.2', transferSyntaxes: ['1.2.840.10008.1.2.4.70', '1.2.840.10008.1.2.1'] },
    { id: 5, abstractSyntax: '1.2.840.10008.5.1.4.1.2.2.1', transferSyntaxes: ['1.2.840.10008.1.2'] },
    { id: 7, abstractSyntax: '1.2.840.10008.5.1.4.1.1.4', transferSyntaxes: ['1.2.3.4.5.6'] },
  ],
  maxLength: 32768,
  implementationClassUid: '1.2.3.4',
  implementationVersionName: 'TEST_1',
};

describe('DICOM Upper Layer PDUs (PS3.8 9.3)', () => {
  it('reads an A-ASSOCIATE-RQ back as written, in any fragmentation', () => {
    const bytes = encodeAssociateRq(RQ);
    const reader = new PduReader({ maxPDataLength: 16384 });
    const pdus = [...bytes].flatMap((byte) => reader.push(Buffer.from([byte])));
    expect(pdus).toHaveLength(1);
    expect(pdus[0]!.type).toBe(PDU_TYPE.A_ASSOCIATE_RQ);
    expect(parseAssociateRq(pdus[0]!.body)).toEqual({ ...RQ, protocolVersion: 1 });
    expect(reader.heldBytes).toBe(0);
  });

  it('refuses a PDU of an unknown type, a P-DATA-TF over the maximum and a release PDU of the wrong length as soon as the header is in', () => {
    const reader = () => new PduReader({ maxPDataLength: 1000 });
    const error = (bytes: number[]) => {
      try {
        reader().push(Buffer.from(bytes));
      } catch (caught) {
        return caught as PduError;
      }
      return null;
    };
    expect(error([0x47, 0x45, 0x54, 0x20, 0x2f, 0x20])).toMatchObject({ abortReason: ABORT_REASON.UNRECOGNIZED_PDU });
    expect(error([0x04, 0, 0, 0, 0x03, 0xe9])).toMatchObject({ abortReason: ABORT_REASON.INVALID_PDU_PARAMETER_VALUE });
    expect(error([0x05, 0, 0, 0, 0, 5])).toMatchObject({ abortReason: ABORT_REASON.INVALID_PDU_PARAMETER_VALUE });
    expect(error([0x01, 0, 0x7f, 0xff, 0xff, 0xff])).toBeInstanceOf(PduError);
  });

  it('refuses malformed association requests: items past the end, even or repeated context ids, no user information', () => {
    const good = encodeAssociateRq(RQ).subarray(6);
    const truncated = Buffer.from(good.subarray(0, good.length - 3));
    expect(() => parseAssociateRq(truncated)).toThrow(PduError);
    expect(() => parseAssociateRq(encodeAssociateRq({ ...RQ, presentationContexts: [{ ...RQ.presentationContexts[0]!, id: 2 }] }).subarray(6))).toThrow(/even or repeated/);
    expect(() => parseAssociateRq(encodeAssociateRq({ ...RQ, presentationContexts: [RQ.presentationContexts[0]!, RQ.presentationContexts[0]!] }).subarray(6))).toThrow(/even or repeated/);
    expect(() => parseAssociateRq(good.subarray(0, 60))).toThrow(/shorter than its fixed fields/);
  });

  it('fragments P-DATA to the peer maximum and reads the PDVs back', () => {
    const data = Buffer.alloc(25_000, 7);
    const pdus = encodePData(3, false, data, 10_000);
    expect(pdus).toHaveLength(3);
    const reader = new PduReader({ maxPDataLength: 10_000 });
    const pdvs = pdus.flatMap((pdu) => reader.push(pdu)).flatMap((pdu) => parsePDataTf(pdu.body));
    expect(pdvs.map((pdv) => [pdv.contextId, pdv.command, pdv.last, pdv.data.length])).toEqual([
      [3, false, false, 9994],
      [3, false, false, 9994],
      [3, false, true, 5012],
    ]);
    expect(Buffer.concat(pdvs.map((pdv) => pdv.data)).equals(data)).toBe(true);
    expect(() => parsePDataTf(Buffer.from([0, 0, 0, 9, 1, 3]))).toThrow(PduError);
    expect(() => parsePDataTf(Buffer.from([0, 0, 0, 2, 1, 0x80]))).toThrow(/reserved bits/);
  });

  it('reads a P-DATA-TF held in pieces (as the reader hands it on, uncopied) as the same fragments, wherever the reads were cut', () => {
    // Three PDVs in one PDU: a whole command, an empty data fragment, a last data fragment.
    const pdv = (contextId: number, control: number, data: Buffer) => {
      const head = Buffer.alloc(6);
      head.writeUInt32BE(data.length + 2, 0);
      head[4] = contextId;
      head[5] = control;
      return Buffer.concat([head, data]);
    };
    const body = Buffer.concat([pdv(1, 3, Buffer.from('command set')), pdv(3, 0, Buffer.alloc(0)), pdv(3, 2, Buffer.from(Array.from({ length: 40 }, (_, i) => i)))]);
    const pdu = Buffer.concat([Buffer.from([PDU_TYPE.P_DATA_TF, 0, 0, 0, 0, body.length]), body]);
    // Fragments joined up to each last-fragment bit: what the DIMSE layer makes of them.
    const joined = (pdvs: readonly Pdv[]) => {
      const out: string[] = [];
      let open: Pdv[] = [];
      for (const fragment of pdvs) {
        open.push(fragment);
        if (!fragment.last) continue;
        // Every piece keeps its PDV's context and command bit: one label per group.
        const labels = [...new Set(open.map((part) => `${part.contextId}/${part.command}`))].join(',');
        out.push(`${labels} ${Buffer.concat(open.map((part) => part.data)).toString('hex')}`);
        open = [];
      }
      return out;
    };
    const expected = joined(parsePDataTf(body));
    expect(expected.map((group) => group.split(' ')[0])).toEqual(['1/true', '3/false']);
    for (let cut = 1; cut < pdu.length; cut++) {
      for (const second of [cut + 1, cut + 7, pdu.length]) {
        if (second > pdu.length || second <= cut) continue;
        const reader = new PduReader({ maxPDataLength: 1000 });
        const pdus = [pdu.subarray(0, cut), pdu.subarray(cut, second), pdu.subarray(second)].flatMap((read) => reader.push(Buffer.from(read)));
        expect(pdus).toHaveLength(1);
        expect(pdus[0]!.body.equals(body)).toBe(true);
        const pdvs = parsePDataTfParts(pdus[0]!.parts!);
        expect(pdvs.at(-1)!.last).toBe(true);
        expect(joined(pdvs)).toEqual(expected);
      }
    }
    const pieces = (bytes: number[], at: number) => [Buffer.from(bytes.slice(0, at)), Buffer.from(bytes.slice(at))];
    expect(() => parsePDataTfParts(pieces([0, 0, 0, 9, 1, 3, 0], 3))).toThrow(/does not fit/);
    expect(() => parsePDataTfParts(pieces([0, 0, 0, 2, 1, 0x80], 5))).toThrow(/reserved bits/);
    expect(() => parsePDataTfParts(pieces([0, 0, 0, 2, 1], 2))).toThrow(/runs past the end/);
    expect(() => parsePDataTfParts([])).toThrow(/holds no PDV/);
  });
});

describe('PduStreamReader: PDUs cut from reads into one reused buffer', () => {
  /** Pushes `bytes` cut at `cuts` through one buffer that is overwritten after every push; the data of each PDV copied at once. */
  const readThroughOneBuffer = (reader: PduStreamReader, bytes: Buffer, cuts: readonly number[]) => {
    const buffer = Buffer.alloc(bytes.length);
    const out: string[] = [];
    let open: Pdv[] = [];
    const others: number[] = [];
    let ends = 0;
    const bounds = [0, ...cuts, bytes.length];
    for (let i = 0; i + 1 < bounds.length; i++) {
      const read = buffer.subarray(0, bounds[i + 1]! - bounds[i]!);
      bytes.copy(read, 0, bounds[i]!, bounds[i + 1]!);
      for (const piece of reader.push(read)) {
        if ('pdu' in piece) {
          others.push(piece.pdu.type);
          continue;
        }
        if (piece.pduEnd) ends++;
        open.push({ ...piece.pdv, data: Buffer.from(piece.pdv.data) });
        if (!piece.pdv.last) continue;
        const labels = [...new Set(open.map((part) => `${part.contextId}/${part.command}`))].join(',');
        out.push(`${labels} ${Buffer.concat(open.map((part) => part.data)).toString('hex')}`);
        open = [];
      }
      read.fill(0xee); // the next read overwrites it: nothing handed on may still point into it
    }
    return { groups: out, others, ends };
  };

  it('hands on each PDV as it arrives, the same fragments as parsePDataTf wherever the reads were cut, and whole other PDUs', () => {
    const command = encodePData(1, true, Buffer.from('0123456789abcdef'), 0)[0]!;
    const data = encodePData(3, false, Buffer.from(Array.from({ length: 40 }, (_, i) => i)), 0)[0]!;
    const twoPdvs = Buffer.concat([Buffer.from([PDU_TYPE.P_DATA_TF, 0, 0, 0, 0, 0]), command.subarray(6), data.subarray(6)]);
    twoPdvs.writeUInt32BE(twoPdvs.length - 6, 2);
    const release = Buffer.from([PDU_TYPE.A_RELEASE_RQ, 0, 0, 0, 0, 4, 0, 0, 0, 0]);
    const stream = Buffer.concat([twoPdvs, release, data]);
    const expected = [...parsePDataTf(twoPdvs.subarray(6)), ...parsePDataTf(data.subarray(6))].map((pdv) => `${pdv.contextId}/${pdv.command} ${pdv.data.toString('hex')}`);
    for (let cut = 1; cut < stream.length; cut++) {
      for (const second of [cut + 1, cut + 5, cut + 13]) {
        const cuts = second < stream.length ? [cut, second] : [cut];
        const reader = new PduStreamReader({ maxPDataLength: 1000 });
        const { groups, others, ends } = readThroughOneBuffer(reader, stream, cuts);
        expect(groups).toEqual(expected);
        expect(others).toEqual([PDU_TYPE.A_RELEASE_RQ]);
        expect(ends).toBe(2);
        expect(reader.heldBytes).toBe(0);
      }
    }
  });

  it('refuses what PduReader and parsePDataTf refuse, as soon as the bytes that show it are in', () => {
    const error = (bytes: number[], maxPDataLength = 1000) => {
      try {
        new PduStreamReader({ maxPDataLength }).push(Buffer.from(bytes));
      } catch (caught) {
        return caught as PduError;
      }
      return null;
    };
    expect(error([0x47, 0x45, 0x54, 0x20, 0x2f, 0x20])).toMatchObject({ abortReason: ABORT_REASON.UNRECOGNIZED_PDU });
    expect(error([0x04, 0, 0, 0, 0x03, 0xe9])?.message).toMatch(/longer than the maximum length 1000/);
    expect(error([0x05, 0, 0, 0, 0, 5])?.message).toMatch(/not 4/);
    expect(error([0x04, 0, 0, 0, 0, 0])?.message).toMatch(/holds no PDV/);
    expect(error([0x04, 0, 0, 0, 0, 7, 0, 0, 0, 9, 1, 3])?.message).toMatch(/does not fit/);
    expect(error([0x04, 0, 0, 0, 0, 6, 0, 0, 0, 2, 1, 0x80])?.message).toMatch(/reserved bits/);
    expect(error([0x04, 0, 0, 0, 0, 5, 0, 0, 0, 2, 1])?.message).toMatch(/runs past the end/);
    // A second PDV header that cannot fit what is left of its PDU.
    expect(error([0x04, 0, 0, 0, 0, 11, 0, 0, 0, 3, 1, 2, 0xaa, 0, 0, 0, 2])?.message).toMatch(/runs past the end/);
  });
});

describe('association negotiation', () => {
  it('accepts Verification and storage contexts with the first proposed transfer syntax it takes, refusing the others context by context', () => {
    const decision = negotiateAssociation({ ...RQ, protocolVersion: 1 }, '127.0.0.1', { aeTitle: 'HDMS', allowedCallers: [], maxPduLength: 65536 });
    expect(decision.accepted).toBe(true);
    if (!decision.accepted) return;
    expect(decision.ac.presentationContexts).toEqual([
      { id: 1, result: 0, transferSyntax: '1.2.840.10008.1.2' },
      { id: 3, result: 0, transferSyntax: '1.2.840.10008.1.2.4.70' },
      { id: 5, result: 3, transferSyntax: '1.2.840.10008.1.2' },
      { id: 7, result: 4, transferSyntax: '1.2.3.4.5.6' },
    ]);
    expect([...decision.contexts.keys()]).toEqual([1, 3]);
    expect(decision.ac.maxLength).toBe(65536);
  });

  it('matches an allow-list entry by calling AE title and address together (IPv4-mapped addresses included)', () => {
    const policy = { aeTitle: 'HDMS', allowedCallers: [{ aeTitle: 'CT01', address: '10.0.0.5' }], maxPduLength: 65536 };
    expect(negotiateAssociation({ ...RQ, protocolVersion: 1 }, '::ffff:10.0.0.5', policy).accepted).toBe(true);
    expect(negotiateAssociation({ ...RQ, protocolVersion: 1 }, '10.0.0.6', policy).accepted).toBe(false);
    expect(negotiateAssociation({ ...RQ, protocolVersion: 1, callingAeTitle: 'MR01' }, '10.0.0.5', policy).accepted).toBe(false);
    expect(negotiateAssociation({ ...RQ, protocolVersion: 1, applicationContext: '1.2.3' }, '10.0.0.5', policy)).toMatchObject({ accepted: false, rj: { source: 1, reason: 2 } });
  });
});

describe('DIMSE command sets (PS3.7 E)', () => {
  it('round-trips a C-STORE-RQ and rejects what is not a command set', () => {
    const command = { commandField: COMMAND_FIELD.C_STORE_RQ, messageId: 7, priority: 0, affectedSopClassUid: '1.2.840.10008.5.1.4.1.1.2', affectedSopInstanceUid: '1.2.3.4.5', commandDataSetType: 0 };
    expect(decodeCommand(encodeCommand(command))).toEqual(command);
    expect(() => decodeCommand(Buffer.from([0x08, 0, 0x18, 0, 2, 0, 0, 0, 1, 2]))).toThrow(DimseError);
    expect(() => decodeCommand(encodeCommand(command).subarray(0, 30))).toThrow(DimseError);
    expect(() => decodeCommand(Buffer.alloc(20_000))).toThrow(/longer than/);
  });
});

describe('the acceptor state table (PS3.8 Table 9-10)', () => {
  it('has an action for every event an acceptor can meet in each state it passes through', () => {
    const peerEvents = ['Evt3', 'Evt4', 'Evt6', 'Evt10', 'Evt12', 'Evt13', 'Evt16', 'Evt17', 'Evt19'] as const;
    for (const state of ['Sta2', 'Sta3', 'Sta6', 'Sta8', 'Sta13'] as const) {
      for (const event of peerEvents) expect(STATE_TRANSITIONS[state][event], `${state} ${event}`).toBeDefined();
    }
    expect(STATE_TRANSITIONS.Sta2.Evt18).toBe('AA-2');
    expect(STATE_TRANSITIONS.Sta13.Evt18).toBe('AA-2');
    expect(STATE_TRANSITIONS.Sta6.Evt10).toBe('DT-2');
    expect(STATE_TRANSITIONS.Sta13.Evt17).toBe('AR-5');
  });
});
