import { deflateRawSync } from 'node:zlib';
import { buildFileMetaInformation } from '../../../../../electron/intake/dicom/dicom-part10';
import { CT_IMAGE_STORAGE, SECONDARY_CAPTURE_STORAGE, writeDataset, type Element } from '../../../../electron/intake/dicom/dicom-test-support';
import { encodeRleFrame } from '../../../../../renderer/features/imaging/viewer/decode/rle';

/**
 * DICOM instances for the viewer's tests, written by project code (the intake tests' data set
 * writer): a CT phantom with signed pixels and a rescale, and small images in every photometric
 * interpretation and native transfer syntax, plus RLE through our own encoder.
 */

export const TS = {
  implicitLittle: '1.2.840.10008.1.2',
  explicitLittle: '1.2.840.10008.1.2.1',
  deflated: '1.2.840.10008.1.2.1.99',
  explicitBig: '1.2.840.10008.1.2.2',
  rle: '1.2.840.10008.1.2.5',
} as const;

/**
 * A CT slice in Hounsfield units: air outside a body disc (soft tissue 40 HU), two lungs (−800),
 * a bone ring (1000) whose radius moves with `slice`, and outside the scan circle −3024 (the
 * padding scanners write). Stored as signed 16-bit (12 bits stored), HU = stored − 1024.
 */
export function ctPhantomHu(size: number, slice = 0): Int16Array {
  const hu = new Int16Array(size * size);
  const c = size / 2;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const r = Math.hypot(x - c, y - c) / c;
      let value = -1000;
      if (r > 0.98) value = -3024;
      else if (r < 0.8) {
        value = 40;
        const lung = Math.hypot(x - c * 0.62, y - c) / c < 0.22 || Math.hypot(x - c * 1.38, y - c) / c < 0.22;
        if (lung) value = -800;
        const ring = 0.1 + ((slice % 50) / 50) * 0.3;
        if (Math.abs(Math.hypot(x - c, y - c * 1.5) / c - ring) < 0.03) value = 1000;
        value += ((x * 7 + y * 13 + slice) % 11) - 5;
      }
      hu[y * size + x] = value;
    }
  }
  return hu;
}

export const CT_INTERCEPT = -1024;

/** Stored values of a phantom: HU − intercept, signed 16-bit containers. */
export function storedOfHu(hu: Int16Array): Int16Array {
  return hu.map((value) => value - CT_INTERCEPT);
}

function le16(values: ArrayLike<number>): Buffer {
  const out = Buffer.alloc(values.length * 2);
  for (let i = 0; i < values.length; i++) out.writeUInt16LE(values[i]! & 0xffff, i * 2);
  return out;
}

function be16(values: ArrayLike<number>): Buffer {
  const out = Buffer.alloc(values.length * 2);
  for (let i = 0; i < values.length; i++) out.writeUInt16BE(values[i]! & 0xffff, i * 2);
  return out;
}

export interface ImageFields {
  readonly sopInstanceUid: string;
  readonly sopClassUid?: string;
  readonly studyInstanceUid?: string;
  readonly seriesInstanceUid?: string;
  readonly seriesNumber?: number;
  readonly instanceNumber?: number;
  readonly patientId?: string;
  readonly patientName?: string;
  readonly issuer?: string;
  readonly modality?: string;
  readonly studyDescription?: string;
  readonly seriesDescription?: string;
  readonly accession?: string;
  readonly rows: number;
  readonly columns: number;
  readonly samplesPerPixel?: number;
  readonly photometric?: string;
  readonly bitsAllocated?: number;
  readonly bitsStored?: number;
  readonly highBit?: number;
  readonly pixelRepresentation?: number;
  readonly planarConfiguration?: number;
  readonly frames?: number;
  readonly extra?: readonly Element[];
  /** Pixel Data as written (already in the transfer syntax's byte order, or encapsulated). */
  readonly pixelData: Buffer;
  /** OB for encapsulated or 8-bit data, OW otherwise. */
  readonly pixelVr?: 'OB' | 'OW';
}

