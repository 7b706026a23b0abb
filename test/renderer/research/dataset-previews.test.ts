import { describe, expect, it } from 'vitest';
import { InstanceDecoder } from '../../../renderer/features/imaging/viewer/decode/instance-decoder';
import { gatherPreviews, previewOf } from '../../../renderer/research/dataset-previews';
import type { ThumbnailDecoder } from '../../../renderer/research/dataset-thumbnails';
import { nodeCodecs } from '../features/imaging/viewer/node-codecs';
import { ctSlice, TS } from '../features/imaging/viewer/viewer-fixtures';

/**
 * The dataset page's previews of a purchased package (issue 15 item 7): CSV and NDJSON rows, and
 * the DICOM thumbnails, shown only for a package that checked.
 */

describe('the dataset page’s previews', () => {
  const encode = (text: string) => new TextEncoder().encode(text);

  it('shows a CSV file’s header and first rows, quotes and CRLF line ends understood', () => {
    const preview = previewOf('csv/Patient.csv', encode('id,pseudonym,gender,age,zip3\r\np1,"A, B",female,"90+",123\r\np2,C,male,45,456\r\n'));
    expect(preview).toEqual({ columns: ['id', 'pseudonym', 'gender', 'age', 'zip3'], rows: [['p1', 'A, B', 'female', '90+', '123'], ['p2', 'C', 'male', '45', '456']] });
  });

  it('shows NDJSON resources by id, subject, code, value and time; a line that is not JSON says so', () => {
    const line = JSON.stringify({ resourceType: 'Observation', id: 'o1', subject: { reference: 'Patient/p1' }, code: { coding: [{ system: 'http://loinc.org', code: '4548-4', display: 'HbA1c' }] }, valueQuantity: { value: 6.1, unit: '%' }, effectiveDateTime: '2024' });
    const preview = previewOf('fhir/Observation.ndjson', encode(`${line}\nnot json\n`));
    expect(preview.columns).toEqual(['id', 'subject', 'code', 'value', 'when']);
    expect(preview.rows).toEqual([
      ['o1', 'Patient/p1', 'HbA1c', '6.1 %', '2024'],
      ['(not JSON)', '', '', '', ''],
    ]);
  });

  it('drops a last line the preview cut in two, and shows nothing for other files', () => {
    // The preview reads the first 64 KiB: here the third line is longer than that.
    const head = encode(`a,b\nx,y\n${'z'.repeat(70_000)}\n`).subarray(0, 64 * 1024);
    expect(previewOf('csv/Big.csv', head)).toEqual({ columns: ['a', 'b'], rows: [['x', 'y']] });
    expect(previewOf('dicom/1/2/3.dcm', encode('DICM'))).toEqual({ columns: [], rows: [] });
  });
});

