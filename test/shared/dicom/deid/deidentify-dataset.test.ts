import { describe, expect, it } from 'vitest';
import { CT_IMAGE_STORAGE, SECONDARY_CAPTURE_STORAGE, instanceElements, part10File, writeDataset, type Element, type InstanceFields } from '../../../electron/intake/dicom/dicom-test-support';
import { cleanText, deidentifyInstance, shiftDates, type DeidentifyVerdict, type SupportedOption } from '../../../../shared/dicom/deid/deidentify-dataset';
import { findIdentifiers } from '../../../../shared/dicom/deid/find-identifiers';
import {
  ENCAPSULATED_PDF_STORAGE,
  EXPLICIT_VR_BIG_ENDIAN,
  IMPLICIT_VR_LITTLE_ENDIAN,
  JPEG_BASELINE,
  US_IMAGE_STORAGE,
  encapsulatedPixelData,
  has,
  item,
  parse,
  part10Of,
  pseudonymFor,
  remapper,
  sequence,
  text,
  undefinedLengthSequence,
  OTHER_SECRET,
} from './deid-test-support';

const STUDY = '1.2.826.0.1.3680043.10.999.100';
const SERIES = '1.2.826.0.1.3680043.10.999.100.1';
const FRAME_OF_REFERENCE = '1.2.826.0.1.3680043.10.999.100.9';

const base = (fields: Partial<InstanceFields> = {}): Element[] =>
  instanceElements({
    sopInstanceUid: '1.2.826.0.1.3680043.10.999.100.1.1',
    studyInstanceUid: STUDY,
    seriesInstanceUid: SERIES,
    patientId: 'PID-001',
    patientName: 'SMITH^JOHN',
    birthDate: '19700101',
    sex: 'M',
    ...fields,
  });

function run(elements: readonly Element[], options: readonly SupportedOption[] = [], transferSyntax?: string, extra: { dateShiftDays?: number; uids?: ReturnType<typeof remapper> } = {}): DeidentifyVerdict {
  return deidentifyInstance({
    bytes: part10File(elements, transferSyntax),
    options,
    uids: extra.uids ?? remapper(),
    pseudonymFor,
    ...(extra.dateShiftDays !== undefined ? { dateShiftDaysFor: () => extra.dateShiftDays! } : {}),
  });
}

function ok(verdict: DeidentifyVerdict): Extract<DeidentifyVerdict, { ok: true }> {
  if (!verdict.ok) throw new Error(`excluded: ${verdict.reason}`);
  return verdict;
}

const out = (elements: readonly Element[], options: readonly SupportedOption[] = [], transferSyntax?: string, extra = {}) => parse(ok(run(elements, options, transferSyntax, extra)).bytes);

