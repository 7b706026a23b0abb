import { z } from 'zod';
import { DicomInstanceSchema } from './dicom';

/**
 * The normalized clinical records every intake channel produces (HL7 v2, DICOM, devices, files,
 * demo data). The body builds them and seals them into the journal; the mind checks them against
 * these schemas after opening, then indexes them. They hold PHI: plaintext only in memory.
 */

const text = (max: number) => z.string().max(max);
const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/);
const isoDateTime = z.iso.datetime({ offset: true });
/**
 * A birth date as precise as it was sent: YYYY-MM-DD, or YYYY-MM / YYYY when the sender knew only the
 * month or the year (HL7 DT allows both; QA explore-11 D19). Records before kept full dates only.
 */
const birthDate = z.string().regex(/^\d{4}(?:-\d{2}-\d{2}|-(?:0[1-9]|1[0-2]))?$/);

export const PatientIdentifierSchema = z.strictObject({
  value: text(64).min(1),
  /** Assigning authority (HL7 CX-4), e.g. the hospital's namespace. */
  authority: text(64),
  /** Identifier type code (HL7 table 0203), e.g. MR for a medical record number. */
  type: text(8),
});

export const PersonNameSchema = z.strictObject({
  family: text(100),
  given: z.array(text(100)).max(5),
  /** The suffix after the name (HL7 XPN-4, PID-5.4: "III", "JR"), when sent: the banner shows it (QA s33). */
  suffix: text(40).optional(),
  /**
   * The same name in ideographic and phonetic writing (DICOM PN's second and third component
   * groups, PS3.5 6.2.1: kanji and kana, hanja and hangul), its parts joined by spaces
   * ("山田 太郎", "やまだ たろう"); absent when not sent, or when that group is the name itself
   * (no alphabetic group). Shown beside the name and searchable (QA12 D4).
   */
  ideographic: text(200).optional(),
  phonetic: text(200).optional(),
});

export const AddressSchema = z.strictObject({
  street: text(200).optional(),
  city: text(100).optional(),
  /** State or province (HL7 XAD-4), as sent: `MA`, `Ontario`. */
  state: text(50).optional(),
  postalCode: text(20).optional(),
  country: text(3).optional(),
});

export const PatientSchema = z.strictObject({
  identifiers: z.array(PatientIdentifierSchema).min(1).max(10),
  name: PersonNameSchema,
  birthDate: birthDate.optional(),
  /**
   * HL7 PID-7 as sent when it is not a valid HL7 DT/DTM (`1945XX17`): the record shows "not a valid
   * date (sent: …)"; nothing reads an age, a search word, a match or a dataset's age from it. A valid
   * birth date sent later (or `""`) takes it away; absent in records written before it was kept.
   */
  birthDateSent: text(40).optional(),
  sex: z.enum(['F', 'M', 'O', 'U']).optional(),
  address: AddressSchema.optional(),
  /**
   * Home or unspecified phone numbers (HL7 PID-13). Records written before `businessPhones` existed
   * (QA explore-11 D13) hold PID-14's numbers here too, mixed in: they still read as phones.
   */
  phones: z.array(text(40)).max(5).optional(),
  /** Business phone numbers (HL7 PID-14), merged apart from `phones`. */
  businessPhones: z.array(text(40)).max(5).optional(),
  /**
   * Fields the sender explicitly nulled (HL7 `""`): the views remove what they knew of them. A field
   * that is simply absent says nothing and keeps what earlier messages gave (HL7 v2 null semantics).
   * Only in intake; the views never store it.
   */
  cleared: z.array(z.enum(['middleNames', 'birthDate', 'sex', 'address', 'phones', 'businessPhones'])).max(6).optional(),
});

/** The demographic fields a message can clear with the HL7 null (`middleNames`: `""` in PID-5.3, the given names after the first). */
export type ClearableField = 'middleNames' | 'birthDate' | 'sex' | 'address' | 'phones' | 'businessPhones';

export const CodedConceptSchema = z.strictObject({
  code: text(64),
  /** e.g. LN (LOINC), SCT (SNOMED CT), I10 (ICD-10), or a local system. */
  system: text(32),
  display: text(200),
});

