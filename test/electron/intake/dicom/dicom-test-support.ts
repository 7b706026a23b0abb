import net from 'node:net';
import { writeFile } from 'node:fs/promises';
import { PDU_TYPE, PduReader, encodeAssociateRq, encodePData, encodeReleaseRq, parseAbort, parseAssociateAc, parseAssociateRj, parsePDataTf, type AssociateAc, type AssociateRj, type Pdu, type PresentationContextRq } from '../../../../electron/intake/dicom/dicom-pdu';
import { COMMAND_FIELD, decodeCommand, encodeCommand, type DimseCommand } from '../../../../electron/intake/dicom/dimse-command';
import { buildFileMetaInformation } from '../../../../electron/intake/dicom/dicom-part10';
import { DICOM_APPLICATION_CONTEXT, EXPLICIT_VR_BIG_ENDIAN, EXPLICIT_VR_LITTLE_ENDIAN, IMPLICIT_VR_LITTLE_ENDIAN, VERIFICATION_SOP_CLASS } from '../../../../electron/intake/dicom/dicom-uids';

/**
 * The tests' own DICOM fixtures and peer: a small data set writer (explicit/implicit little
 * endian, explicit big endian) and an SCU speaking through the receiver's own PDU codec. Fixtures
 * are made here, not taken from anywhere.
 */

export const CT_IMAGE_STORAGE = '1.2.840.10008.5.1.4.1.1.2';
export const SECONDARY_CAPTURE_STORAGE = '1.2.840.10008.5.1.4.1.1.7';

export type Element = readonly [tag: number, vr: string, value: string | Buffer | number];

const LONG_VRS = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'SV', 'UC', 'UN', 'UR', 'UT', 'UV']);

function valueBytes(vr: string, value: string | Buffer | number, bigEndian: boolean): Buffer {
  if (Buffer.isBuffer(value)) return value.length % 2 === 0 ? value : Buffer.concat([value, Buffer.from([0])]);
  if (typeof value === 'number') {
    const bytes = Buffer.alloc(vr === 'UL' ? 4 : 2);
    if (vr === 'UL' && bigEndian) bytes.writeUInt32BE(value);
    else if (vr === 'UL') bytes.writeUInt32LE(value);
    else if (bigEndian) bytes.writeUInt16BE(value);
    else bytes.writeUInt16LE(value);
    return bytes;
  }
  const bytes = Buffer.from(value, 'latin1');
  return bytes.length % 2 === 0 ? bytes : Buffer.concat([bytes, Buffer.from([vr === 'UI' ? 0 : 0x20])]);
}

/** A data set (no meta) in the given transfer syntax; elements are sorted by tag. */
export function writeDataset(elements: readonly Element[], transferSyntax: string = EXPLICIT_VR_LITTLE_ENDIAN): Buffer {
  const bigEndian = transferSyntax === EXPLICIT_VR_BIG_ENDIAN;
  const implicit = transferSyntax === IMPLICIT_VR_LITTLE_ENDIAN;
  const parts = [...elements]
    .sort((a, b) => a[0] - b[0])
    .map(([tag, vr, value]) => {
      const data = valueBytes(vr, value, bigEndian);
      const group = tag >>> 16;
      const element = tag & 0xffff;
      if (implicit) {
        const head = Buffer.alloc(8);
        head.writeUInt16LE(group, 0);
        head.writeUInt16LE(element, 2);
        head.writeUInt32LE(data.length, 4);
        return Buffer.concat([head, data]);
      }
      const long = LONG_VRS.has(vr);
      const head = Buffer.alloc(long ? 12 : 8);
      const u16 = (value: number, at: number) => (bigEndian ? head.writeUInt16BE(value, at) : head.writeUInt16LE(value, at));
      const u32 = (value: number, at: number) => (bigEndian ? head.writeUInt32BE(value, at) : head.writeUInt32LE(value, at));
      u16(group, 0);
      u16(element, 2);
      head.write(vr, 4, 'latin1');
      if (long) u32(data.length, 8);
      else u16(data.length, 6);
      return Buffer.concat([head, data]);
    });
  return Buffer.concat(parts);
}

