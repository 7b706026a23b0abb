import type { DataSet } from 'dicom-parser';
import { dicomDate, dicomDateTime, dicomTime } from './dicom-dates';
import { decoderFor, elementText, type DicomTextDecoder } from '../../../../../shared/dicom/dicom-text';

/**
 * A DICOM Structured Report (PS3.3 C.17.3) as indented text: each content item's concept name,
 * then its value by Value Type (TEXT, CODE, NUM with units, DATE, TIME and DATETIME as the app
 * shows dates and times (dicom-dates.ts), PNAME, UIDREF, CONTAINER; references as their type),
 * its children below it.
 */
export interface ReportLine {
  readonly depth: number;
  /** The relationship to the parent (CONTAINS, HAS PROPERTIES…), '' at the root. */
  readonly relationship: string;
  readonly concept: string;
  readonly value: string;
}

function text(dataSet: DataSet, tag: string, decoder: DicomTextDecoder): string {
  const element = dataSet.elements[tag];
  return element === undefined ? '' : elementText(dataSet, element, decoder);
}

function codeMeaning(dataSet: DataSet, sequenceTag: string, decoder: DicomTextDecoder): string {
  const item = dataSet.elements[sequenceTag]?.items?.[0]?.dataSet;
  if (item === undefined) return '';
  return text(item, 'x00080104', decoder) || text(item, 'x00080100', decoder);
}

function valueOf(item: DataSet, type: string, decoder: DicomTextDecoder): string {
  switch (type) {
    case 'TEXT':
      return text(item, 'x0040a160', decoder);
    case 'CODE':
      return codeMeaning(item, 'x0040a168', decoder);
    case 'NUM': {
      const measured = item.elements['x0040a300']?.items?.[0]?.dataSet;
      if (measured === undefined) return '(no value)';
      const units = codeMeaning(measured, 'x004008ea', decoder);
      const value = text(measured, 'x0040a30a', decoder);
      return units === '' || units === 'no units' ? value : `${value} ${units}`;
    }
    case 'DATE':
      return dicomDate(text(item, 'x0040a121', decoder));
    case 'TIME':
      return dicomTime(text(item, 'x0040a122', decoder));
    case 'DATETIME':
      return dicomDateTime(text(item, 'x0040a120', decoder));
    case 'PNAME':
      return text(item, 'x0040a123', decoder).replace(/\^+/g, ' ').trim();
    case 'UIDREF':
      return text(item, 'x0040a124', decoder);
    case 'CONTAINER':
      return '';
    default:
      return type === '' ? '' : `(${type.toLowerCase()})`;
  }
}

function walk(dataSet: DataSet, depth: number, decoder: DicomTextDecoder, lines: ReportLine[]): void {
  for (const child of dataSet.elements['x0040a730']?.items ?? []) {
    const item = child.dataSet;
    if (item === undefined) continue;
    const type = text(item, 'x0040a040', decoder);
    lines.push({ depth, relationship: text(item, 'x0040a010', decoder), concept: codeMeaning(item, 'x0040a043', decoder), value: valueOf(item, type, decoder) });
    walk(item, depth + 1, decoder, lines);
  }
}

/** The report's lines, the document title (the root's concept name) first; null when the data set is no SR. */
export function reportLines(dataSet: DataSet): ReportLine[] | null {
  const decoder = decoderFor(dataSet);
  const rootType = text(dataSet, 'x0040a040', decoder);
  if (rootType === '' && dataSet.elements['x0040a730'] === undefined) return null;
  const lines: ReportLine[] = [{ depth: 0, relationship: '', concept: codeMeaning(dataSet, 'x0040a043', decoder) || 'Report', value: [text(dataSet, 'x0040a491', decoder), text(dataSet, 'x0040a493', decoder)].filter((flag) => flag !== '').join(', ') }];
  walk(dataSet, 1, decoder, lines);
  return lines;
}

/** An Encapsulated Document (PDF, CDA…): its bytes (without the even-length pad) and MIME type; null when none. */
export function encapsulatedDocument(dataSet: DataSet): { bytes: Uint8Array; mimeType: string; title: string } | null {
  const element = dataSet.elements['x00420011'];
  if (element === undefined) return null;
  const decoder = decoderFor(dataSet);
  let bytes = dataSet.byteArray.slice(element.dataOffset, element.dataOffset + element.length);
  const mimeType = text(dataSet, 'x00420012', decoder) || 'application/octet-stream';
  // PS3.3 C.24.2.1: an odd-length PDF is padded with one byte after %%EOF.
  if (mimeType === 'application/pdf' && bytes.length > 0 && bytes[bytes.length - 1] === 0) bytes = bytes.slice(0, bytes.length - 1);
  return { bytes, mimeType, title: text(dataSet, 'x00420010', decoder) };
}