export function imageElements(fields: ImageFields): Element[] {
  const bitsAllocated = fields.bitsAllocated ?? 16;
  const elements: Element[] = [
    [0x00080016, 'UI', fields.sopClassUid ?? CT_IMAGE_STORAGE],
    [0x00080018, 'UI', fields.sopInstanceUid],
    [0x00080020, 'DA', '20260301'],
    [0x00080030, 'TM', '093000'],
    [0x00080050, 'SH', fields.accession ?? 'ACC-VIEW-1'],
    [0x00080060, 'CS', fields.modality ?? 'CT'],
    [0x00081030, 'LO', fields.studyDescription ?? 'CT THORAX'],
    [0x0008103e, 'LO', fields.seriesDescription ?? 'AXIAL 5MM'],
    [0x00100010, 'PN', fields.patientName ?? 'Viewer^Test'],
    [0x00100020, 'LO', fields.patientId ?? 'MRN-VIEW-1'],
    [0x0020000d, 'UI', fields.studyInstanceUid ?? '1.2.826.0.1.3680043.10.998.1'],
    [0x0020000e, 'UI', fields.seriesInstanceUid ?? '1.2.826.0.1.3680043.10.998.1.1'],
    [0x00200011, 'IS', String(fields.seriesNumber ?? 1)],
    [0x00200013, 'IS', String(fields.instanceNumber ?? 1)],
    [0x00280002, 'US', fields.samplesPerPixel ?? 1],
    [0x00280004, 'CS', fields.photometric ?? 'MONOCHROME2'],
    [0x00280010, 'US', fields.rows],
    [0x00280011, 'US', fields.columns],
    [0x00280100, 'US', bitsAllocated],
    [0x00280101, 'US', fields.bitsStored ?? bitsAllocated],
    [0x00280102, 'US', fields.highBit ?? (fields.bitsStored ?? bitsAllocated) - 1],
    [0x00280103, 'US', fields.pixelRepresentation ?? 0],
    [0x7fe00010, fields.pixelVr ?? (bitsAllocated <= 8 ? 'OB' : 'OW'), fields.pixelData],
  ];
  if (fields.issuer !== undefined) elements.push([0x00100021, 'LO', fields.issuer]);
  if ((fields.samplesPerPixel ?? 1) > 1) elements.push([0x00280006, 'US', fields.planarConfiguration ?? 0]);
  if (fields.frames !== undefined) elements.push([0x00280008, 'IS', String(fields.frames)]);
  return [...elements, ...(fields.extra ?? [])];
}

const ENCAPSULATED = new Set(['1.2.840.10008.1.2.5', '1.2.840.10008.1.2.4.50', '1.2.840.10008.1.2.4.51', '1.2.840.10008.1.2.4.57', '1.2.840.10008.1.2.4.70', '1.2.840.10008.1.2.4.80', '1.2.840.10008.1.2.4.81', '1.2.840.10008.1.2.4.90', '1.2.840.10008.1.2.4.91', '1.2.840.10008.1.2.4.201', '1.2.840.10008.1.2.4.202', '1.2.840.10008.1.2.4.203']);

/**
 * Part 10 bytes: preamble, File Meta Information, then the data set in the transfer syntax
 * (deflated for 1.2.1.99). In an encapsulated syntax, Pixel Data (last) gets an undefined length
 * and its value must already be items (encapsulate()).
 */
export function part10(elements: readonly Element[], transferSyntax: string): Buffer {
  const sopClassUid = String(elements.find((element) => element[0] === 0x00080016)?.[2] ?? SECONDARY_CAPTURE_STORAGE);
  const sopInstanceUid = String(elements.find((element) => element[0] === 0x00080018)?.[2] ?? '1.2.3');
  const meta = buildFileMetaInformation({ sopClassUid, sopInstanceUid, transferSyntaxUid: transferSyntax });
  if (transferSyntax === TS.deflated) return Buffer.concat([meta, deflateRawSync(writeDataset(elements, TS.explicitLittle))]);
  if (ENCAPSULATED.has(transferSyntax)) {
    const pixels = elements.find((element) => element[0] === 0x7fe00010);
    const rest = elements.filter((element) => element[0] !== 0x7fe00010);
    const head = Buffer.from([0xe0, 0x7f, 0x10, 0x00, 0x4f, 0x42, 0, 0, 0xff, 0xff, 0xff, 0xff]);
    return Buffer.concat([meta, writeDataset(rest, TS.explicitLittle), head, pixels?.[2] as Buffer]);
  }
  return Buffer.concat([meta, writeDataset(elements, transferSyntax)]);
}

/** Encapsulated pixel data (PS3.5 A.4): an empty basic offset table, one fragment per frame, the sequence delimiter. */
export function encapsulate(frames: readonly Uint8Array[]): Buffer {
  const item = (bytes: Uint8Array) => {
    const padded = bytes.length % 2 === 0 ? Buffer.from(bytes) : Buffer.concat([Buffer.from(bytes), Buffer.from([0])]);
    const head = Buffer.alloc(8);
    head.writeUInt16LE(0xfffe, 0);
    head.writeUInt16LE(0xe000, 2);
    head.writeUInt32LE(padded.length, 4);
    return Buffer.concat([head, padded]);
  };
  const end = Buffer.from([0xfe, 0xff, 0xdd, 0xe0, 0, 0, 0, 0]);
  return Buffer.concat([item(new Uint8Array(0)), ...frames.map(item), end]);
}

/** The CT rescale and a soft-tissue window as elements. */
export const CT_EXTRA: readonly Element[] = [
  [0x00280030, 'DS', '0.5\\0.5'],
  [0x00281050, 'DS', '40'],
  [0x00281051, 'DS', '400'],
  [0x00281052, 'DS', String(CT_INTERCEPT)],
  [0x00281053, 'DS', '1'],
  [0x00281055, 'LO', 'ABDOMEN'],
];