export interface InstanceFields {
  readonly sopInstanceUid: string;
  readonly sopClassUid?: string;
  readonly studyInstanceUid?: string;
  readonly seriesInstanceUid?: string;
  readonly patientId?: string;
  readonly issuer?: string;
  readonly patientName?: string;
  readonly birthDate?: string;
  readonly sex?: string;
  readonly modality?: string;
  readonly studyDate?: string;
  readonly studyDescription?: string;
  readonly accession?: string;
  readonly charset?: string;
  /** Raw (already encoded) patient name bytes, for charset tests. */
  readonly patientNameBytes?: Buffer;
  /** Pixel data bytes (OW, 16-bit), default a 4×4 ramp. */
  readonly pixels?: Buffer;
  readonly rows?: number;
  readonly columns?: number;
}

/** A small CT-like image's elements (16-bit monochrome, 4×4 unless told). */
export function instanceElements(fields: InstanceFields): Element[] {
  const rows = fields.rows ?? 4;
  const columns = fields.columns ?? 4;
  const pixels = fields.pixels ?? Buffer.from(Uint16Array.from({ length: rows * columns }, (_, i) => i * 100).buffer);
  const elements: Element[] = [
    [0x00080016, 'UI', fields.sopClassUid ?? CT_IMAGE_STORAGE],
    [0x00080018, 'UI', fields.sopInstanceUid],
    [0x00080020, 'DA', fields.studyDate ?? '20260114'],
    [0x00080030, 'TM', '101500'],
    [0x00080050, 'SH', fields.accession ?? 'ACC001'],
    [0x00080060, 'CS', fields.modality ?? 'CT'],
    [0x00081030, 'LO', fields.studyDescription ?? 'CT HEAD'],
    [0x0008103e, 'LO', 'AXIAL'],
    [0x0020000d, 'UI', fields.studyInstanceUid ?? '1.2.826.0.1.3680043.10.999.1'],
    [0x0020000e, 'UI', fields.seriesInstanceUid ?? '1.2.826.0.1.3680043.10.999.1.1'],
    [0x00200011, 'IS', '1'],
    [0x00200013, 'IS', '1'],
    [0x00280002, 'US', 1],
    [0x00280004, 'CS', 'MONOCHROME2'],
    [0x00280010, 'US', rows],
    [0x00280011, 'US', columns],
    [0x00280100, 'US', 16],
    [0x00280101, 'US', 12],
    [0x00280102, 'US', 11],
    [0x00280103, 'US', 0],
    [0x7fe00010, 'OW', pixels],
  ];
  if (fields.charset !== undefined) elements.push([0x00080005, 'CS', fields.charset]);
  if (fields.patientNameBytes !== undefined) elements.push([0x00100010, 'PN', fields.patientNameBytes]);
  else if (fields.patientName !== undefined) elements.push([0x00100010, 'PN', fields.patientName]);
  if (fields.patientId !== undefined) elements.push([0x00100020, 'LO', fields.patientId]);
  if (fields.issuer !== undefined) elements.push([0x00100021, 'LO', fields.issuer]);
  if (fields.birthDate !== undefined) elements.push([0x00100030, 'DA', fields.birthDate]);
  if (fields.sex !== undefined) elements.push([0x00100040, 'CS', fields.sex]);
  return elements;
}

/** A Part 10 file of these elements. */
export function part10File(elements: readonly Element[], transferSyntax: string = EXPLICIT_VR_LITTLE_ENDIAN): Buffer {
  const sopClassUid = String(elements.find((element) => element[0] === 0x00080016)?.[2] ?? CT_IMAGE_STORAGE);
  const sopInstanceUid = String(elements.find((element) => element[0] === 0x00080018)?.[2] ?? '1.2.3');
  return Buffer.concat([buildFileMetaInformation({ sopClassUid, sopInstanceUid, transferSyntaxUid: transferSyntax }), writeDataset(elements, transferSyntax)]);
}

export async function writePart10(file: string, elements: readonly Element[], transferSyntax?: string): Promise<void> {
  await writeFile(file, part10File(elements, transferSyntax));
}

// ── a test SCU ─────────────────────────────────────────────────────────────────────────────

export interface ScuOptions {
  readonly port: number;
  readonly calledAeTitle?: string;
  readonly callingAeTitle?: string;
  readonly contexts?: readonly PresentationContextRq[];
  readonly maxLength?: number;
}

export type Received = { readonly type: 'ac'; readonly ac: AssociateAc } | { readonly type: 'rj'; readonly rj: AssociateRj } | { readonly type: 'abort'; readonly source: number; readonly reason: number } | { readonly type: 'release-rp' } | { readonly type: 'response'; readonly command: DimseCommand } | { readonly type: 'closed' };