describe('PS3.15 Table E.1-1 actions on a built data set', () => {
  it('D: Container Identifier (D) gets a dummy value of its VR', () => {
    const result = out([...base(), [0x00400512, 'LO', 'CONTAINER-4711']]);
    expect(text(result, 0x00400512)).toBe('ANONYMIZED');
  });

  it('Z: Accession Number and Study Date (Z) stay, with zero length', () => {
    const result = out(base());
    expect(has(result, 0x00080050)).toBe(true);
    expect(result.elements.x00080050!.length).toBe(0);
    expect(result.elements.x00080020!.length).toBe(0);
    expect(result.elements.x00100030!.length).toBe(0); // Patient's Birth Date (Z)
  });

  it('X: Study Description, Patient’s Address and Other Patient IDs (X) are removed', () => {
    const result = out([...base(), [0x00101040, 'LO', '1 MAIN STREET'], [0x00101000, 'LO', 'OTHER-99']]);
    expect(has(result, 0x00081030)).toBe(false);
    expect(has(result, 0x0008103e)).toBe(false);
    expect(has(result, 0x00101040)).toBe(false);
    expect(has(result, 0x00101000)).toBe(false);
  });

  it('K: an Option’s K keeps the value (Retain Patient Characteristics keeps Patient’s Sex and Weight); technical attributes are kept', () => {
    const elements: Element[] = [...base(), [0x00101030, 'DS', '72.5']];
    const without = out(elements);
    expect(without.elements.x00100040!.length).toBe(0); // Z in the Basic Profile
    expect(has(without, 0x00101030)).toBe(false); // X in the Basic Profile
    const kept = out(elements, ['retainPatientCharacteristics']);
    expect(text(kept, 0x00100040)).toBe('M');
    expect(text(kept, 0x00101030)).toBe('72.5');
    expect(kept.uint16('x00280010')).toBe(4);
    expect(text(kept, 0x00080060)).toBe('CT');
  });

  it('C: Clean Descriptors keeps a descriptor without the instance’s identifying values and dates', () => {
    const elements = base({ studyDescription: 'CT HEAD John SMITH 12.03.2025 follow-up' });
    const result = out(elements, ['cleanDescriptors']);
    expect(text(result, 0x00081030)).toBe('CT HEAD follow-up');
    expect(text(result, 0x0008103e)).toBe('AXIAL');
    expect(has(out(elements), 0x00081030)).toBe(false);
  });

  it('U: SOP Instance, Study, Series and Frame of Reference UIDs are replaced; SOP Class UID is not', () => {
    const verdict = ok(run([...base(), [0x00200052, 'UI', FRAME_OF_REFERENCE]]));
    const result = parse(verdict.bytes);
    const uids = [0x00080018, 0x0020000d, 0x0020000e, 0x00200052].map((tag) => text(result, tag)!);
    expect(uids).not.toContain('1.2.826.0.1.3680043.10.999.100.1.1');
    expect(uids).not.toContain(STUDY);
    expect(uids).not.toContain(SERIES);
    expect(uids).not.toContain(FRAME_OF_REFERENCE);
    for (const uid of uids) {
      expect(uid).toMatch(/^2\.25\.[1-9][0-9]*$/);
      expect(uid.length).toBeLessThanOrEqual(64);
    }
    expect(text(result, 0x00080016)).toBe(CT_IMAGE_STORAGE);
    // The File Meta Information names the new instance.
    expect(text(result, 0x00020003)).toBe(verdict.sopInstanceUid);
    expect(text(result, 0x00020003)).toBe(text(result, 0x00080018));
    expect(text(result, 0x00020002)).toBe(CT_IMAGE_STORAGE);
  });

  it('X/Z → Z, X/D → D, X/Z/D → D', () => {
    const result = out([...base(), [0x00080022, 'DA', '20260114'], [0x00080021, 'DA', '20260114'], [0x00080080, 'LO', 'ST ELSEWHERE HOSPITAL'], [0x00181000, 'LO', 'SN-123456']]);
    expect(result.elements.x00080022!.length).toBe(0); // Acquisition Date X/Z
    expect(text(result, 0x00080021)).toBe('19000101'); // Series Date X/D
    expect(text(result, 0x00080080)).toBe('ANONYMIZED'); // Institution Name X/Z/D
    expect(text(result, 0x00181000)).toBe('ANONYMIZED'); // Device Serial Number X/Z/D
  });

  it('X/Z/U*: Source Image Sequence stays and the UIDs in its items are replaced', () => {
    const source = '1.2.826.0.1.3680043.10.999.100.1.7';
    const result = out([...base(), sequence(0x00082112, [item([[0x00081150, 'UI', CT_IMAGE_STORAGE], [0x00081155, 'UI', source]])])]);
    const items = result.elements.x00082112!.items!;
    expect(items).toHaveLength(1);
    expect(text(items[0]!.dataSet!, 0x00081150)).toBe(CT_IMAGE_STORAGE);
    expect(text(items[0]!.dataSet!, 0x00081155)).toMatch(/^2\.25\./);
  });

  it('private attributes (creator, value, a private sequence) are removed; curves and overlays too', () => {
    const result = out([
      ...base(),
      [0x00090010, 'LO', 'ACME 1.0'],
      [0x00091001, 'LO', 'SMITH^JOHN'],
      sequence(0x00091002, [item([[0x00100010, 'PN', 'SMITH^JOHN']])]),
      [0x50000010, 'US', 1],
      [0x60003000, 'OW', Buffer.alloc(2)],
      [0x60000010, 'US', 4],
    ]);
    for (const tag of ['x00090010', 'x00091001', 'x00091002', 'x50000010', 'x60003000', 'x60000010']) expect(result.elements[tag]).toBeUndefined();
  });

  it('a known attribute sent with VR UN is read as its own VR (Rows kept, Patient’s Address removed); an unknown one is removed', () => {
    const elements = base().filter(([tag]) => tag !== 0x00280010);
    const result = out([...elements, [0x00280010, 'UN', Buffer.from([4, 0])], [0x00101040, 'UN', Buffer.from('1 MAIN STREET ')], [0x00189004, 'UN', Buffer.from('RESEARCH')]]);
    expect(result.elements.x00280010!.vr).toBe('US');
    expect(result.uint16('x00280010')).toBe(4);
    expect(has(result, 0x00101040)).toBe(false);
    expect(has(result, 0x00189004)).toBe(false);
  });

  it('a public attribute neither in Table E.1-1 nor technical is removed, and reported', () => {
    const verdict = ok(run([...base(), [0x00189004, 'CS', 'RESEARCH']]));
    expect(has(parse(verdict.bytes), 0x00189004)).toBe(false);
    expect(verdict.report.unlistedRemoved).toContain('(0018,9004)');
  });
});

