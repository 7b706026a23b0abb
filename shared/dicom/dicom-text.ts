import type { DataSet, Element } from 'dicom-parser';
import { decodeDicomText } from './dicom-charset';

/**
 * Text values in the data set's Specific Character Set (0008,0005), decoded by the one
 * implementation the body's index uses too (shared/dicom/dicom-charset): single-byte sets and
 * UTF-8 by label, ISO 2022 IR 87/149 switching at each escape sequence.
 */
export interface DicomTextDecoder {
  decode(bytes: Uint8Array): string;
}

export function decoderFor(dataSet: DataSet): DicomTextDecoder {
  const specificCharacterSet = dataSet.string('x00080005');
  return { decode: (bytes) => decodeDicomText(bytes, specificCharacterSet) };
}

/** A string element's text, trailing padding (spaces, NULs) removed. */
export function elementText(dataSet: DataSet, element: Element, decoder: DicomTextDecoder): string {
  const bytes = dataSet.byteArray.subarray(element.dataOffset, element.dataOffset + element.length);
  return decoder.decode(bytes).replace(/[\0 ]+$/, '');
}
