import { describe, expect, it } from 'vitest';
import { readDicomIndex } from '../../../../electron/intake/dicom/dicom-index';
import { instanceInfo } from '../../../../electron/intake/dicom/dicom-intake';
import { DicomInstanceSchema } from '../../../../shared/domain/dicom';
import { instanceElements, part10File } from './dicom-test-support';

const UID = '1.2.826.0.1.3680043.10.999.5.7';
const EXPLICIT_LE = '1.2.840.10008.1.2.1';

describe('instanceInfo: the index fields an instance is filed and found by', () => {
  it('keeps values longer than their VR allows (a 20-character accession is common in the field): found by what was sent (QA explore-12 D8)', async () => {
    const index = await readDicomIndex(part10File(instanceElements({ sopInstanceUid: UID, patientId: 'P1' }), EXPLICIT_LE), true);
    const long = { ...index, accessionNumber: 'ACC20260101123456789', studyId: 'STUDY-2026-000000000042', bodyPartExamined: 'CHEST_ABDOMEN_PELVIS_CT', studyDescription: `CT ${'ANGIOGRAPHY '.repeat(7)}`.trim() };
    const info = instanceInfo(long, 'import');
    expect(info).toMatchObject({ accessionNumber: 'ACC20260101123456789', studyId: 'STUDY-2026-000000000042', bodyPartExamined: 'CHEST_ABDOMEN_PELVIS_CT', studyDescription: long.studyDescription });
    expect(DicomInstanceSchema.parse(info)).toEqual(info);
  });

  it('still bounds garbage: a value of kilobytes is cut, so one header cannot bloat every view row', async () => {
    const index = await readDicomIndex(part10File(instanceElements({ sopInstanceUid: UID, patientId: 'P1' }), EXPLICIT_LE), true);
    const info = instanceInfo({ ...index, accessionNumber: 'A'.repeat(5000), studyDescription: 'D'.repeat(5000) }, 'import');
    expect(info.accessionNumber!.length).toBeLessThanOrEqual(64);
    expect(info.studyDescription!.length).toBeLessThanOrEqual(128);
  });
});
