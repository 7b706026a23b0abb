import { z } from 'zod';

/**
 * What a DICOM instance's intake record says about it (channel `dicom`, kind `intake.dicom`), beside
 * the patient its Patient ID names: enough for the mind to file it as study → series → instance
 * and to find it again. PHI (descriptions, accession number…): sealed in the journal metadata,
 * encrypted in the views.
 */
const uid = z.string().regex(/^[0-9.]{1,64}$/);
const text = (max: number) => z.string().max(max);

export const DicomInstanceSchema = z.strictObject({
  sopClassUid: uid,
  sopInstanceUid: uid,
  studyInstanceUid: uid,
  seriesInstanceUid: uid,
  /** The transfer syntax the instance is stored in: exactly as received, never transcoded. */
  transferSyntaxUid: uid,
  /** How it came: a C-STORE from a DICOM peer, or a file import. */
  source: z.enum(['network', 'import']),
  /** The calling AE title of a C-STORE (configuration, not PHI). */
  callingAeTitle: text(16).optional(),
  /** Issuer of Patient ID (0010,0021) as sent, before the issuer mapping gave the identifier's authority. */
  issuerOfPatientId: text(64).optional(),
  specificCharacterSet: text(80).optional(),
  modality: text(16).optional(),
  /** ISO dates (YYYY-MM-DD) and a time (HH:MM:SS) when the DA/TM values were valid. */
  studyDate: z.string().regex(/^\d{4}-\d{2}-\d{2}$/).optional(),
  studyTime: z.string().regex(/^\d{2}:\d{2}(:\d{2})?$/).optional(),
  /** Index fields: wider than their VRs (SH 16, LO 64), since real senders exceed them; dicom-intake.ts clips to these. */
  studyDescription: text(128).optional(),
  studyId: text(64).optional(),
  accessionNumber: text(64).optional(),
  referringPhysicianName: text(200).optional(),
  seriesDescription: text(128).optional(),
  seriesNumber: z.number().int().optional(),
  bodyPartExamined: text(64).optional(),
  instanceNumber: z.number().int().optional(),
  numberOfFrames: z.number().int().nonnegative().optional(),
  rows: z.number().int().nonnegative().optional(),
  columns: z.number().int().nonnegative().optional(),
  institutionName: text(128).optional(),
  /** What could not be read well (positions and rules, never values). */
  notes: z.array(text(200)).max(20).optional(),
  /** The same SOP Instance UID arrived before with other bytes: stored again, flagged (design §4 rule 4). */
  conflict: z.boolean().optional(),
});

export type DicomInstance = Readonly<z.infer<typeof DicomInstanceSchema>>;
