import { describe, expect, it } from 'vitest';
import { DicomdirError, readDicomdir, typeReferencesFile } from '../../../shared/dicom/dicomdir';
import { buildDicomdir, type DirectoryNode } from './dicomdir-builder';

/** Every instance-level record type of PS3.3 F.5 (and PRIVATE), each naming its own file. */
const INSTANCE_TYPES = [
  'IMAGE',
  'RT DOSE',
  'RT STRUCTURE SET',
  'RT PLAN',
  'RT TREAT RECORD',
  'PRESENTATION',
  'WAVEFORM',
  'SR DOCUMENT',
  'KEY OBJECT DOC',
  'SPECTROSCOPY',
  'RAW DATA',
  'REGISTRATION',
  'FIDUCIAL',
  'ENCAP DOC',
  'HL7 STRUC DOC',
  'VALUE MAP',
  'STEREOMETRIC',
  'PALETTE',
  'IMPLANT',
  'IMPLANT ASSY',
  'IMPLANT GROUP',
  'PLAN',
  'MEASUREMENT',
  'SURFACE',
  'SURFACE SCAN',
  'TRACT',
  'ASSESSMENT',
  'RADIOTHERAPY',
  'ANNOTATION',
  'INVENTORY',
  'PRIVATE',
];

const file = (index: number): string[] => ['DATA', `F${String(index).padStart(5, '0')}`];

function tree(): DirectoryNode[] {
  return [
    {
      type: 'PATIENT',
      children: [
        {
          type: 'STUDY',
          children: [
            { type: 'SERIES', children: INSTANCE_TYPES.map((type, index) => ({ type, fileId: file(index), sopInstanceUid: `1.2.3.${index}` })) },
            {
              type: 'SERIES',
              children: [
                // Deleted in place: skipped with its lower level, counted.
                { type: 'IMAGE', fileId: ['DATA', 'GONE'], inUse: 0 },
                // An instance record without its file: reported, nothing to follow.
                { type: 'IMAGE' },
              ],
            },
          ],
        },
      ],
    },
    // Root-level records (PS3.3 F.4: hanging protocols, palettes and implants may sit there).
    { type: 'HANGING PROTOCOL', fileId: ['HP', 'HP00001'] },
  ];
}

describe('readDicomdir', () => {
  it('follows the records from the root through their offsets, whatever order they are written in, and every record type that references a file', () => {
    for (const reversed of [false, true]) {
      const dicomdir = readDicomdir(buildDicomdir(tree(), { reversed }));
      expect(dicomdir.inactive).toBe(1);
      expect(dicomdir.records.map((record) => record.type)).toEqual(['PATIENT', 'STUDY', 'SERIES', ...INSTANCE_TYPES, 'SERIES', 'IMAGE', 'HANGING PROTOCOL']);
      const withFiles = dicomdir.records.filter((record) => record.fileId !== null);
      expect(withFiles.map((record) => record.fileId)).toEqual([...INSTANCE_TYPES.map((_, index) => file(index)), ['HP', 'HP00001']]);
      expect(withFiles.every((record) => record.linked && !record.missingFile)).toBe(true);
      expect(withFiles[3]).toMatchObject({ type: 'RT PLAN', sopInstanceUid: '1.2.3.3' });
      // PATIENT/STUDY/SERIES name no file and are not reported; the IMAGE without one is.
      expect(dicomdir.records.filter((record) => record.missingFile).map((record) => record.type)).toEqual(['IMAGE']);
    }
  });

  it('still follows a record the tree does not reach (lenient), marked unlinked; a type newer than this build with a file is followed too', () => {
    const dicomdir = readDicomdir(buildDicomdir(tree(), { unlinked: [{ type: 'IMAGE', fileId: ['LOOSE', 'IM1'] }, { type: 'FUTURE THING', fileId: ['NEW', 'X1'] }] }));
    expect(dicomdir.records.slice(-2)).toEqual([
      expect.objectContaining({ type: 'IMAGE', fileId: ['LOOSE', 'IM1'], linked: false }),
      expect.objectContaining({ type: 'FUTURE THING', fileId: ['NEW', 'X1'], linked: false }),
    ]);
  });

  it('groups are told from instances', () => {
    for (const type of ['PATIENT', 'STUDY', 'SERIES']) expect(typeReferencesFile(type)).toBe(false);
    for (const type of INSTANCE_TYPES) expect(typeReferencesFile(type)).toBe(true);
  });

  it('refuses what is not a readable DICOMDIR, with the reason and no values', () => {
    const good = buildDicomdir(tree());
    expect(() => readDicomdir(good.subarray(0, 200))).toThrow(DicomdirError);
    expect(() => readDicomdir(Buffer.from('not a DICOMDIR'))).toThrow(/cannot be read/);
  });
});
