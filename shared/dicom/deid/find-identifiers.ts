import { decodeDicomText } from '../dicom-charset';
import { knownVr } from './deidentify-dataset';
import { readPart10, tagString, type DicomItem } from './dicom-dataset';

/**
 * A check of what leaves: looks for given identifiers (a patient's names, IDs, birth date, the
 * institution…) in every element value of a Part 10 file: the File Meta Information, the data set,
 * every sequence item at any depth, private elements too. Text is decoded with the Specific
 * Character Set in force where the value is (an item's own one, else its parent's), and also read
 * as Latin-1 bytes, so a value in an unexpected set is not missed. Pixel data is not searched.
 *
 * Matching ignores case and treats the PN component and group delimiters (^ and =) and runs of
 * spaces as one space, so "John Smith" is found in "Smith^John"-style values only when written in
 * that order; callers pass every form they need to exclude.
 */
export interface IdentifierHit {
  readonly identifier: string;
  /** Where: "(0040,A730)[0]>(0040,A123)". */
  readonly path: string;
}

const PIXEL_DATA_GROUP = 0x7fe0;

function normalize(text: string): string {
  return text.replace(/[\^=\\\0]+/g, ' ').replace(/\s+/g, ' ').trim().toLowerCase();
}

function latin1(bytes: Uint8Array): string {
  let out = '';
  for (const byte of bytes) out += String.fromCharCode(byte);
  return out;
}

export function findIdentifiers(bytes: Uint8Array, identifiers: readonly string[]): IdentifierHit[] {
  const wanted = identifiers.map((identifier) => ({ identifier, normal: normalize(identifier) })).filter((entry) => entry.normal !== '');
  const { meta, dataset } = readPart10(bytes, knownVr);
  const hits: IdentifierHit[] = [];
  const search = (item: DicomItem, charset: string | undefined, prefix: string): void => {
    const own = item.find((element) => element.tag === 0x00080005);
    const here = own !== undefined && own.kind === 'value' ? latin1(own.bytes).replace(/[\0 ]+$/, '') : charset;
    for (const element of item) {
      const path = `${prefix}${tagString(element.tag)}`;
      if (element.kind === 'sequence') {
        element.items.forEach((child, index) => search(child, here, `${path}[${index}]>`));
        continue;
      }
      if (element.tag >>> 16 === PIXEL_DATA_GROUP) continue;
      const texts = [normalize(decodeDicomText(element.bytes, here)), normalize(latin1(element.bytes))];
      for (const { identifier, normal } of wanted) {
        if (texts.some((text) => text.includes(normal))) hits.push({ identifier, path });
      }
    }
  };
  search(meta, undefined, '');
  search(dataset, undefined, '');
  return hits;
}