export const VisitSchema = z.strictObject({
  type: z.literal('visit'),
  /**
   * Patient class (HL7 PV1-2, table 0004): E emergency, I inpatient, O outpatient, P preadmit,
   * R recurring patient, B obstetrics, C commercial account, N not applicable, U unknown. Absent when
   * the message gave none or a value that is no such class ("class not recorded"; QA s33 D2). Records
   * written before kept only I, O and E, with P, R, C, N, U, empty and unknown values stored as O and B as I.
   */
  patientClass: z.enum(['I', 'O', 'E', 'P', 'R', 'B', 'C', 'N', 'U']).optional(),
  location: text(100).optional(),
  attendingDoctor: text(100).optional(),
  reason: text(500).optional(),
  start: isoDateTime,
  /**
   * Which field `start` was read from (T1 D5): PV1-44 (admit time), else in an ADT its event time
   * EVN-6 (event occurred) or EVN-2 (recorded), else MSH-7. A message that is not an ADT gives a
   * visit only with PV1-44. Absent in records written before it was kept; the mind does not list
   * such a visit of a message that is not an ADT (its start may be the lab message's time).
   */
  startFrom: z.enum(['PV1-44', 'EVN-6', 'EVN-2', 'MSH-7']).optional(),
  end: isoDateTime.optional(),
});

export const ObservationValueSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('numeric'),
    value: z.number(),
    unit: text(32).optional(),
    /**
     * Decimal places as the lab wrote the number, when `value` alone would drop its trailing zeros
     * (`4.0` → 1): the lab's precision, shown as sent (QA explore-11 D8). Absent in older records.
     */
    decimals: z.number().int().min(1).max(20).optional(),
  }),
  z.strictObject({ kind: z.literal('text'), value: text(10_000) }),
  z.strictObject({ kind: z.literal('coded'), value: CodedConceptSchema }),
]);

/**
 * What an observation's value was as sent, when `value` (one of the three kinds every view shows)
 * cannot say it all: HL7 OBX-2 SN (structured numeric: `<5`, `1:128`, `2-4`), DT/TS/DTM (a date or
 * date-time), ED/RP (encapsulated data or a reference: type and size only, never the payload;
 * the raw message in the vault keeps it). Views that do not know it show `value`.
 */
export const ObservationValueDetailSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('structured-numeric'),
    /** `>`, `<`, `>=`, `<=`, `=`, `<>` or empty. */
    comparator: text(2).optional(),
    value: z.number().optional(),
    /** `-` (range), `+`, `/`, `.`, `:` (ratio) or empty. */
    separator: text(1).optional(),
    value2: z.number().optional(),
    /** Decimal places `value` was written with when it had trailing zeros (`<1.0` → 1). */
    decimals: z.number().int().min(1).max(20).optional(),
    /** OBX-6 when `value` is text (a comparator or a ratio), which has no unit of its own (QA explore-11 D8). */
    unit: text(32).optional(),
  }),
  z.strictObject({ kind: z.literal('date-time'), value: text(40) }),
  z.strictObject({
    kind: z.literal('encapsulated'),
    /** e.g. `application/pdf` (ED-2/ED-3 type and subtype). */
    mediaType: text(100),
    /** ED-4: Base64, Hex, A (ASCII)… */
    encoding: text(20),
    /** Size of the payload once decoded (estimated from the encoded length). */
    bytes: z.number().int().nonnegative(),
  }),
  z.strictObject({ kind: z.literal('reference'), pointer: text(500), mediaType: text(100).optional() }),
  /**
   * A numeric OBX-5 (NM or SN) the lab repeated (`6.0~7.0`; HL7 v2 lets OBX-5 repeat): every value as
   * written, in order, with OBX-6. `value` is then text ("6.0; 7.0"), so no one of them is charted or
   * read as the result (QA s33 D1: the first was kept as the number, the others dropped). Records
   * written before hold the first value only.
   */
  z.strictObject({ kind: z.literal('repeated'), values: z.array(text(64)).min(2).max(50), unit: text(32).optional() }),
  /**
   * A coded OBX-5 (CE, CWE, CNE, CF) the sender repeated (`code^text^system~code^text^system`: HL7
   * v2 lets OBX-5 repeat, e.g. several organisms or answers): every code, in order, the first also
   * being `value`. Records written before hold the first code only (issue 11: the rest was dropped).
   */
  z.strictObject({ kind: z.literal('coded-list'), values: z.array(CodedConceptSchema).min(2).max(50) }),
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
  // Additive (HL7 intake); every view works without them.
  /** HL7 OBX-2 value type as sent (NM, ST, TX, FT, CE, CWE, SN, DT, TS, DTM, ED, RP…). */
  valueType: text(3).optional(),
  valueDetail: ObservationValueDetailSchema.optional(),
  /** OBX-4 sub-id (groups related OBX, e.g. IEEE 11073 containment). */
  subId: text(20).optional(),
  /** OBX-11 as sent when `status` had to approximate it (R, S, I, D, W, X, U…; table 0085). */
  resultStatus: text(1).optional(),
  /** The order or document this observation belongs to (OBR-3 filler / OBR-2 placer number). */
  orderId: text(100).optional(),
  /** Notes and comments on this result (HL7 NTE after its OBX), one per NTE, as sent. */
  comments: z.array(text(10_000)).max(50).optional(),
});

