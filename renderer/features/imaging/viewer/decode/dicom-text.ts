import type { DataSet, Element } from 'dicom-parser';

/**
 * Text values in the data set's Specific Character Set (0008,0005), decoded with the platform's
 * TextDecoder. Single-byte sets and UTF-8 by their label; ISO 2022 with escapes (IR 87 Japanese,
 * IR 149 Korean) through the decoders that understand the escapes; anything else as Latin-1.
 */
const LABELS: Readonly<Record<string, string>> = {
  '': 'windows-1252',
  ISO_IR_6: 'windows-1252',
  ISO_IR_100: 'windows-1252',
  ISO_IR_101: 'iso-8859-2',
  ISO_IR_109: 'iso-8859-3',
  ISO_IR_110: 'iso-8859-4',
  ISO_IR_144: 'iso-8859-5',
  ISO_IR_127: 'iso-8859-6',
  ISO_IR_126: 'iso-8859-7',
  ISO_IR_138: 'iso-8859-8',
  ISO_IR_148: 'windows-1254',
  ISO_IR_166: 'windows-874',
  ISO_IR_192: 'utf-8',
  GB18030: 'gb18030',
  GBK: 'gbk',
  'ISO_2022_IR_6': 'windows-1252',
  'ISO_2022_IR_100': 'windows-1252',
  'ISO_2022_IR_87': 'iso-2022-jp',
  'ISO_2022_IR_13': 'shift_jis',
  'ISO_2022_IR_149': 'euc-kr',
};

export function decoderFor(dataSet: DataSet): TextDecoder {
  const terms = (dataSet.string('x00080005') ?? '').split('\\').map((term) => term.trim().replace(/ /g, '_'));
  // The first term is the default repertoire; a later ISO 2022 term names the escapes in use.
  const label = terms.map((term) => LABELS[term]).find((found, i) => found !== undefined && (i > 0 || terms.length === 1)) ?? LABELS[terms[0] ?? ''] ?? 'windows-1252';
  try {
    return new TextDecoder(label);
  } catch {
    return new TextDecoder('windows-1252');
  }
}

/** A string element's text, trailing padding (spaces, NULs) removed. */
export function elementText(dataSet: DataSet, element: Element, decoder: TextDecoder): string {
  const bytes = dataSet.byteArray.subarray(element.dataOffset, element.dataOffset + element.length);
  return decoder.decode(bytes).replace(/[\0 ]+$/, '');
}
