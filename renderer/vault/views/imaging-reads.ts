import { decryptMany, queryTokens } from '../vault-crypto';
import { recodedCopies, type InstancePayload, type InstanceRowStored, type RecodedCopies, type SeriesPayload, type SeriesRowStored, type StudyPayload, type StudyRowStored } from './imaging-rows';
import { dateInTerm, studyDateTerms } from './study-date-terms';
import { postingsOf, type VaultDb } from './vault-db';
import { mergedInto, resolvePatientId } from './view-reads';

/** One study as the Imaging area and a patient's page list it. */
export interface StudySummary {
  readonly studyId: string;
  /** The patient it is filed under (after merges: the survivor). */
  readonly patientId: string;
  readonly study: StudyPayload;
  /** The series' modalities, distinct, in series order. */
  readonly modalities: readonly string[];
  readonly series: readonly (SeriesPayload & { readonly seriesId: string; readonly instances: number })[];
  readonly instances: number;
  /**
   * Instances with this study's Study Instance UID were also received for another patient (a
   * modality's mix-up or a wrong Patient ID): they are filed under that patient, and staff are told.
   */
  readonly sharedWithOtherPatient: boolean;
  /**
   * Instances of this study received again with other bytes under the same SOP Instance UID (a
   * conflict, QA explore-12 D4): the latest copy is shown, the earlier ones are kept and can be opened.
   */
  readonly instancesWithOtherCopies: number;
  /** Of those, the ones whose copies differ in their transfer syntax (QA s33 D3); absent: none. */
  readonly recodedCopies?: RecodedCopies;
}

/**
 * The RecodedCopies of each study of `rows` (by study id): only the instances with earlier copies
 * are decrypted, their latest payload and their copies' (conflicts are few).
 */
export async function recodedCopiesByStudy(viewKey: CryptoKey, rows: readonly InstanceRowStored[]): Promise<Map<string, RecodedCopies>> {
  const withCopies = rows.filter((row) => (row.earlier?.length ?? 0) > 0);
  const found = new Map<string, RecodedCopies>();
  if (withCopies.length === 0) return found;
  const sealed = withCopies.flatMap((row) => [row.enc, ...row.earlier!.map((copy) => copy.enc)].flatMap((enc) => (enc === undefined ? [] : [{ table: 'instances' as const, id: row.id, stored: enc }])));
  const payloads = await decryptMany<InstancePayload>(viewKey, sealed);
  let next = 0;
  const perStudy = new Map<string, { latest: string; earlier: (string | undefined)[] }[]>();
  for (const row of withCopies) {
    const latest = payloads[next++]!.transferSyntaxUid;
    const earlier = row.earlier!.map((copy) => (copy.enc === undefined ? undefined : payloads[next++]!.transferSyntaxUid));
    perStudy.set(row.studyId, [...(perStudy.get(row.studyId) ?? []), { latest, earlier }]);
  }
  for (const [studyId, instances] of perStudy) {
    const recoded = recodedCopies(instances);
    if (recoded !== undefined) found.set(studyId, recoded);
  }
  return found;
}

/**
 * The ids of those of `rows` whose Study Instance UID also has a study row of another patient
 * (after merges: a patient merged into this one is the same patient). Reads rows by the UID's
 * pseudonym only; nothing is decrypted.
 */
export async function studiesSharingUid(db: VaultDb, rows: readonly StudyRowStored[], every = false): Promise<Set<string>> {
  const flagged = new Set<string>();
  if (rows.length === 0) return flagged;
  // `every`: the rows are the whole table (the Imaging list), so they are read once, not twice.
  const sameUid = every ? rows : ((await db.studies.where('uid').anyOf([...new Set(rows.map((row) => row.uid))]).toArray()) as StudyRowStored[]);
  const byUid = new Map<string, StudyRowStored[]>();
  for (const row of sameUid) byUid.set(row.uid, [...(byUid.get(row.uid) ?? []), row]);
  const resolved = new Map<string, Promise<string>>();
  const survivorOf = (patientId: string) => {
    let found = resolved.get(patientId);
    if (found === undefined) resolved.set(patientId, (found = resolvePatientId(db, patientId)));
    return found;
  };
  for (const row of rows) {
    const group = byUid.get(row.uid) ?? [];
    if (!group.some((other) => other.patientId !== row.patientId)) continue;
    const own = await survivorOf(row.patientId);
    for (const other of group) if ((await survivorOf(other.patientId)) !== own) flagged.add(row.id);
  }
  return flagged;
}