describe('the dataset page’s DICOM thumbnails', () => {
  const encode = (text: string) => new TextEncoder().encode(text);
  const once = (bytes: Uint8Array): AsyncIterable<Uint8Array> => ({
    async *[Symbol.asyncIterator]() {
      yield bytes;
    },
  });
  const STUDY = '2.25.100';
  const CT_SERIES = '2.25.101';
  const MR_SERIES = '2.25.102';
  const slice = (n: number) => new Uint8Array(ctSlice({ size: 32, slice: n, transferSyntax: TS.explicitLittle, sopInstanceUid: `2.25.${200 + n}` }));
  const imagingStudy = JSON.stringify({
    resourceType: 'ImagingStudy',
    id: 'is1',
    subject: { reference: 'Patient/p1' },
    series: [
      { uid: CT_SERIES, modality: { system: 'http://dicom.nema.org/resources/ontology/DCM', code: 'CT' }, numberOfInstances: 2 },
      { uid: MR_SERIES, modality: { system: 'http://dicom.nema.org/resources/ontology/DCM', code: 'MR' }, numberOfInstances: 1 },
    ],
  });
  /** The package's files in its order (ImagingStudy after the DICOM files, as the clinic writes them), then the check at the end. */
  const files: [string, Uint8Array][] = [
    ['release-report.json', encode('{}')],
    ['csv/Patient.csv', encode('id,pseudonym\np1,PSEUDO-1\n')],
    [`dicom/${STUDY}/${CT_SERIES}/2.25.201.dcm`, slice(1)],
    [`dicom/${STUDY}/${CT_SERIES}/2.25.202.dcm`, slice(2)],
    [`dicom/${STUDY}/${MR_SERIES}/2.25.203.dcm`, slice(3)],
    ['fhir/ImagingStudy.ndjson', encode(`${imagingStudy}\n`)],
    ['manifest.json', encode('{}')],
  ];
  function decoder() {
    const inner = new InstanceDecoder(nodeCodecs());
    const state = { closed: 0 };
    const port: ThumbnailDecoder = { open: (key, bytes, first) => inner.open(key, bytes, first), close: () => state.closed++ };
    return { port, state };
  }
  const reading = (checked: boolean) => async (onFile: (name: string, data: AsyncIterable<Uint8Array>) => Promise<void>) => {
    for (const [name, bytes] of files) await onFile(name, once(bytes));
    if (!checked) throw new Error('The package is not the one the delivery names: its SHA-256 differs.');
    return 'checked';
  };

  it('shows the first image of each DICOM file of a package that checked, named by file and modality; the other previews as before', async () => {
    const { port, state } = decoder();
    const { read, previews } = await gatherPreviews(reading(true), port);
    expect(read).toBe('checked');
    expect(state.closed).toBe(1);
    expect(previews.get('csv/Patient.csv')).toEqual({ columns: ['id', 'pseudonym'], rows: [['p1', 'PSEUDO-1']] });
    expect(previews.get('fhir/ImagingStudy.ndjson')?.rows).toEqual([['is1', 'Patient/p1', '', '', '']]);
    const thumbnails = [...previews].filter(([, preview]) => preview.thumbnail !== undefined).map(([path, preview]) => [path, preview.thumbnail!.alt, preview.thumbnail!.width, preview.thumbnail!.src.slice(0, 22)]);
    expect(thumbnails).toEqual([
      [`dicom/${STUDY}/${CT_SERIES}/2.25.201.dcm`, `First image of dicom/${STUDY}/${CT_SERIES}/2.25.201.dcm (CT)`, 32, 'data:image/png;base64,'],
      [`dicom/${STUDY}/${CT_SERIES}/2.25.202.dcm`, `First image of dicom/${STUDY}/${CT_SERIES}/2.25.202.dcm (CT)`, 32, 'data:image/png;base64,'],
      [`dicom/${STUDY}/${MR_SERIES}/2.25.203.dcm`, `First image of dicom/${STUDY}/${MR_SERIES}/2.25.203.dcm (MR)`, 32, 'data:image/png;base64,'],
    ]);
    expect(previews.get(`dicom/${STUDY}/${CT_SERIES}/2.25.201.dcm`)).toMatchObject({ columns: [], rows: [] });
    expect(previews.has('manifest.json') || previews.has('release-report.json')).toBe(false);
  });

  it('shows none of a package that fails its check at the end (and ends the decoder)', async () => {
    const { port, state } = decoder();
    await expect(gatherPreviews(reading(false), port)).rejects.toThrow(/SHA-256 differs/);
    expect(state.closed).toBe(1);
  });

  it('without a decode worker (Node), the DICOM files have no preview and the rest is as before', async () => {
    const { previews } = await gatherPreviews(reading(true), null);
    expect([...previews.values()].some((preview) => preview.thumbnail !== undefined)).toBe(false);
    expect(previews.get(`dicom/${STUDY}/${MR_SERIES}/2.25.203.dcm`)).toEqual({ columns: [], rows: [] });
    expect(previews.get('csv/Patient.csv')?.rows).toEqual([['p1', 'PSEUDO-1']]);
  });
});