describe('sequences', () => {
  it('an identifier inside an item of a kept sequence is removed, the rest of the item stays', () => {
    const anatomy = sequence(0x00082218, [item([[0x00080100, 'SH', 'T-A0100'], [0x00080102, 'SH', 'SRT'], [0x00080104, 'LO', 'Brain'], [0x00101000, 'LO', 'OTHER-ID-77'], [0x00100010, 'PN', 'SMITH^JOHN']])]);
    const result = out([...base(), anatomy]);
    const inner = result.elements.x00082218!.items![0]!.dataSet!;
    expect(text(inner, 0x00080100)).toBe('T-A0100');
    expect(text(inner, 0x00080104)).toBe('Brain');
    expect(has(inner, 0x00101000)).toBe(false);
    expect(text(inner, 0x00100010)).toBe('P-7F3A');
  });

  it('an enhanced instance keeps its per-frame functional groups; the frame dates in them are handled by their rows', () => {
    const frame = (n: number) =>
      item([
        sequence(0x00209111, [item([[0x00189074, 'DT', `2026011410150${n}`], [0x00209157, 'UL', n]])]),
        sequence(0x00209113, [item([[0x00200032, 'DS', `0\\0\\${n}`]])]),
      ]);
    const result = out([...base(), [0x00280008, 'IS', '2'], sequence(0x52009230, [frame(1), frame(2)])]);
    const frames = result.elements.x52009230!.items!;
    expect(frames).toHaveLength(2);
    const content = frames[1]!.dataSet!.elements.x00209111!.items![0]!.dataSet!;
    expect(content.uint32('x00209157')).toBe(2);
    expect(text(content, 0x00189074)).toBe('19000101000000'); // Frame Acquisition DateTime: D
    expect(text(frames[1]!.dataSet!.elements.x00209113!.items![0]!.dataSet!, 0x00200032)).toBe('0\\0\\2');
  });

  it('a removed sequence (X) is gone whole, with what its items held', () => {
    const request = sequence(0x00400275, [item([[0x00401001, 'SH', 'RP-1'], [0x00321060, 'LO', 'HEAD CT FOR JOHN SMITH']])]);
    const verdict = ok(run([...base(), request]));
    expect(has(parse(verdict.bytes), 0x00400275)).toBe(false);
    expect(findIdentifiers(verdict.bytes, ['JOHN SMITH', 'RP-1'])).toEqual([]);
  });

  it('findIdentifiers finds a name planted two sequences deep in the input, and nothing in the output', () => {
    const nested = sequence(0x00400555, [item([sequence(0x0040a730, [item([[0x0040a123, 'PN', 'DOE^JANE']])]), [0x0040a160, 'UT', 'seen by Jane Doe']])]);
    const input = part10File([...base(), nested]);
    const identifiers = ['DOE^JANE', 'Jane Doe', 'SMITH^JOHN', 'PID-001', '19700101'];
    const before = findIdentifiers(input, identifiers);
    expect(before.map((hit) => hit.path)).toEqual(expect.arrayContaining(['(0040,0555)[0]>(0040,A730)[0]>(0040,A123)', '(0040,0555)[0]>(0040,A160)', '(0010,0010)', '(0010,0020)', '(0010,0030)']));
    const verdict = ok(deidentifyInstance({ bytes: input, uids: remapper(), pseudonymFor }));
    expect(findIdentifiers(verdict.bytes, identifiers)).toEqual([]);
  });

  it('findIdentifiers decodes values with the item’s character set', () => {
    const name = Buffer.from('MÜLLER^JÜRGEN', 'utf8');
    const input = part10File([...base({ charset: 'ISO_IR 192' }), sequence(0x00400555, [item([[0x0040a123, 'PN', name]])])]);
    expect(findIdentifiers(input, ['Müller'])).toEqual([{ identifier: 'Müller', path: '(0040,0555)[0]>(0040,A123)' }]);
  });

  it('undefined-length sequences and items are read and written back as valid defined-length ones', () => {
    const reference = '1.2.826.0.1.3680043.10.999.100.1.2';
    const elements = base();
    const low = elements.filter(([tag]) => tag < 0x00081140);
    const high = elements.filter(([tag]) => tag > 0x00081140);
    const dataset = Buffer.concat([writeDataset(low), undefinedLengthSequence(0x00081140, [item([[0x00081150, 'UI', CT_IMAGE_STORAGE], [0x00081155, 'UI', reference]], undefined, true)]), writeDataset(high)]);
    const verdict = ok(deidentifyInstance({ bytes: part10Of(dataset, '1.2.840.10008.1.2.1', CT_IMAGE_STORAGE, '1.2.3'), uids: remapper(), pseudonymFor }));
    const result = parse(verdict.bytes);
    const inner = result.elements.x00081140!.items![0]!.dataSet!;
    expect(text(inner, 0x00081155)).toBe(remapper().remap(reference));
    expect(result.elements.x00081140!.hadUndefinedLength).toBeUndefined();
  });
});