/** A CT slice of the phantom as a Part 10 file in a native transfer syntax (or RLE through our encoder). */
export function ctSlice(options: { readonly size: number; readonly slice?: number; readonly transferSyntax: string; readonly sopInstanceUid: string; readonly instanceNumber?: number; readonly seriesInstanceUid?: string; readonly studyInstanceUid?: string; readonly patientId?: string; readonly patientName?: string; readonly issuer?: string; readonly studyDescription?: string }): Buffer {
  const stored = storedOfHu(ctPhantomHu(options.size, options.slice ?? 0));
  let pixelData: Buffer;
  let pixelVr: 'OB' | 'OW' = 'OW';
  if (options.transferSyntax === TS.rle) {
    pixelData = encapsulate([encodeRleFrame(new Uint8Array(le16(stored)), 1, 16)]);
    pixelVr = 'OB';
  } else {
    pixelData = options.transferSyntax === TS.explicitBig ? be16(stored) : le16(stored);
  }
  const elements = imageElements({
    ...options,
    rows: options.size,
    columns: options.size,
    bitsAllocated: 16,
    bitsStored: 12,
    highBit: 11,
    pixelRepresentation: 1,
    pixelData,
    pixelVr,
    extra: CT_EXTRA,
  });
  return part10(elements, options.transferSyntax);
}

/** A sequence's items (explicit VR little endian, defined lengths), each a data set's bytes. */
export function sequenceItems(items: readonly Buffer[]): Buffer {
  return Buffer.concat(
    items.map((body) => {
      const head = Buffer.alloc(8);
      head.writeUInt16LE(0xfffe, 0);
      head.writeUInt16LE(0xe000, 2);
      head.writeUInt32LE(body.length, 4);
      return Buffer.concat([head, body]);
    }),
  );
}

const codeItem = (meaning: string) => sequenceItems([writeDataset([[0x00080100, 'SH', 'X1'], [0x00080102, 'SH', '99TEST'], [0x00080104, 'LO', meaning]])]);

export interface DocumentFields {
  readonly sopInstanceUid: string;
  readonly studyInstanceUid: string;
  readonly seriesInstanceUid: string;
  readonly patientId: string;
  readonly patientName: string;
  readonly studyDescription: string;
  readonly seriesNumber?: number;
  readonly seriesDescription?: string;
}

function documentHeader(fields: DocumentFields, sopClassUid: string, modality: string): Element[] {
  return [
    [0x00080016, 'UI', sopClassUid],
    [0x00080018, 'UI', fields.sopInstanceUid],
    [0x00080020, 'DA', '20260301'],
    [0x00080060, 'CS', modality],
    [0x00081030, 'LO', fields.studyDescription],
    ...(fields.seriesDescription !== undefined ? [[0x0008103e, 'LO', fields.seriesDescription] satisfies Element] : []),
    [0x00100010, 'PN', fields.patientName],
    [0x00100020, 'LO', fields.patientId],
    [0x0020000d, 'UI', fields.studyInstanceUid],
    [0x0020000e, 'UI', fields.seriesInstanceUid],
    [0x00200011, 'IS', String(fields.seriesNumber ?? 1)],
    [0x00200013, 'IS', '1'],
  ];
}

/** A Basic Text SR: a container "Imaging Report" holding a TEXT finding and a NUM in mm. */
export function srInstance(fields: DocumentFields, finding: string): Buffer {
  const text = writeDataset([
    [0x0040a010, 'CS', 'CONTAINS'],
    [0x0040a040, 'CS', 'TEXT'],
    [0x0040a043, 'SQ', codeItem('Finding')],
    [0x0040a160, 'UT', finding],
  ]);
  const num = writeDataset([
    [0x0040a010, 'CS', 'CONTAINS'],
    [0x0040a040, 'CS', 'NUM'],
    [0x0040a043, 'SQ', codeItem('Diameter')],
    [0x0040a300, 'SQ', sequenceItems([writeDataset([[0x004008ea, 'SQ', codeItem('mm')], [0x0040a30a, 'DS', '12.5']])])],
  ]);
  return part10(
    [
      ...documentHeader(fields, '1.2.840.10008.5.1.4.1.1.88.11', 'SR'),
      [0x0040a040, 'CS', 'CONTAINER'],
      [0x0040a043, 'SQ', codeItem('Imaging Report')],
      [0x0040a491, 'CS', 'COMPLETE'],
      [0x0040a730, 'SQ', sequenceItems([text, num])],
    ],
    TS.explicitLittle,
  );
}

/** An Encapsulated PDF instance. */
export function pdfInstance(fields: DocumentFields, pdf: Buffer, title: string): Buffer {
  return part10(
    [
      ...documentHeader(fields, '1.2.840.10008.5.1.4.1.1.104.1', 'DOC'),
      [0x00420010, 'ST', title],
      [0x00420011, 'OB', pdf],
      [0x00420012, 'LO', 'application/pdf'],
    ],
    TS.explicitLittle,
  );
}