export const ClinicalRecordSchema = z.discriminatedUnion('type', [VisitSchema, ObservationSchema]);

/** A report: a result report (HL7 OBR in ORU/OUL) or a clinical document (TXA in MDM). */
export const ReportSchema = z.strictObject({
  type: z.literal('report'),
  kind: z.enum(['result', 'document']),
  /** OBR-4 universal service id, or TXA-2 document type. */
  code: CodedConceptSchema,
  /** OBR-25 result status / TXA-17 completion status, as sent. */
  status: text(4).optional(),
  /** OBR-7 observation time / TXA-4 activity time (or the message time). */
  time: isoDateTime,
  placerOrderId: text(100).optional(),
  fillerOrderId: text(100).optional(),
  /** TXA-12 unique document number. */
  documentId: text(200).optional(),
  /** OBR-32 principal interpreter / TXA-9 originator (display name). */
  author: text(200).optional(),
  /** The document's text (MDM: its OBX TX/FT lines, one per line); formatting escapes kept as sent. */
  text: text(200_000).optional(),
  /** How many observations the message gave under this report (they are in `records`). */
  observationCount: z.number().int().nonnegative().optional(),
  /** The report's notes and comments (HL7 NTE after its OBR), one per NTE, as sent. */
  comments: z.array(text(10_000)).max(50).optional(),
});

/** An order (HL7 ORC + OBR in ORM/OML). */
export const OrderSchema = z.strictObject({
  type: z.literal('order'),
  /** ORC-1 order control (table 0119): NW new, CA cancel, XO change, SC status changed… */
  control: text(2),
  code: CodedConceptSchema,
  placerOrderId: text(100).optional(),
  fillerOrderId: text(100).optional(),
  /** ORC-5 order status (table 0038), as sent. */
  status: text(4).optional(),
  /** OBR-27 / ORC-7 priority, as sent (S stat, R routine…). */
  priority: text(10).optional(),
  orderingProvider: text(200).optional(),
  /** ORC-9 transaction time (or OBR-6, or the message time). */
  time: isoDateTime,
});

/** An allergy (HL7 AL1). */
export const AllergySchema = z.strictObject({
  type: z.literal('allergy'),
  allergen: CodedConceptSchema,
  /** AL1-2 allergen type (table 0127: DA drug, FA food, EA environmental…), as sent. */
  allergenType: text(10).optional(),
  /** AL1-4 severity (table 0128: SV severe, MO moderate, MI mild…), as sent. */
  severity: text(10).optional(),
  reactions: z.array(text(200)).max(10).optional(),
  identified: isoDate.optional(),
});

/** A diagnosis (HL7 DG1). */
export const DiagnosisSchema = z.strictObject({
  type: z.literal('diagnosis'),
  code: CodedConceptSchema,
  /** DG1-6 diagnosis type (table 0052: A admitting, W working, F final), as sent. */
  diagnosisType: text(10).optional(),
  time: isoDateTime.optional(),
});