describe('UID remapping across the instances of a release', () => {
  const second = () =>
    instanceElements({ sopInstanceUid: '1.2.826.0.1.3680043.10.999.100.1.2', studyInstanceUid: STUDY, seriesInstanceUid: SERIES, patientId: 'PID-001', patientName: 'SMITH^JOHN' });

  it('two instances of one study keep one study, one series, one frame of reference; a reference points at the other’s new UID', () => {
    const uids = remapper();
    const first = parse(ok(run([...base(), [0x00200052, 'UI', FRAME_OF_REFERENCE]], [], undefined, { uids })).bytes);
    const referencing = [...second(), [0x00200052, 'UI', FRAME_OF_REFERENCE], sequence(0x00081140, [item([[0x00081150, 'UI', CT_IMAGE_STORAGE], [0x00081155, 'UI', '1.2.826.0.1.3680043.10.999.100.1.1']])])] as Element[];
    const other = parse(ok(run(referencing, [], undefined, { uids: remapper() })).bytes);
    expect(text(other, 0x0020000d)).toBe(text(first, 0x0020000d));
    expect(text(other, 0x0020000e)).toBe(text(first, 0x0020000e));
    expect(text(other, 0x00200052)).toBe(text(first, 0x00200052));
    expect(text(other, 0x00080018)).not.toBe(text(first, 0x00080018));
    expect(text(other.elements.x00081140!.items![0]!.dataSet!, 0x00081155)).toBe(text(first, 0x00080018));
  });

  it('another release (another secret) gets other UIDs; well-known UIDs are never replaced', () => {
    const a = remapper();
    const b = remapper(OTHER_SECRET);
    expect(a.remap(STUDY)).toBe(a.remap(STUDY));
    expect(a.remap(STUDY)).not.toBe(b.remap(STUDY));
    expect(a.remap(CT_IMAGE_STORAGE)).toBe(CT_IMAGE_STORAGE);
    expect(a.remap('1.2.840.10008.1.2.1')).toBe('1.2.840.10008.1.2.1');
    for (let i = 0; i < 200; i += 1) {
      const uid = a.remap(`1.2.3.${i}`);
      expect(uid).toMatch(/^2\.25\.(0|[1-9][0-9]*)$/);
      expect(uid.length).toBeLessThanOrEqual(64);
      expect(BigInt(uid.slice(5)) < 1n << 128n).toBe(true);
    }
  });

  it('Retain UIDs keeps every UID as it was', () => {
    const result = out(base(), ['retainUids']);
    expect(text(result, 0x00080018)).toBe('1.2.826.0.1.3680043.10.999.100.1.1');
    expect(text(result, 0x0020000d)).toBe(STUDY);
  });
});

describe('what the de-identified instance says about itself', () => {
  it('Patient Identity Removed, De-identification Method and its CID 7050 codes, only for what was applied', () => {
    const plain = out(base());
    expect(text(plain, 0x00120062)).toBe('YES');
    expect(text(plain, 0x00120063)).toBe('PS3.15 Annex E: Basic Application Confidentiality Profile');
    const codes = (dataSet: ReturnType<typeof parse>) => dataSet.elements.x00120064!.items!.map((entry) => `${text(entry.dataSet!, 0x00080102)}:${text(entry.dataSet!, 0x00080100)}`);
    expect(codes(plain)).toEqual(['DCM:113100']);
    expect(text(plain, 0x00280303)).toBe('REMOVED');
    const withOptions = out(base(), ['retainLongitudinalFullDates', 'retainPatientCharacteristics', 'retainDeviceIdentity', 'retainUids', 'cleanDescriptors']);
    expect(codes(withOptions)).toEqual(['DCM:113100', 'DCM:113105', 'DCM:113106', 'DCM:113108', 'DCM:113109', 'DCM:113110']);
    expect(text(withOptions, 0x00120063)!.split('\\')).toContain('Retain Longitudinal Temporal Information Full Dates Option');
    for (const value of text(withOptions, 0x00120063)!.split('\\')) expect(value.length).toBeLessThanOrEqual(64);
    expect(text(withOptions, 0x00280303)).toBe('UNMODIFIED');
  });

  it('Patient ID and Patient’s Name become the release’s pseudonym for the patient; no pseudonym, no instance', () => {
    const result = out(base());
    expect(text(result, 0x00100020)).toBe('P-7F3A');
    expect(text(result, 0x00100010)).toBe('P-7F3A');
    expect(text(out(base({ patientId: 'PID-002' })), 0x00100020)).toBe('P-19C4');
    const unknown = run(base({ patientId: 'PID-404' }));
    expect(unknown).toMatchObject({ ok: false, code: 'no-pseudonym' });
  });
});

