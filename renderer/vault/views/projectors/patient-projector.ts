import { INTAKE_RECORD_KINDS, MIND_KINDS } from '../../../../shared/journal/journal-kinds';
import { ErasureMetaSchema } from '../../../../shared/journal/mind-meta';
import type { Patient } from '../../../../shared/domain/clinical';
import { PatientSchema } from '../../../../shared/domain/clinical';
import { buildIntakeRows, patientOfRecordId, patientText, type IntakeRows, type PatientPayload } from '../intake-rows';
import type { TokenCache } from '../token-cache';
import { addToMessageCount } from '../message-log';
import { decryptField, encryptField } from '../../../../shared/crypto/field-cipher';
import { fillDemographics, mergeDemographics } from '../patient-demographics';
import { fileIntake } from '../patient-filing';
import { getInParts, putInParts } from '../put-in-parts';
import { mapInSlices, TaskSlicer } from '../task-slices';
import { IDENTITY_CONFLICTS_KEY, POSTINGS_THROUGH_KEY, postingKey, postingsOf, recordsOfPatient, type AliasRow, type DirectoryName, type DirectoryRow, type MergeRow, type PatientRowStored, type PostingRow, type RecordRowStored, type VaultDb } from '../vault-db';
import type { JournalProjector, ProjectorPage } from './journal-projector';
import { intakeMetaOf } from './intake-meta-parse';

/**
 * Accepted intake (`intake.demo`, `intake.hl7`, … one kind per channel) → a patient row with its
 * blind tokens, its postings, a message row, and merge rows for a patient merge;
 * `erasure.patient` → that patient's rows are deleted (a second window catching up).
 *
 * Idempotent: ids are deterministic, rows are put (not added), a patient's tokens are the union of
 * what its messages contributed, the latest copy of a record wins, and a patient's demographics
 * are merged field by field in journal order (patient-demographics.ts: an absent field keeps
 * what was known, only the HL7 null clears it; a DICOM header only fills what is missing).
 * Search finds a patient by what the chart shows (QA11 D2): when a registration changes the name,
 * birth date or identifiers, the words of the earlier values that the new ones do not give go from
 * the patient's tokens and postings (an earlier surname or a corrected birth date finds nothing).
 */
export const patientProjector: JournalProjector = {
  name: 'patients',
  // Device reports name no patient (staff assign a device session to one): device-projector.ts owns them.
  kinds: [...INTAKE_RECORD_KINDS.filter((kind) => kind !== 'intake.device'), MIND_KINDS.erasure],
  tables: patientTablesWithMerges,
  startPage(context) {
    const page = new PatientPage(context.keys.viewKey, context.keys.directoryKey, context.tokens);
    return {
      async decode(record, meta) {
        if (record.kind === MIND_KINDS.erasure) {
          const parsed = ErasureMetaSchema.safeParse(meta);
          if (!parsed.success) return 'problem';
          // Decided as decoded, in journal order: the messages after it no longer find the erased
          // chart by its identifiers (a new admission opens a chart anew, as a rebuild would).
          context.filing?.forget(parsed.data.patientId, record.seq);
          return { apply: () => page.erase(parsed.data.patientId) };
        }
        const intake = intakeMetaOf(meta);
        if (intake === null) return 'problem';
        const { normalized } = intake;
        const filing = context.filing === undefined ? undefined : await fileIntake(context.filing, record.seq, normalized);
        const rows = await buildIntakeRows(context.keys, context.tokens, {
          seq: record.seq,
          kind: record.kind,
          objects: record.objects,
          intake: normalized,
          receivedAt: intake.receivedAt ?? record.at,
          ...(filing === undefined ? {} : { filing }),
        });
        return { apply: () => page.add(rows) };
      },
      prepare: (db) => page.prepare(db),
      write: (db, chunk) => page.write(db, chunk),
    };
  },
};

const DICOM_KIND = 'intake.dicom';
/**
 * Patients whose rows prepare() decrypts, merges or encrypts concurrently before it may yield to the
 * event loop (task-slices.ts): a page of 2,048 records names a thousand patients and more, and
 * doing them all at once made main-thread tasks of 100–180 ms during an ingest.
 */
