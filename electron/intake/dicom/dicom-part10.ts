import { IMPLEMENTATION_CLASS_UID, IMPLEMENTATION_VERSION_NAME } from './dicom-uids';

/**
 * The File Meta Information (PS3.10 7.1) put before a data set received over the network, so that
 * what is stored is a DICOM Part 10 file: the 128-byte preamble, `DICM`, then group 0002 in
 * Explicit VR Little Endian. The data set that follows is stored exactly as received.
 */
export interface FileMetaInput {
  readonly sopClassUid: string;
  readonly sopInstanceUid: string;
  readonly transferSyntaxUid: string;
  /** The calling AE title that sent it (Source Application Entity Title, 0002,0016). */
  readonly sourceAeTitle?: string;
}

function pad(value: string, padByte: number): Buffer {
  const bytes = Buffer.from(value, 'latin1');
  return bytes.length % 2 === 0 ? bytes : Buffer.concat([bytes, Buffer.from([padByte])]);
}

/** An explicit VR little endian element with a 2-byte length (UI, SH, AE, UL). */
function shortElement(element: number, vr: string, value: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt16LE(0x0002, 0);
  head.writeUInt16LE(element, 2);
  head.write(vr, 4, 'latin1');
  head.writeUInt16LE(value.length, 6);
  return Buffer.concat([head, value]);
}

/** OB: two reserved bytes and a 4-byte length. */
function obElement(element: number, value: Buffer): Buffer {
  const head = Buffer.alloc(12);
  head.writeUInt16LE(0x0002, 0);
  head.writeUInt16LE(element, 2);
  head.write('OB', 4, 'latin1');
  head.writeUInt32LE(value.length, 8);
  return Buffer.concat([head, value]);
}

export function buildFileMetaInformation(input: FileMetaInput): Buffer {
  const elements = [
    obElement(0x0001, Buffer.from([0x00, 0x01])),
    shortElement(0x0002, 'UI', pad(input.sopClassUid, 0)),
    shortElement(0x0003, 'UI', pad(input.sopInstanceUid, 0)),
    shortElement(0x0010, 'UI', pad(input.transferSyntaxUid, 0)),
    shortElement(0x0012, 'UI', pad(IMPLEMENTATION_CLASS_UID, 0)),
    shortElement(0x0013, 'SH', pad(IMPLEMENTATION_VERSION_NAME, 0x20)),
  ];
  if (input.sourceAeTitle !== undefined && input.sourceAeTitle !== '') elements.push(shortElement(0x0016, 'AE', pad(input.sourceAeTitle, 0x20)));
  const body = Buffer.concat(elements);
  const groupLength = Buffer.alloc(4);
  groupLength.writeUInt32LE(body.length, 0);
  return Buffer.concat([Buffer.alloc(128), Buffer.from('DICM', 'latin1'), shortElement(0x0000, 'UL', groupLength), body]);
}