describe('Retain Options change exactly their rows', () => {
  it('Retain Longitudinal Temporal Information Full Dates keeps the dates and times; without it they are emptied or dummied per the table', () => {
    const elements: Element[] = [...base(), [0x00080021, 'DA', '20260114'], [0x00080031, 'TM', '101000']];
    const without = out(elements);
    expect(without.elements.x00080020!.length).toBe(0); // Study Date Z
    expect(text(without, 0x00080021)).toBe('19000101'); // Series Date X/D
    expect(text(without, 0x00080031)).toBe('000000'); // Series Time X/D
    const withFull = out(elements, ['retainLongitudinalFullDates']);
    expect(text(withFull, 0x00080020)).toBe('20260114');
    expect(text(withFull, 0x00080030)).toBe('101500');
    expect(text(withFull, 0x00080021)).toBe('20260114');
    expect(text(withFull, 0x00080031)).toBe('101000');
    // Birth date is not longitudinal temporal information of the study: still emptied.
    expect(withFull.elements.x00100030!.length).toBe(0);
  });

  it('Modified Dates shifts the dates by the patient’s offset and keeps times', () => {
    const result = out([...base(), [0x00080021, 'DA', '20260301']], ['retainLongitudinalModifiedDates'], undefined, { dateShiftDays: -20 });
    expect(text(result, 0x00080020)).toBe('20251225');
    expect(text(result, 0x00080021)).toBe('20260209');
    expect(text(result, 0x00080030)).toBe('101500');
    expect(text(result, 0x00280303)).toBe('MODIFIED');
    expect(run(base(), ['retainLongitudinalModifiedDates'])).toMatchObject({ ok: false, code: 'no-date-shift' });
  });

  it('Modified Dates (the longitudinal release): a DA and a DT at the top and in a kept sequence move by the patient’s offset, times stay, (0012,0063)/(0012,0064) name 113107', () => {
    const frame = item([sequence(0x00209111, [item([[0x00080023, 'DA', '20260114'], [0x00189074, 'DT', '20260114101500.250'], [0x00209157, 'UL', 1]])])]);
    const elements = [...base(), [0x0008002a, 'DT', '20260114101000+0100'], [0x00080032, 'TM', '101000'], [0x00280008, 'IS', '1'], sequence(0x52009230, [frame])] as Element[];
    const result = out(elements, ['retainLongitudinalModifiedDates'], undefined, { dateShiftDays: 45 });
    expect(text(result, 0x00080020)).toBe('20260228'); // Study Date (DA): 2026-01-14 + 45 days
    expect(text(result, 0x0008002a)).toBe('20260228101000+0100'); // Acquisition DateTime (DT): the day moves, the time and zone stay
    expect(text(result, 0x00080030)).toBe('101500'); // Study Time (TM) kept
    expect(text(result, 0x00080032)).toBe('101000'); // Acquisition Time (TM) kept
    const content = result.elements.x52009230!.items![0]!.dataSet!.elements.x00209111!.items![0]!.dataSet!;
    expect(text(content, 0x00080023)).toBe('20260228'); // Content Date (DA) in the sequence
    expect(text(content, 0x00189074)).toBe('20260228101500.250'); // Frame Acquisition DateTime (DT) in the sequence
    expect(text(result, 0x00120063)!.split('\\')).toContain('Retain Longitudinal Temporal Information Modified Dates Option');
    const codes = result.elements.x00120064!.items!.map((entry) => `${text(entry.dataSet!, 0x00080102)}:${text(entry.dataSet!, 0x00080100)}`);
    expect(codes).toEqual(['DCM:113100', 'DCM:113107']);
    expect(text(result, 0x00280303)).toBe('MODIFIED');
    // Birth date is not the study's temporal information: still emptied under the Option.
    expect(result.elements.x00100030!.length).toBe(0);
    // The same instance without the Option: no date left at any depth.
    const plain = out(elements);
    expect(text(plain, 0x00080020) ?? '').toBe('');
    expect(text(plain.elements.x52009230!.items![0]!.dataSet!.elements.x00209111!.items![0]!.dataSet!, 0x00189074)).toBe('19000101000000');
  });

  it('date shifting: DA, DT with a time zone, ranges and multiple values, across month and year ends; an impossible date refuses', () => {
    expect(shiftDates('20260301', -1)).toBe('20260228');
    expect(shiftDates('20241231235959.123+0100', 1)).toBe('20250101235959.123+0100');
    expect(shiftDates('20260110-20260120', 30)).toBe('20260209-20260219');
    expect(shiftDates('20240228\\20240301', 1)).toBe('20240229\\20240302');
    expect(shiftDates('20260231', 1)).toBeNull();
  });

  it('cleaning text: whole words only, any case, and date shapes', () => {
    expect(cleanText('Smithfield scan of SMITH on 2025-03-12', ['Smith'])).toBe('Smithfield scan of on');
    expect(cleanText('ct head 12/03/2025 follow up 20250312', [])).toBe('ct head follow up');
  });

  it('each Option changes only rows of its own column (a data set with every single-tag row of Table E.1-1)', async () => {
    const { TABLE_E_1_1 } = await import('../../../../shared/dicom/deid/annex-e-profile');
    const valueFor = (vr: string, n: number): string | Buffer | number | null => {
      switch (vr) {
        case 'DA':
          return '20240102';
        case 'TM':
          return '111213';
        case 'DT':
          return '20240102111213';
        case 'UI':
          return `1.2.826.0.1.3680043.10.999.5.${n}`;
        case 'AS':
          return '045Y';
        case 'DS':
        case 'IS':
          return '17';
        case 'US':
          return 3;
        case 'OB':
        case 'UN':
          return Buffer.from([1, 2]);
        case 'SQ':
          return null;
        default:
          return `VALUE ${n}`;
      }
    };
    const rows = TABLE_E_1_1.filter((entry) => /^\((?!0000|0002|FFF)[0-9A-F]{4},[0-9A-F]{4}\)$/.test(entry.tag) && !['0010,0010', '0010,0020', '0008,0016'].includes(entry.tag.slice(1, 10)));
    const tagOf = (entry: (typeof rows)[number]) => Number.parseInt(entry.tag.slice(1, 5) + entry.tag.slice(6, 10), 16);
    const elements: Element[] = [...base().filter(([tag]) => !rows.some((entry) => tagOf(entry) === tag))];
    rows.forEach((entry, n) => {
      const value = valueFor(entry.vr, n);
      // A sequence's items hold only what no Option touches, so a sequence changes only when its own row does.
      if (value === null) elements.push(sequence(tagOf(entry), [item([[0x00080100, 'SH', `C${n}`], [0x00101000, 'LO', 'OTHER-ID']])]));
      else elements.push([tagOf(entry), entry.vr, value]);
    });
    const snapshot = (options: SupportedOption[]) => {
      const result = parse(ok(run(elements, options, undefined, { dateShiftDays: 3 })).bytes);
      const values = new Map<number, string>();
      for (const entry of rows) {
        const element = result.elements[`x${tagOf(entry).toString(16).padStart(8, '0')}`];
        values.set(tagOf(entry), element === undefined ? '<absent>' : JSON.stringify([text(result, tagOf(entry)), element.items?.map((child) => Object.keys(child.dataSet!.elements).map((key) => text(child.dataSet!, Number.parseInt(key.slice(1), 16))))]));
      }
      return values;
    };
    const basic = snapshot([]);
    const columns: [SupportedOption, string[]][] = [
      ['retainLongitudinalFullDates', ['(0008,0020)', '(0008,0030)', '(0008,0022)']],
      ['retainLongitudinalModifiedDates', ['(0008,0020)', '(0008,0021)']],
      ['retainPatientCharacteristics', ['(0010,0040)', '(0010,1010)', '(0010,1030)']],
      ['retainDeviceIdentity', ['(0018,1000)', '(0008,1010)']],
      ['retainInstitutionIdentity', ['(0008,0080)', '(0008,0081)']],
      ['retainUids', ['(0008,0018)', '(0020,000D)', '(0020,0052)']],
      ['cleanDescriptors', ['(0008,1030)', '(0010,21B0)']],
    ];
    for (const [option, mustChange] of columns) {
      const withOption = snapshot([option]);
      const changed = rows.filter((entry) => basic.get(tagOf(entry)) !== withOption.get(tagOf(entry))).map((entry) => entry.tag);
      const column = rows.filter((entry) => entry.options[option] !== undefined).map((entry) => entry.tag);
      expect(changed.filter((tag) => !column.includes(tag)), option).toEqual([]);
      expect(changed, option).toEqual(expect.arrayContaining(mustChange));
    }
  });
});