/** Newest study date first; undated studies after dated ones, by when they were received. */
export function byStudyDateDescending(a: StudySummary, b: StudySummary): number {
  const ka = `${a.study.date === '' ? '0000-00-00' : a.study.date}T${a.study.time}|${a.study.receivedAt}`;
  const kb = `${b.study.date === '' ? '0000-00-00' : b.study.date}T${b.study.time}|${b.study.receivedAt}`;
  return ka < kb ? 1 : ka > kb ? -1 : a.studyId < b.studyId ? -1 : 1;
}

async function summaries(db: VaultDb, viewKey: CryptoKey, studyRows: readonly StudyRowStored[], every = false): Promise<StudySummary[]> {
  if (studyRows.length === 0) return [];
  const ids = studyRows.map((row) => row.id);
  const [seriesRows, instanceRows, shared] = await Promise.all([db.series.where('studyId').anyOf(ids).toArray(), db.instances.where('studyId').anyOf(ids).toArray(), studiesSharingUid(db, studyRows, every)]);
  const [studies, series] = await Promise.all([
    decryptMany<StudyPayload>(
      viewKey,
      studyRows.map((row) => ({ table: 'studies', id: row.id, stored: row.enc })),
    ),
    decryptMany<SeriesPayload>(
      viewKey,
      seriesRows.map((row) => ({ table: 'series', id: row.id, stored: row.enc })),
    ),
  ]);
  const instancesPerSeries = new Map<string, number>();
  const instancesPerStudy = new Map<string, number>();
  const withCopiesPerStudy = new Map<string, number>();
  for (const row of instanceRows as InstanceRowStored[]) {
    instancesPerSeries.set(row.seriesId, (instancesPerSeries.get(row.seriesId) ?? 0) + 1);
    instancesPerStudy.set(row.studyId, (instancesPerStudy.get(row.studyId) ?? 0) + 1);
    if ((row.earlier?.length ?? 0) > 0) withCopiesPerStudy.set(row.studyId, (withCopiesPerStudy.get(row.studyId) ?? 0) + 1);
  }
  const recoded = await recodedCopiesByStudy(viewKey, instanceRows as InstanceRowStored[]);
  const seriesOfStudy = new Map<string, (SeriesPayload & { seriesId: string; instances: number })[]>();
  (seriesRows as SeriesRowStored[]).forEach((row, index) => {
    const list = seriesOfStudy.get(row.studyId) ?? [];
    list.push({ ...series[index]!, seriesId: row.id, instances: instancesPerSeries.get(row.id) ?? 0 });
    seriesOfStudy.set(row.studyId, list);
  });
  return Promise.all(
    studyRows.map(async (row, index) => {
      const list = (seriesOfStudy.get(row.id) ?? []).sort((a, b) => (a.number ?? Infinity) - (b.number ?? Infinity) || (a.seriesId < b.seriesId ? -1 : 1));
      return {
        studyId: row.id,
        patientId: await resolvePatientId(db, row.patientId),
        study: studies[index]!,
        modalities: [...new Set(list.map((entry) => entry.modality).filter((modality) => modality !== ''))],
        series: list,
        instances: instancesPerStudy.get(row.id) ?? 0,
        sharedWithOtherPatient: shared.has(row.id),
        instancesWithOtherCopies: withCopiesPerStudy.get(row.id) ?? 0,
        ...(recoded.has(row.id) && { recodedCopies: recoded.get(row.id)! }),
      };
    }),
  );
}

/** Every study in the vault, newest first. */
export async function allStudies(db: VaultDb, viewKey: CryptoKey): Promise<StudySummary[]> {
  return (await summaries(db, viewKey, await db.studies.toArray(), true)).sort(byStudyDateDescending);
}

/** The studies with these ids (a search's hits), newest first. */
export async function studiesWithIds(db: VaultDb, viewKey: CryptoKey, studyIds: readonly string[]): Promise<StudySummary[]> {
  const rows = (await db.studies.bulkGet([...studyIds])).filter((row): row is StudyRowStored => row !== undefined);
  return (await summaries(db, viewKey, rows)).sort(byStudyDateDescending);
}

/** A patient's studies (with those of the patients merged into it), newest first. */
/**
 * The studies of many patients at once (a research query's cohort), each under the patient asked
 * for, with those of patients merged into it: a few reads for the whole list instead of several
 * per patient.
 */