/** A bare connection that yields what the receiver sends, PDU by PDU. */
export class TestScu {
  private readonly queue: Received[] = [];
  private waiter: (() => void) | null = null;
  private commandParts: Buffer[] = [];
  private messageId = 1;
  private constructor(readonly socket: net.Socket) {
    const reader = new PduReader({ maxPDataLength: 1 << 24 });
    socket.on('data', (chunk: Buffer) => {
      for (const pdu of reader.push(chunk)) this.onPdu(pdu);
    });
    socket.on('close', () => this.push({ type: 'closed' }));
    socket.on('error', () => undefined);
  }

  static async connect(port: number): Promise<TestScu> {
    const socket = net.connect(port, '127.0.0.1');
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    return new TestScu(socket);
  }

  /** Connects and associates; resolves the AC or RJ (or abort/closed). */
  static async associate(options: ScuOptions): Promise<{ scu: TestScu; answer: Received }> {
    const scu = await TestScu.connect(options.port);
    scu.socket.write(
      encodeAssociateRq({
        calledAeTitle: options.calledAeTitle ?? 'HDMS',
        callingAeTitle: options.callingAeTitle ?? 'TESTSCU',
        applicationContext: DICOM_APPLICATION_CONTEXT,
        presentationContexts: options.contexts ?? [
          { id: 1, abstractSyntax: VERIFICATION_SOP_CLASS, transferSyntaxes: [IMPLICIT_VR_LITTLE_ENDIAN] },
          { id: 3, abstractSyntax: CT_IMAGE_STORAGE, transferSyntaxes: [EXPLICIT_VR_LITTLE_ENDIAN, IMPLICIT_VR_LITTLE_ENDIAN] },
        ],
        maxLength: options.maxLength ?? 16384,
        implementationClassUid: '1.2.3.4',
      }),
    );
    return { scu, answer: await scu.next() };
  }

  private onPdu(pdu: Pdu): void {
    switch (pdu.type) {
      case PDU_TYPE.A_ASSOCIATE_AC:
        return this.push({ type: 'ac', ac: parseAssociateAc(pdu.body) });
      case PDU_TYPE.A_ASSOCIATE_RJ:
        return this.push({ type: 'rj', rj: parseAssociateRj(pdu.body) });
      case PDU_TYPE.A_ABORT:
        return this.push({ type: 'abort', ...parseAbort(pdu.body) });
      case PDU_TYPE.A_RELEASE_RP:
        return this.push({ type: 'release-rp' });
      case PDU_TYPE.P_DATA_TF:
        for (const pdv of parsePDataTf(pdu.body)) {
          this.commandParts.push(pdv.data);
          if (pdv.last && pdv.command) {
            this.push({ type: 'response', command: decodeCommand(Buffer.concat(this.commandParts)) });
            this.commandParts = [];
          }
        }
        return;
      default:
        return;
    }
  }

  private push(received: Received): void {
    this.queue.push(received);
    const waiter = this.waiter;
    this.waiter = null;
    waiter?.();
  }

  /** The next thing the receiver sent (or 'closed'). */
  async next(): Promise<Received> {
    for (;;) {
      const next = this.queue.shift();
      if (next !== undefined) return next;
      await new Promise<void>((resolve) => (this.waiter = resolve));
    }
  }

  echo(contextId = 1): void {
    this.sendCommand(contextId, { commandField: COMMAND_FIELD.C_ECHO_RQ, messageId: this.messageId++, affectedSopClassUid: VERIFICATION_SOP_CLASS, commandDataSetType: 0x0101 });
  }

  /** Sends a C-STORE-RQ and its data set in fragments of `fragment` bytes. */
  store(contextId: number, sopClassUid: string, sopInstanceUid: string, dataset: Buffer, fragment = 16384): void {
    this.sendCommand(contextId, { commandField: COMMAND_FIELD.C_STORE_RQ, messageId: this.messageId++, priority: 0, affectedSopClassUid: sopClassUid, affectedSopInstanceUid: sopInstanceUid, commandDataSetType: 0x0000 });
    for (const pdu of encodePData(contextId, false, dataset, fragment)) this.socket.write(pdu);
  }

  sendCommand(contextId: number, command: DimseCommand): void {
    for (const pdu of encodePData(contextId, true, encodeCommand(command), 16384)) this.socket.write(pdu);
  }

  release(): void {
    this.socket.write(encodeReleaseRq());
  }

  close(): void {
    this.socket.destroy();
  }
}
