import { IntakeMetaSchema, type IntakeMeta } from '../../../../shared/journal/intake-meta';

/**
 * An intake record's opened meta checked against IntakeMetaSchema once per record: every intake
 * record feeds two projectors (patients and messages for HL7, patients and imaging for DICOM), and
 * each used to parse the same meta, the schema check of a message's whole NormalizedIntake being
 * about 5 % of the page's main thread during an ingest (issue 11, ui-during-ingest profile).
 * Keyed by the meta object the replay hands every projector of the record; the projectors only
 * read what it returns.
 */
const parsed = new WeakMap<object, IntakeMeta | null>();

/** The parsed meta, or null when it does not fit the schema (a problem record). */
export function intakeMetaOf(meta: unknown): IntakeMeta | null {
  if (typeof meta !== 'object' || meta === null) return null;
  const known = parsed.get(meta);
  if (known !== undefined) return known;
  const result = IntakeMetaSchema.safeParse(meta);
  const value = result.success ? result.data : null;
  parsed.set(meta, value);
  return value;
}