export async function studiesOfPatients(db: VaultDb, viewKey: CryptoKey, patientIds: readonly string[]): Promise<Map<string, StudySummary[]>> {
  const owner = new Map<string, string>(patientIds.map((id) => [id, id]));
  let frontier = [...owner.keys()];
  while (frontier.length > 0) {
    const rows = await db.merges.where('survivor').anyOf(frontier).toArray();
    frontier = [];
    for (const row of rows) {
      if (owner.has(row.merged)) continue;
      owner.set(row.merged, owner.get(row.survivor)!);
      frontier.push(row.merged);
    }
  }
  const byPatient = new Map<string, StudySummary[]>();
  const studyRows = await db.studies.where('patientId').anyOf([...owner.keys()]).toArray();
  const found = await summaries(db, viewKey, studyRows);
  studyRows.forEach((row, index) => {
    const patientId = owner.get(row.patientId)!;
    const list = byPatient.get(patientId) ?? [];
    list.push(found[index]!);
    byPatient.set(patientId, list);
  });
  return byPatient;
}

export async function studiesOfPatient(db: VaultDb, viewKey: CryptoKey, patientId: string): Promise<StudySummary[]> {
  const survivor = await resolvePatientId(db, patientId);
  const ids = [survivor, ...(await mergedInto(db, survivor))];
  return (await summaries(db, viewKey, await db.studies.where('patientId').anyOf(ids).toArray())).sort(byStudyDateDescending);
}

/** The patients given with every patient merged into them (transitively). */
async function withMerged(db: VaultDb, patientIds: Iterable<string>): Promise<string[]> {
  const all = new Set(patientIds);
  let frontier = [...all];
  while (frontier.length > 0) {
    const rows = await db.merges.where('survivor').anyOf(frontier).toArray();
    frontier = rows.map((row) => row.merged).filter((merged) => !all.has(merged));
    for (const merged of frontier) all.add(merged);
  }
  return [...all];
}

/**
 * Study search over the blind index (issue 12): the query is cut into words as the indexed text
 * was (keyword-search.ts); a study matches when every word matches either the study's own tokens
 * (description, accession number, date, its series' modalities: imaging-rows.ts studyText) or its
 * patient's (name, identifiers: the patient postings), the last word also as a name prefix while
 * it is typed. An empty query lists every study. Unordered ids.
 *
 * A year, month or range of study dates (study-date-terms.ts, user test H6 #2) is no token: it is
 * checked on the decrypted dates of the studies the other words found (of every study when there
 * are none, as an empty query decrypts every study too). A year or month also matches as a word.
 */
export async function searchStudyIds(db: VaultDb, keys: { readonly indexKey: CryptoKey; readonly viewKey: CryptoKey }, query: string): Promise<string[]> {
  const { terms, rest } = studyDateTerms(query);
  if (terms.length === 0) return (await indexedStudyIds(db, keys.indexKey, query)) ?? ((await db.studies.toCollection().primaryKeys()) as string[]);
  const narrowed = await indexedStudyIds(db, keys.indexKey, rest);
  const rows = narrowed === null ? await db.studies.toArray() : (await db.studies.bulkGet(narrowed)).filter((row): row is StudyRowStored => row !== undefined);
  if (rows.length === 0) return [];
  const studies = await decryptMany<StudyPayload>(
    keys.viewKey,
    rows.map((row) => ({ table: 'studies', id: row.id, stored: row.enc })),
  );
  const found = new Set(rows.map((row) => row.id));
  for (const term of terms) {
    // A year or month typed as a word also finds what holds that word (an accession number's part), as before.
    const asWord = term.alsoWord ? new Set(await indexedStudyIds(db, keys.indexKey, `${term.text} `)) : new Set<string>();
    rows.forEach((row, index) => {
      if (!dateInTerm(studies[index]!.date, term) && !asWord.has(row.id)) found.delete(row.id);
    });
  }
  return [...found];
}

/** The studies every word of the query matches in the blind index; null when it has no word (every study). */
async function indexedStudyIds(db: VaultDb, indexKey: CryptoKey, query: string): Promise<string[] | null> {
  if (query.trim() === '') return null;
  const { groups } = await queryTokens(indexKey, query);
  if (groups.length === 0) return [];
  let matching: Set<string> | null = null;
  for (const group of groups) {
    const patients = new Set<string>();
    for (const token of group.anyOf) for (const chunk of await postingsOf(db, token).toArray()) for (const id of chunk.ids) patients.add(id);
    const [byStudy, byPatient] = await Promise.all([
      db.studies.where('tokens').anyOf([...group.anyOf]).primaryKeys() as Promise<string[]>,
      patients.size === 0 ? Promise.resolve([] as string[]) : withMerged(db, patients).then((ids) => db.studies.where('patientId').anyOf(ids).primaryKeys() as Promise<string[]>),
    ]);
    const current: Set<string> | null = matching;
    const next: Set<string> = new Set([...byStudy, ...byPatient].filter((id) => current === null || current.has(id)));
    if (next.size === 0) return [];
    matching = next;
  }
  return [...(matching ?? [])];
}
