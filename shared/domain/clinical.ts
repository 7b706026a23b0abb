import { z } from 'zod';

/**
 * The normalized clinical records every intake channel produces (HL7 v2, DICOM, devices, files,
 * demo data). The body builds them and seals them into the journal; the mind checks them against
 * these schemas after opening, then indexes them. They hold PHI: plaintext only in memory.
 */

const text = (max: number) => z.string().max(max);
const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/);
const isoDateTime = z.iso.datetime({ offset: true });

export const PatientIdentifierSchema = z.strictObject({
  value: text(64).min(1),
  /** Assigning authority (HL7 CX-4), e.g. the hospital's namespace. */
  authority: text(64),
  /** Identifier type code (HL7 table 0203), e.g. MR for a medical record number. */
  type: text(8),
});

export const PersonNameSchema = z.strictObject({ family: text(100), given: z.array(text(100)).max(5) });

export const AddressSchema = z.strictObject({
  street: text(200).optional(),
  city: text(100).optional(),
  postalCode: text(20).optional(),
  country: text(3).optional(),
});

export const PatientSchema = z.strictObject({
  identifiers: z.array(PatientIdentifierSchema).min(1).max(10),
  name: PersonNameSchema,
  birthDate: isoDate.optional(),
  sex: z.enum(['F', 'M', 'O', 'U']).optional(),
  address: AddressSchema.optional(),
  phones: z.array(text(40)).max(5).optional(),
});

export const CodedConceptSchema = z.strictObject({
  code: text(64),
  /** e.g. LN (LOINC), SCT (SNOMED CT), I10 (ICD-10), or a local system. */
  system: text(32),
  display: text(200),
});

export const VisitSchema = z.strictObject({
  type: z.literal('visit'),
  /** Patient class (HL7 PV1-2): I inpatient, O outpatient, E emergency. */
  patientClass: z.enum(['I', 'O', 'E']),
  location: text(100).optional(),
  attendingDoctor: text(100).optional(),
  reason: text(500).optional(),
  start: isoDateTime,
  end: isoDateTime.optional(),
});

export const ObservationValueSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('numeric'), value: z.number(), unit: text(32).optional() }),
  z.strictObject({ kind: z.literal('text'), value: text(10_000) }),
  z.strictObject({ kind: z.literal('coded'), value: CodedConceptSchema }),
]);

export const ObservationSchema = z.strictObject({
  type: z.literal('observation'),
  category: z.enum(['laboratory', 'vital-signs', 'device']),
  code: CodedConceptSchema,
  value: ObservationValueSchema,
  referenceRange: text(64).optional(),
  /** HL7 table 0078: N normal, H high, L low, A abnormal… */
  abnormalFlags: z.array(text(4)).max(5).optional(),
  /** HL7 table 0085: F final, P preliminary, C corrected. */
  status: z.enum(['F', 'P', 'C']),
  time: isoDateTime,
});

export const ClinicalRecordSchema = z.discriminatedUnion('type', [VisitSchema, ObservationSchema]);

/** One intake event's normalized content: one message, one study, one device batch. */
export const NormalizedIntakeSchema = z.strictObject({
  channel: z.enum(['demo', 'hl7-mllp', 'hl7-file', 'dicom', 'devices']),
  /** The sender's id for this message (HL7 MSH-10, DICOM SOP Instance UID…), for duplicates. */
  messageId: text(200),
  messageType: text(40),
  patient: PatientSchema,
  records: z.array(ClinicalRecordSchema).max(10_000),
});

export type PatientIdentifier = Readonly<z.infer<typeof PatientIdentifierSchema>>;
export type PersonName = Readonly<z.infer<typeof PersonNameSchema>>;
export type Patient = Readonly<z.infer<typeof PatientSchema>>;
export type CodedConcept = Readonly<z.infer<typeof CodedConceptSchema>>;
export type Visit = Readonly<z.infer<typeof VisitSchema>>;
export type Observation = Readonly<z.infer<typeof ObservationSchema>>;
export type ClinicalRecord = Readonly<z.infer<typeof ClinicalRecordSchema>>;
export type NormalizedIntake = Readonly<z.infer<typeof NormalizedIntakeSchema>>;