export const PREPARE_GROUP = 8;

/** The rows of one write page, merged in journal order. */
export class PatientPage implements Pick<ProjectorPage, 'write'> {
  /** Per patient, the union of its messages' tokens in this page (sorted once, at write). */
  private readonly patients = new Map<string, Set<string>>();
  /** Each patient's encrypted row payload, set by prepare(). */
  private readonly encrypted = new Map<string, Uint8Array>();
  private readonly records = new Map<string, RecordRowStored>();
  private readonly merges = new Map<string, MergeRow>();
  /** Identifiers charts hold from this page on (patient-filing.ts). */
  private readonly aliases = new Map<string, AliasRow>();
  /** Messages of the page whose identifiers named two charts. */
  private identityConflicts = 0;
  private readonly directory = new Map<string, DirectoryRow>();
  private readonly erased = new Set<string>();
  /** Per patient, the demographics its messages in this page gave, in journal order (`header`: a DICOM instance's). */
  private readonly demographics = new Map<string, { patient: Patient; header: boolean; tokens: readonly string[]; headerTokens?: IntakeRows['patient']['headerTokens'] }[]>();
  /** Per patient, the header-only tokens prepare() found the chart no longer shows: write() takes them out of the row and the postings. */
  private readonly dropped = new Map<string, Set<string>>();
  /**
   * Per patient, the name its directory row of this page was encrypted with (the message's own, or a
   * DICOM header's): prepare() writes the merged name instead when it differs (an ORU's `Keller^Anna`
   * keeps "Keller, Anna Maria" for auditors too, QA s32).
   */
  private readonly directoryNamed = new Map<string, Patient['name']>();

  /**
   * Without `directoryKey` (rows built elsewhere), a header's directory row never replaces one of this page.
   * Without `tokens` (rows built elsewhere: writeIntakeRows), the words of a chart's earlier values are not taken out.
   */
  constructor(
    private readonly viewKey: CryptoKey,
    private readonly directoryKey?: CryptoKey,
    private readonly tokens?: TokenCache,
    /** Slices prepare() (tests inject one that counts its yields); a fresh TaskSlicer per prepare by default. */
    private readonly slicer?: TaskSlicer,
  ) {}

  add({ patient, message, merges, directory, demographics, aliases, identityConflict }: IntakeRows): void {
    for (const alias of aliases ?? []) this.aliases.set(alias.id, alias);
    if (identityConflict === true) this.identityConflicts++;
    // A modality's header is not a registration (QA explore-12 D0b): it fills gaps, it never renames.
    const header = message.kind === DICOM_KIND;
    if (!header || !this.directory.has(directory.id)) {
      this.directory.set(directory.id, directory);
      this.directoryNamed.set(patient.id, demographics.name);
    }
    const update = { patient: demographics, header, tokens: patient.tokens, ...(patient.headerTokens === undefined ? {} : { headerTokens: patient.headerTokens }) };
    const sent = this.demographics.get(patient.id);
    if (sent === undefined) this.demographics.set(patient.id, [update]);
    else sent.push(update);
    const tokens = this.patients.get(patient.id);
    if (tokens === undefined) this.patients.set(patient.id, new Set(patient.tokens));
    else for (const token of patient.tokens) tokens.add(token);
    this.records.set(message.id, message);
    for (const merge of merges ?? []) this.merges.set(merge.merged, merge);
  }

  /** Rows of this patient seen earlier in the page go; later ones (a new admission) stay. */
  erase(patientId: string): void {
    this.erased.add(patientId);
    this.patients.delete(patientId);
    this.demographics.delete(patientId);
    this.dropped.delete(patientId);
    this.directoryNamed.delete(patientId);
    for (const id of [...this.records.keys()]) if (patientOfRecordId(id) === patientId) this.records.delete(id);
    for (const [id, row] of [...this.directory]) if (row.patientId === patientId) this.directory.delete(id);
    for (const [id, row] of [...this.aliases]) if (row.patientId === patientId) this.aliases.delete(id);
  }

