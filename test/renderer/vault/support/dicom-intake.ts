import type { NormalizedIntake, Patient } from '../../../../shared/domain/clinical';
import type { DicomInstance } from '../../../../shared/domain/dicom';

/** A stored DICOM instance's normalized intake, as the body journals it (CT over the network unless `dicom` says otherwise). */
export function dicomIntake(patient: Patient, dicom: Partial<DicomInstance> & Pick<DicomInstance, 'sopInstanceUid' | 'studyInstanceUid' | 'seriesInstanceUid'>): NormalizedIntake {
  return {
    channel: 'dicom',
    messageId: dicom.sopInstanceUid,
    messageType: 'DICOM CT',
    patient,
    records: [],
    dicom: { sopClassUid: '1.2.840.10008.5.1.4.1.1.2', transferSyntaxUid: '1.2.840.10008.1.2.1', source: 'network', modality: 'CT', ...dicom },
  };
}
