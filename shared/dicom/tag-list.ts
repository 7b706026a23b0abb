import type { DataSet, Element } from 'dicom-parser';
import { decoderFor, elementText, type DicomTextDecoder } from './dicom-text';
import { tagInfo } from './tag-dictionary';

/** One line of the tag browser: a data element, or the start of a sequence item. */
export interface TagRow {
  /** (gggg,eeee) */
  readonly tag: string;
  readonly vr: string;
  readonly name: string;
  /** Nesting: 0 top level, 1 inside a sequence's item… */
  readonly depth: number;
  readonly length: number;
  /** The value as text, or a description (binary lengths, item counts). */
  readonly value: string;
}

const STRING_VRS = new Set(['AE', 'AS', 'CS', 'DA', 'DS', 'DT', 'IS', 'LO', 'LT', 'PN', 'SH', 'ST', 'TM', 'UC', 'UI', 'UR', 'UT']);
const MAX_VALUE_CHARS = 256;
const MAX_NUMBERS = 16;

function parseTag(key: string): { group: number; element: number } {
  return { group: Number.parseInt(key.slice(1, 5), 16), element: Number.parseInt(key.slice(5, 9), 16) };
}

function numbers(dataSet: DataSet, element: Element, size: number, read: (index: number) => number | undefined): string {
  const count = Math.floor(element.length / size);
  const shown: string[] = [];
  for (let i = 0; i < Math.min(count, MAX_NUMBERS); i++) shown.push(String(read(i)));
  return count > MAX_NUMBERS ? `${shown.join('\\')}… (${count} values)` : shown.join('\\');
}

function valueOf(dataSet: DataSet, key: string, element: Element, vr: string, decoder: DicomTextDecoder): string {
  if (element.items !== undefined) return element.items.length === 1 ? '1 item' : `${element.items.length} items`;
  if (key === 'x7fe00010') {
    if (element.encapsulatedPixelData === true) {
      const count = element.fragments?.length ?? 0;
      return `${count} ${count === 1 ? 'fragment' : 'fragments'} (compressed)`;
    }
    // An instance read in ranges (ranged-instance.ts) stops at this element's header.
    return element.hadUndefinedLength === true ? 'compressed fragments (read frame by frame)' : `${element.length} bytes`;
  }
  switch (vr) {
    case 'US':
      return numbers(dataSet, element, 2, (i) => dataSet.uint16(key, i));
    case 'SS':
      return numbers(dataSet, element, 2, (i) => dataSet.int16(key, i));
    case 'UL':
      return numbers(dataSet, element, 4, (i) => dataSet.uint32(key, i));
    case 'SL':
      return numbers(dataSet, element, 4, (i) => dataSet.int32(key, i));
    case 'FL':
      return numbers(dataSet, element, 4, (i) => dataSet.float(key, i));
    case 'FD':
      return numbers(dataSet, element, 8, (i) => dataSet.double(key, i));
    case 'AT':
      return dataSet.attributeTag(key) ?? '';
    default:
      break;
  }
  if (STRING_VRS.has(vr) || (vr === '' && element.length <= MAX_VALUE_CHARS)) {
    const text = elementText(dataSet, element, decoder);
    // An implicit-VR element of unknown type: show it as text only when it reads as text.
    if (vr === '' && [...text].some((char) => char.charCodeAt(0) < 0x20 && char !== '\t' && char !== '\n' && char !== '\r')) return `${element.length} bytes`;
    return text.length > MAX_VALUE_CHARS ? `${text.slice(0, MAX_VALUE_CHARS)}…` : text;
  }
  return `${element.length} bytes`;
}

function walk(dataSet: DataSet, depth: number, decoder: DicomTextDecoder, rows: TagRow[]): void {
  for (const key of Object.keys(dataSet.elements).sort()) {
    const element = dataSet.elements[key]!;
    const { group, element: number } = parseTag(key);
    const info = tagInfo(group, number);
    const vr = element.vr ?? (element.items !== undefined ? 'SQ' : (info?.vr ?? ''));
    const tag = `(${key.slice(1, 5).toUpperCase()},${key.slice(5, 9).toUpperCase()})`;
    rows.push({ tag, vr, name: info?.name ?? '', depth, length: element.length, value: valueOf(dataSet, key, element, vr, decoder) });
    element.items?.forEach((item, index) => {
      rows.push({ tag: '(FFFE,E000)', vr: '', name: `Item ${index + 1}`, depth: depth + 1, length: item.length, value: '' });
      if (item.dataSet !== undefined) walk(item.dataSet, depth + 2, decoder, rows);
    });
  }
}

/** Every element of the data set, sequences expanded, in tag order (the tag browser's rows). */
export function tagRows(dataSet: DataSet): TagRow[] {
  const rows: TagRow[] = [];
  walk(dataSet, 0, decoderFor(dataSet), rows);
  return rows;
}