  /**
   * Merges each patient's demographics of this page into what the views hold (none for a patient
   * erased in this page: its stored row goes) and encrypts each patient's row once. Before the
   * write transaction: decrypting and encrypting inside one would end it. The rows are read in
   * parts and the patients done PREPARE_GROUP at a time in slices (task-slices.ts), so the UI keeps
   * its turn however many patients a page names.
   */
  async prepare(db: VaultDb): Promise<void> {
    const slicer = this.slicer ?? new TaskSlicer();
    const ids = [...this.demographics.keys()].filter((id) => this.patients.has(id));
    const readable = ids.filter((id) => !this.erased.has(id));
    const stored = (await getInParts(db.patients, readable)).filter((row) => row !== undefined);
    const opened = await mapInSlices(stored, PREPARE_GROUP, async (row) => {
      const payload = await decryptField<PatientPayload>(this.viewKey, { table: 'patients', id: row.id }, row.enc);
      return [row.id, { patient: PatientSchema.parse(payload.patient), headerOnly: payload.headerOnly, tokens: row.tokens }] as const;
    }, slicer);
    const known = new Map(opened);
    const merged = await mapInSlices(ids, PREPARE_GROUP, async (id) => {
      const before = known.get(id);
      let patient = before?.patient;
      const only = { name: new Set(before?.headerOnly?.name), birthDate: new Set(before?.headerOnly?.birthDate) };
      // Tokens something other than a header's name or date gave: never header-only.
      const given = new Set((before?.tokens ?? []).filter((token) => !only.name.has(token) && !only.birthDate.has(token)));
      for (const update of this.demographics.get(id)!) {
        for (const token of update.tokens) {
          given.add(token);
          only.name.delete(token);
          only.birthDate.delete(token);
          this.undrop(id, token);
        }
        const was = patient;
        patient = update.header ? fillDemographics(patient, update.patient) : mergeDemographics(patient, update.patient);
        // A header's name and birth date are words of the patient only when the chart took them (issue 12):
        // decided as each is folded, so a rebuild indexes what the incremental replays did.
        if (update.headerTokens !== undefined) this.indexHeader(id, patient, update.patient, update.headerTokens, given, only);
        // …and only while it shows them (QA2-12 Q5): a registration that renames or redates takes them out.
        if (!update.header && was !== undefined) {
          if (!sameName(was.name, patient.name)) this.drop(id, only.name);
          if (was.birthDate !== patient.birthDate) this.drop(id, only.birthDate);
          // …and a registration's own earlier name, birth date or identifiers the same way (QA11 D2).
          const stale = await this.staleChartTokens(was, patient);
          for (const token of stale) {
            given.delete(token);
            only.name.delete(token);
            only.birthDate.delete(token);
          }
          this.drop(id, stale);
        }
      }
      const headerOnly = only.name.size + only.birthDate.size === 0 ? undefined : { name: [...only.name].sort(), birthDate: [...only.birthDate].sort() };
      return { id, patient: patient!, headerOnly };
    }, slicer);
    await this.nameDirectory(merged, slicer);
    await mapInSlices(merged, PREPARE_GROUP, async ({ id, patient, headerOnly }) => {
      const value: PatientPayload = headerOnly === undefined ? { patient } : { patient, headerOnly };
      this.encrypted.set(id, await encryptField(this.viewKey, { table: 'patients', id }, value));
    }, slicer);
  }

  private indexHeader(
    id: string,
    shown: Patient,
    header: Patient,
    tokens: NonNullable<IntakeRows['patient']['headerTokens']>,
    given: ReadonlySet<string>,
    only: { readonly name: Set<string>; readonly birthDate: Set<string> },
  ): void {
    const words = this.patients.get(id);
    if (words === undefined) return;
    const add = (list: readonly string[], into: Set<string>) => {
      for (const token of list) {
        words.add(token);
        if (!given.has(token)) into.add(token);
      }
    };
    if (sameName(shown.name, header.name)) add(tokens.name, only.name);
    if (header.birthDate !== undefined && shown.birthDate === header.birthDate) add(tokens.birthDate, only.birthDate);
  }