/** An administered (or refused, or historical) vaccine (HL7 RXA in VXU). */
export const ImmunizationSchema = z.strictObject({
  type: z.literal('immunization'),
  /** RXA-5, usually CVX. */
  vaccine: CodedConceptSchema,
  /** RXA-3 start of administration. */
  time: isoDateTime,
  amount: z.number().optional(),
  unit: text(32).optional(),
  lotNumbers: z.array(text(40)).max(5).optional(),
  manufacturer: text(200).optional(),
  /** RXA-20 completion status (CP complete, RE refused, NA not administered, PA partial), as sent. */
  completionStatus: text(4).optional(),
  /** RXA-21 action code (A add, U update, D delete), as sent. */
  action: text(2).optional(),
});

/**
 * Patient merge (HL7 ADT^A40 / A18 … with MRG): the records of `merged` now belong to `survivor`.
 * The views apply it: the merged patient's rows move under the survivor.
 */
export const MergeSchema = z.strictObject({
  type: z.literal('merge'),
  survivor: z.array(PatientIdentifierSchema).min(1).max(10),
  merged: z.array(PatientIdentifierSchema).min(1).max(10),
  /** The trigger event, e.g. A40. */
  event: text(8).optional(),
});

/**
 * Record types the views learn after the first two (kept apart from `records` so that code
 * switching over ClinicalRecord keeps compiling); the HL7 channel fills them.
 */
export const ExtendedRecordSchema = z.discriminatedUnion('type', [ReportSchema, OrderSchema, AllergySchema, DiagnosisSchema, ImmunizationSchema, MergeSchema]);

/** HL7 v2 details of a message (channel hl7-mllp / hl7-file / hl7-reprocess). No PHI beyond what the message says about systems. */
export const Hl7MessageInfoSchema = z.strictObject({
  /** MSH-12. */
  version: text(16),
  /** MSH-3 / MSH-4 (namespace ids). */
  sendingApplication: text(200),
  sendingFacility: text(200),
  /** Whether the message type was mapped: `not-mapped` types are stored raw and acknowledged AA. */
  mapping: z.enum(['mapped', 'partial', 'not-mapped']),
  /** What the mapping skipped or could not read (no values, only where). */
  notes: z.array(text(200)).max(50).optional(),
  /** SHA-256 of the sender+control id key and of the content: duplicate recognition (design §4 rule 4). */
  dedupeKey: text(64),
  payloadSha256: text(64),
  /** The same sender + control id arrived before with different content. */
  conflict: z.boolean().optional(),
  /** Position in a batch or multi-message file. */
  batchIndex: z.number().int().nonnegative().optional(),
  /** The acknowledgment code the sender got (AA, or CA when only an accept ACK was asked for). */
  ack: text(2).optional(),
  /**
   * The acknowledgment messages sent, in order (MLLP; a file import sends none): what an interface
   * analyst checks against the sender's log. Built before the store, so the record holds the exact
   * bytes (as text) that followed its fsync. Absent in records written before it was kept.
   */
  ackTexts: z.array(text(4000)).max(2).optional(),
  /**
   * Channel `hl7-reprocess`: an operator ran quarantine record `quarantineSeq` (its journal seq)
   * again, `edited` when they changed the bytes first (this record holds the edited copy; the
   * quarantine record keeps the original). The act itself is journaled as `intake.reprocessed`.
   * `charset`: the charset the operator chose (an MSH-18 value) when it is the one the message was
   * read with (MSH-18 empty, or the operator's override): the raw view reads the bytes with it
   * (QA s33 D4). Absent when MSH-18 decided, or in records written before it was kept.
   */
  reprocessOf: z.strictObject({ quarantineSeq: z.number().int().positive(), edited: z.boolean(), charset: text(40).optional() }).optional(),
});

/**
 * Where an intake record came from: `hl7-reprocess` is not a sender's channel but an operator's
 * reprocess of a quarantined HL7 message (no acknowledgment goes to anyone).
 */
export const INTAKE_RECORD_CHANNELS = ['demo', 'hl7-mllp', 'hl7-file', 'hl7-reprocess', 'dicom', 'devices'] as const;

