import { buildFileMetaInformation } from '../../../electron/intake/dicom/dicom-part10';
import { writeDataset, type Element } from '../../electron/intake/dicom/dicom-test-support';

/**
 * The tests' own DICOMDIR writer (PS3.10 8.6, PS3.3 F.3): explicit VR little endian, a Directory
 * Record Sequence of defined-length items, the records linked by their byte offsets (from the
 * first byte of the preamble) as the standard says. Records may be written in another order than
 * the tree's (the reader must follow the offsets), and records may be left unlinked.
 */

export interface DirectoryNode {
  readonly type: string;
  /** Referenced File ID components, e.g. ['IMAGES', 'IM0001']. */
  readonly fileId?: readonly string[];
  readonly sopInstanceUid?: string;
  /** Record In-use Flag (retired): 0 marks a record deleted in place. */
  readonly inUse?: number;
  readonly children?: readonly DirectoryNode[];
}

interface Flat {
  readonly node: DirectoryNode;
  next: Flat | null;
  lower: Flat | null;
}

function flatten(level: readonly DirectoryNode[], into: Flat[]): Flat | null {
  let previous: Flat | null = null;
  let first: Flat | null = null;
  for (const node of level) {
    const flat: Flat = { node, next: null, lower: null };
    into.push(flat);
    flat.lower = flatten(node.children ?? [], into);
    if (previous !== null) previous.next = flat;
    else first = flat;
    previous = flat;
  }
  return first;
}

function itemBody(flat: Flat, offsetOf: (flat: Flat | null) => number): Buffer {
  const elements: Element[] = [
    [0x00041400, 'UL', offsetOf(flat.next)],
    [0x00041410, 'US', flat.node.inUse ?? 0xffff],
    [0x00041420, 'UL', offsetOf(flat.lower)],
    [0x00041430, 'CS', flat.node.type],
  ];
  if (flat.node.fileId !== undefined) elements.push([0x00041500, 'CS', flat.node.fileId.join('\\')]);
  if (flat.node.sopInstanceUid !== undefined) elements.push([0x00041511, 'UI', flat.node.sopInstanceUid]);
  return writeDataset(elements);
}

function item(body: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt16LE(0xfffe, 0);
  head.writeUInt16LE(0xe000, 2);
  head.writeUInt32LE(body.length, 4);
  return Buffer.concat([head, body]);
}

export function buildDicomdir(roots: readonly DirectoryNode[], options: { readonly reversed?: boolean; readonly unlinked?: readonly DirectoryNode[] } = {}): Buffer {
  const flats: Flat[] = [];
  const root = flatten(roots, flats);
  const written = options.reversed === true ? [...flats].reverse() : [...flats];
  for (const node of options.unlinked ?? []) written.push({ node, next: null, lower: null });
  const meta = buildFileMetaInformation({ sopClassUid: '1.2.840.10008.1.3.10', sopInstanceUid: '1.2.826.0.1.3680043.10.999.77', transferSyntaxUid: '1.2.840.10008.1.2.1' });
  const head = (rootOffset: number): Element[] => [
    [0x00041130, 'CS', 'HDMSTEST'],
    [0x00041200, 'UL', rootOffset],
    [0x00041202, 'UL', 0],
    [0x00041212, 'US', 0],
  ];
  // Sizes do not depend on the offsets' values: place every item, then write them with their offsets.
  const itemsStart = meta.length + writeDataset(head(0)).length + 12;
  const offsets = new Map<Flat, number>();
  let at = itemsStart;
  for (const flat of written) {
    offsets.set(flat, at);
    at += 8 + itemBody(flat, () => 0).length;
  }
  const offsetOf = (flat: Flat | null): number => (flat === null ? 0 : offsets.get(flat)!);
  const sequence = Buffer.concat(written.map((flat) => item(itemBody(flat, offsetOf))));
  return Buffer.concat([meta, writeDataset([...head(offsetOf(root)), [0x00041220, 'SQ', sequence]])]);
}