  /**
   * The tokens of the chart's name, birth date and identifiers (intake-rows.ts patientText, with
   * identifier prefixes) before a registration that the chart after it does not give: none when
   * those fields did not change. A record's text that holds the same word does not keep it (the
   * row's tokens do not say which message gave a word); a later message that gives it again does.
   */
  private async staleChartTokens(before: Patient, after: Patient): Promise<Set<string>> {
    const tokens = this.tokens;
    if (tokens === undefined || sameChartWords(before, after)) return new Set();
    const [was, now] = await Promise.all([chartTokens(tokens, before), chartTokens(tokens, after)]);
    const kept = new Set(now);
    return new Set(was.filter((token) => !kept.has(token)));
  }

  /** A token a later message of the page gives again: back in the page's words, no longer taken out. */
  private undrop(id: string, token: string): void {
    const dropped = this.dropped.get(id);
    if (dropped?.delete(token) !== true) return;
    this.patients.get(id)?.add(token);
  }

  /** Header-only tokens the chart no longer shows: out of this page's words, and (write) of the stored row and postings. */
  private drop(id: string, tokens: Set<string>): void {
    if (tokens.size === 0) return;
    const words = this.patients.get(id);
    const dropped = this.dropped.get(id) ?? new Set<string>();
    for (const token of tokens) {
      words?.delete(token);
      dropped.add(token);
    }
    this.dropped.set(id, dropped);
    tokens.clear();
  }

  /**
   * A directory row carries the name of the message that wrote it (a DICOM header's, or an ORU's
   * without the middle names); the patient's name is the merged one (the registered name when there
   * is one, with the middle names a later message left out), so such a row is encrypted again with that.
   */
  private async nameDirectory(merged: readonly { id: string; patient: Patient }[], slicer: TaskSlicer): Promise<void> {
    const directoryKey = this.directoryKey;
    if (directoryKey === undefined) return;
    const nameOf = new Map(merged.map(({ id, patient }) => [id, patient.name]));
    for (const [id, row] of this.directory) {
      const name = row.patientId === undefined ? undefined : nameOf.get(row.patientId);
      const written = row.patientId === undefined ? undefined : this.directoryNamed.get(row.patientId);
      if (name === undefined || (written !== undefined && sameName(written, name))) continue;
      const value: DirectoryName = { family: name.family, given: name.given };
      this.directory.set(id, { ...row, name: await encryptField(directoryKey, { table: 'directory', id }, value) });
      await slicer.checkpoint();
    }
  }

  async write(db: VaultDb, chunk: number): Promise<void> {
    for (const patientId of this.erased) await deletePatientRows(db, patientId);
    const ids = [...this.patients.keys()];
    const existing = await getInParts(db.patients, ids);
    // Post only the tokens each patient did not have yet: every (token, patient) pair is posted once.
    const postings = new Map<string, string[]>();
    const patients = ids.map((id, index): PatientRowStored => {
      const enc = this.encrypted.get(id);
      if (enc === undefined) throw new Error('PatientPage.write before prepare: a patient row has no encrypted payload.');
      const tokens = this.patients.get(id)!;
      const dropped = this.dropped.get(id);
      const had = (existing[index]?.tokens ?? []).filter((token) => dropped?.has(token) !== true);
      const hadSet = new Set(had);
      for (const token of tokens) {
        if (hadSet.has(token)) continue;
        const list = postings.get(token);
        if (list === undefined) postings.set(token, [id]);
        else list.push(id);
      }
      return { id, tokens: hadSet.size === 0 ? [...tokens].sort() : mergeTokens(had, [...tokens]), enc };
    });
    await putInParts(db.patients, patients);
    for (const [id, tokens] of this.dropped) await unpost(db, id, tokens);
    if (postings.size > 0) {
      const rows: PostingRow[] = [];
      const through = (await db.meta.get(POSTINGS_THROUGH_KEY))?.value;
      const fresh = chunk > (typeof through === 'number' ? through : 0);
      // A chunk above the high-water mark was never written: nothing to extend (saves a read of every key of the page).
      const previous = fresh ? [] : await getInParts(db.postings, [...postings.keys()].map((token) => postingKey(token, chunk)));
      if (fresh) await db.meta.put({ key: POSTINGS_THROUGH_KEY, value: chunk });
      let index = 0;
      for (const [token, list] of postings) {
        // Same chunk again (a page replayed after a cursor reset): extend it, never overwrite it.
        const before = previous[index++]?.ids ?? [];
        rows.push({ id: postingKey(token, chunk), ids: before.length === 0 ? list : [...new Set([...before, ...list])] });
      }
      await putInParts(db.postings, rows);
    }
    await putInParts(db.records, [...this.records.values()]);
    await putInParts(db.merges, [...this.merges.values()]);
    await putInParts(db.directory, [...this.directory.values()]);
    await putInParts(db.aliases, [...this.aliases.values()]);
    if (this.identityConflicts > 0) {
      const row = await db.meta.get(IDENTITY_CONFLICTS_KEY);
      await db.meta.put({ key: IDENTITY_CONFLICTS_KEY, value: (typeof row?.value === 'number' ? row.value : 0) + this.identityConflicts });
    }
  }
}