/** One intake event's normalized content: one message, one study, one device batch. */
export const NormalizedIntakeSchema = z.strictObject({
  channel: z.enum(INTAKE_RECORD_CHANNELS),
  /** The sender's id for this message (HL7 MSH-10, DICOM SOP Instance UID…), for duplicates. */
  messageId: text(200),
  messageType: text(40),
  patient: PatientSchema,
  records: z.array(ClinicalRecordSchema).max(10_000),
  // Additive:
  /** Reports, orders, allergies, diagnoses, immunizations, merges (see ExtendedRecordSchema). */
  extendedRecords: z.array(ExtendedRecordSchema).max(10_000).optional(),
  hl7: Hl7MessageInfoSchema.optional(),
  /** The DICOM instance a `dicom` intake stored (see dicom.ts). */
  dicom: DicomInstanceSchema.optional(),
});

/**
 * A quarantine record (journal kind `intake.quarantine`): input that was not accepted as a clinical
 * message, or was accepted but names no patient. The raw bytes are sealed as its object like every
 * intake; this is its sealed metadata's content. Nothing is dropped silently (design §4 rule 1).
 */
export const IntakeQuarantineSchema = z.strictObject({
  type: z.literal('quarantine'),
  channel: z.enum(INTAKE_RECORD_CHANNELS),
  /**
   * rejected: answered with an error (AR/CR…), to be fixed and reprocessed or discarded;
   * held: acknowledged (AA) but not indexed (e.g. no PID: nothing to file it under).
   * not-mapped: acknowledged (an inbound ACK: not answered) and kept, a type this node does not map
   * that never names a patient (no PID: MFN, ACK…); not in the quarantine, nothing to fix (QA s33 D5).
   */
  disposition: z.enum(['rejected', 'held', 'not-mapped']),
  /** Why, in words (no PHI: positions and rules, not values). */
  reason: text(500),
  /** The acknowledgment codes sent (HL7), empty when none was. */
  acks: z.array(text(2)).max(4),
  /** HL7 table 0357 code and location (segment^sequence^field). */
  errorCode: z.number().int().optional(),
  errorLocation: text(40).optional(),
  /** Whatever could be read of the header. */
  messageType: text(40).optional(),
  messageId: text(200).optional(),
  sendingApplication: text(200).optional(),
  sendingFacility: text(200).optional(),
  version: text(16).optional(),
  charset: text(40).optional(),
  /** The peer's address (MLLP) or the file's name (import). */
  source: text(300).optional(),
  batchIndex: z.number().int().nonnegative().optional(),
  payloadSha256: text(64).optional(),
  /** The acknowledgment messages sent (MLLP), in order; absent in records written before it was kept. */
  ackTexts: z.array(text(4000)).max(2).optional(),
});

export type PatientIdentifier = Readonly<z.infer<typeof PatientIdentifierSchema>>;
export type PersonName = Readonly<z.infer<typeof PersonNameSchema>>;
export type Patient = Readonly<z.infer<typeof PatientSchema>>;
export type CodedConcept = Readonly<z.infer<typeof CodedConceptSchema>>;
export type Visit = Readonly<z.infer<typeof VisitSchema>>;
export type Observation = Readonly<z.infer<typeof ObservationSchema>>;
export type ClinicalRecord = Readonly<z.infer<typeof ClinicalRecordSchema>>;
export type NormalizedIntake = Readonly<z.infer<typeof NormalizedIntakeSchema>>;
export type ObservationValueDetail = Readonly<z.infer<typeof ObservationValueDetailSchema>>;
export type Report = Readonly<z.infer<typeof ReportSchema>>;
export type Order = Readonly<z.infer<typeof OrderSchema>>;
export type Allergy = Readonly<z.infer<typeof AllergySchema>>;
export type Diagnosis = Readonly<z.infer<typeof DiagnosisSchema>>;
export type Immunization = Readonly<z.infer<typeof ImmunizationSchema>>;
export type Merge = Readonly<z.infer<typeof MergeSchema>>;
export type ExtendedRecord = Readonly<z.infer<typeof ExtendedRecordSchema>>;
export type Hl7MessageInfo = Readonly<z.infer<typeof Hl7MessageInfoSchema>>;
export type IntakeQuarantine = Readonly<z.infer<typeof IntakeQuarantineSchema>>;