describe('exclusion verdicts (the Clean Pixel Data Option is not implemented)', () => {
  it('Burned In Annotation YES is excluded, with the reason', () => {
    const verdict = run([...base(), [0x00280301, 'CS', 'YES']]);
    expect(verdict).toMatchObject({ ok: false, code: 'burned-in-annotation' });
    if (!verdict.ok) expect(verdict.reason).toMatch(/Burned In Annotation/);
  });

  it('US without a declaration is excluded; US declaring Burned In Annotation NO is accepted', () => {
    expect(run(base({ modality: 'US', sopClassUid: US_IMAGE_STORAGE }))).toMatchObject({ ok: false, code: 'high-risk-undeclared' });
    const accepted = ok(run([...base({ modality: 'US', sopClassUid: US_IMAGE_STORAGE }), [0x00280301, 'CS', 'NO']]));
    expect(text(parse(accepted.bytes), 0x00280301)).toBe('NO');
  });

  it('Secondary Capture, OT, XC and Image Type SECONDARY without a declaration are excluded', () => {
    expect(run(base({ sopClassUid: SECONDARY_CAPTURE_STORAGE, modality: 'CT' }))).toMatchObject({ ok: false, code: 'high-risk-undeclared' });
    expect(run(base({ modality: 'OT' }))).toMatchObject({ ok: false, code: 'high-risk-undeclared' });
    expect(run(base({ modality: 'XC' }))).toMatchObject({ ok: false, code: 'high-risk-undeclared' });
    expect(run([...base(), [0x00080008, 'CS', 'DERIVED\\SECONDARY\\AXIAL']])).toMatchObject({ ok: false, code: 'high-risk-undeclared' });
    expect(run([...base(), [0x00080008, 'CS', 'ORIGINAL\\PRIMARY\\AXIAL']]).ok).toBe(true);
  });

  it('an encapsulated PDF is excluded whatever it declares', () => {
    expect(run([...base({ sopClassUid: ENCAPSULATED_PDF_STORAGE, modality: 'DOC' }), [0x00280301, 'CS', 'NO']])).toMatchObject({ ok: false, code: 'encapsulated-document' });
  });

  it('a deflated data set is refused with the reason', () => {
    const verdict = deidentifyInstance({ bytes: part10Of(Buffer.alloc(8), '1.2.840.10008.1.2.1.99', CT_IMAGE_STORAGE, '1.2.3'), uids: remapper(), pseudonymFor });
    expect(verdict).toMatchObject({ ok: false, code: 'unsupported-transfer-syntax' });
  });

  it('bytes that are not DICOM are refused, not thrown', () => {
    expect(deidentifyInstance({ bytes: new Uint8Array(300), uids: remapper(), pseudonymFor })).toMatchObject({ ok: false, code: 'unreadable' });
  });
});