/** Whether two charts give the same search text (patientText: whatever it indexes of a name, the identifiers, the birth date). */
function sameChartWords(a: Patient, b: Patient): boolean {
  return JSON.stringify(patientText(a)) === JSON.stringify(patientText(b));
}

/** The tokens a chart's demographics give (buildIntakeRows: its text and its identifiers' prefixes). */
async function chartTokens(tokens: TokenCache, patient: Patient): Promise<string[]> {
  const [text, prefixes] = await Promise.all([
    tokens.tokensOf(patientText(patient)),
    tokens.identifierPrefixTokens(patient.identifiers.map((identifier) => identifier.value)),
  ]);
  return [...text, ...prefixes];
}

function sameName(a: Patient['name'], b: Patient['name']): boolean {
  return a.family === b.family && a.given.length === b.given.length && a.given.every((given, index) => given === b.given[index]);
}

/** Takes a patient out of the postings of `tokens` (every chunk). */
async function unpost(db: VaultDb, patientId: string, tokens: Iterable<string>): Promise<void> {
  for (const token of tokens) {
    const chunks = await postingsOf(db, token).toArray();
    const kept = chunks.filter((chunk) => chunk.ids.includes(patientId)).map((chunk) => ({ id: chunk.id, ids: chunk.ids.filter((id) => id !== patientId) }));
    await db.postings.bulkDelete(kept.filter((chunk) => chunk.ids.length === 0).map((chunk) => chunk.id));
    await db.postings.bulkPut(kept.filter((chunk) => chunk.ids.length > 0));
  }
}

function mergeTokens(a: readonly string[], b: readonly string[]): string[] {
  return [...new Set([...a, ...b])].sort();
}

/**
 * Deletes every view row of one patient, its postings included. Call inside a rw transaction over
 * patientTables() (Dexie opens one for the caller otherwise, per statement).
 */
export async function deletePatientRows(db: VaultDb, patientId: string): Promise<void> {
  const patient = await db.patients.get(patientId);
  await unpost(db, patientId, patient?.tokens ?? []);
  await db.patients.delete(patientId);
  await recordsOfPatient(db, patientId).delete();
  await db.directory.where('patientId').equals(patientId).delete();
  // The identifiers the chart held: a later message naming one opens a chart anew.
  await db.aliases.where('patientId').equals(patientId).delete();
  // The message browser's rows of the patient's messages (their journal records become tombstones).
  await addToMessageCount(db, -(await db.messages.where('[patientId+seq]').between([patientId, 0], [patientId, Infinity]).delete()));
  // Research consent records: an erased patient is never counted again.
  await db.consents.where('patientId').equals(patientId).delete();
}

/** The erasing transaction's tables. */
export function patientTables(db: VaultDb) {
  return [db.patients, db.records, db.postings, db.directory, db.messages, db.meta, db.consents, db.aliases];
}

function patientTablesWithMerges(db: VaultDb) {
  return [...patientTables(db), db.merges];
}