describe('re-encoding', () => {
  it('the output is a Part 10 file dicom-parser reads, in the input’s transfer syntax, with the pixel data byte for byte', () => {
    const pixels = Buffer.from(Uint16Array.from({ length: 16 }, (_, i) => 1000 + i * 37).buffer);
    const verdict = ok(run(base({ pixels })));
    const result = parse(verdict.bytes);
    expect(text(result, 0x00020010)).toBe('1.2.840.10008.1.2.1');
    const pixel = result.elements.x7fe00010!;
    expect(Buffer.from(verdict.bytes.subarray(pixel.dataOffset, pixel.dataOffset + pixel.length)).equals(pixels)).toBe(true);
    // Group length of the File Meta Information matches what follows it.
    const metaEnd = (result.elements.x00020013!.dataOffset + result.elements.x00020013!.length);
    expect(result.uint32('x00020000')).toBe(metaEnd - 144);
  });

  it('implicit VR little endian in, implicit out, with a sequence and the pixel data intact', () => {
    const source = '1.2.826.0.1.3680043.10.999.100.1.7';
    const elements: Element[] = [...base(), sequence(0x00082112, [item([[0x00081150, 'UI', CT_IMAGE_STORAGE], [0x00081155, 'UI', source]], IMPLICIT_VR_LITTLE_ENDIAN)]), [0x00101040, 'LO', '1 MAIN STREET']];
    const verdict = ok(run(elements, [], IMPLICIT_VR_LITTLE_ENDIAN));
    const result = parse(verdict.bytes);
    expect(text(result, 0x00020010)).toBe(IMPLICIT_VR_LITTLE_ENDIAN);
    expect(text(result, 0x00100010)).toBe('P-7F3A');
    expect(has(result, 0x00101040)).toBe(false);
    expect(result.elements.x00080050!.length).toBe(0);
    expect(text(result.elements.x00082112!.items![0]!.dataSet!, 0x00081155)).toBe(remapper().remap(source));
    const pixel = result.elements.x7fe00010!;
    expect(pixel.length).toBe(32);
    expect(Array.from(new Uint16Array(Uint8Array.from(verdict.bytes.subarray(pixel.dataOffset, pixel.dataOffset + 32)).buffer))).toEqual(Array.from({ length: 16 }, (_, i) => i * 100));
  });

  it('explicit VR big endian in, big endian out', () => {
    const verdict = ok(run(base(), ['retainPatientCharacteristics'], EXPLICIT_VR_BIG_ENDIAN));
    const result = parse(verdict.bytes);
    expect(text(result, 0x00020010)).toBe(EXPLICIT_VR_BIG_ENDIAN);
    expect(result.uint16('x00280010')).toBe(4);
    expect(text(result, 0x00100040)).toBe('M');
    expect(text(result, 0x00100020)).toBe('P-7F3A');
  });

  it('implicit VR with an undefined-length sequence of undefined-length items, and big endian with a sequence', () => {
    const reference = '1.2.826.0.1.3680043.10.999.100.1.3';
    const refItem = (ts: string, undefinedLength: boolean) => item([[0x00081150, 'UI', CT_IMAGE_STORAGE], [0x00081155, 'UI', reference], [0x00101040, 'LO', '1 MAIN STREET']], ts, undefinedLength);
    const elements = base();
    const low = elements.filter(([tag]) => tag < 0x00082112);
    const high = elements.filter(([tag]) => tag > 0x00082112);
    const implicit = Buffer.concat([writeDataset(low, IMPLICIT_VR_LITTLE_ENDIAN), undefinedLengthSequence(0x00082112, [refItem(IMPLICIT_VR_LITTLE_ENDIAN, true)], IMPLICIT_VR_LITTLE_ENDIAN), writeDataset(high, IMPLICIT_VR_LITTLE_ENDIAN)]);
    const fromImplicit = parse(ok(deidentifyInstance({ bytes: part10Of(implicit, IMPLICIT_VR_LITTLE_ENDIAN, CT_IMAGE_STORAGE, '1.2.3'), uids: remapper(), pseudonymFor })).bytes);
    const big = parse(ok(run([...base(), sequence(0x00082112, [refItem(EXPLICIT_VR_BIG_ENDIAN, false)])], [], EXPLICIT_VR_BIG_ENDIAN)).bytes);
    for (const result of [fromImplicit, big]) {
      const inner = result.elements.x00082112!.items![0]!.dataSet!;
      expect(text(inner, 0x00081155)).toBe(remapper().remap(reference));
      expect(text(inner, 0x00081150)).toBe(CT_IMAGE_STORAGE);
      expect(has(inner, 0x00101040)).toBe(false);
      expect(result.uint16('x00280011')).toBe(4);
    }
  });

  it('the same input, options and secret give the same bytes (a release can be rebuilt and its hash checked)', () => {
    const elements = [...base(), sequence(0x00082112, [item([[0x00081150, 'UI', CT_IMAGE_STORAGE], [0x00081155, 'UI', '1.2.3.9']])])];
    const a = ok(run(elements, ['cleanDescriptors'])).bytes;
    const b = ok(run(elements, ['cleanDescriptors'])).bytes;
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
  });

  it('encapsulated (JPEG) pixel data passes through untouched', () => {
    const fragments = [Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 4, 0xff, 0xd9, 0, 0]), Buffer.from([0xff, 0xd8, 9, 9, 0xff, 0xd9])];
    const pixelData = encapsulatedPixelData(fragments);
    const elements = base().filter(([tag]) => tag !== 0x7fe00010);
    const input = part10Of(Buffer.concat([writeDataset(elements, JPEG_BASELINE), pixelData]), JPEG_BASELINE, CT_IMAGE_STORAGE, '1.2.3');
    const verdict = ok(deidentifyInstance({ bytes: input, uids: remapper(), pseudonymFor }));
    const result = parse(verdict.bytes);
    expect(text(result, 0x00020010)).toBe(JPEG_BASELINE);
    const element = result.elements.x7fe00010!;
    expect(element.encapsulatedPixelData).toBe(true);
    expect(element.fragments!.map((fragment) => Buffer.from(verdict.bytes.subarray(fragment.position, fragment.position + fragment.length)))).toEqual(fragments);
    const bytes = Buffer.from(verdict.bytes);
    expect(bytes.subarray(bytes.length - pixelData.length).equals(pixelData)).toBe(true);
  });
});
