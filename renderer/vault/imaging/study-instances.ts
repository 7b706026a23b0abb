import { decryptMany } from '../vault-crypto';
import { recodedCopies, type InstancePayload, type InstanceRowStored, type RecodedCopies, type SeriesPayload, type SeriesRowStored, type StudyPayload } from '../views/imaging-rows';
import { studiesSharingUid } from '../views/imaging-reads';
import type { VaultDb } from '../views/vault-db';
import { resolvePatientId } from '../views/view-reads';

/** One instance as the viewer lists it: where its sealed bytes are and what the views know of it. */
export interface ViewerInstance extends InstancePayload {
  readonly instanceId: string;
  readonly objectId: string;
  /** Which copy this is (1 = the first received): the latest of those stored under its SOP Instance UID. */
  readonly copy: number;
  /**
   * The copies received before it with other bytes (a conflict, QA explore-12 D4), oldest first,
   * each with an id of its own the viewer opens it by (instanceSource). Empty: one copy.
   */
  readonly earlierCopies: readonly ViewerCopy[];
}

export interface ViewerCopy {
  readonly copy: number;
  readonly instanceId: string;
  readonly objectId: string;
  /** Its transfer syntax, as its index fields said (absent: not known, views before version 28). */
  readonly transferSyntaxUid?: string;
}

/** The viewer's id of an earlier copy of an instance (copy numbers from 1). */
export function copyInstanceId(instanceId: string, copy: number): string {
  return `${instanceId}.copy${copy}`;
}

export interface ViewerSeries extends SeriesPayload {
  readonly seriesId: string;
  /** In Instance Number order (then SOP Instance UID), as a stack is scrolled. */
  readonly instances: readonly ViewerInstance[];
}

/** A study opened in the viewer: its fields, its patient, its series in Series Number order. */
export interface ViewerStudy {
  readonly studyId: string;
  readonly patientId: string;
  readonly study: StudyPayload;
  readonly series: readonly ViewerSeries[];
  /** Instances with this Study Instance UID were also received for another patient (imaging-reads.ts studiesSharingUid). */
  readonly sharedWithOtherPatient: boolean;
  /** Instances of the study with earlier copies of other bytes (imaging-reads.ts StudySummary). */
  readonly instancesWithOtherCopies: number;
  /** Of those, the ones whose copies differ in their transfer syntax (imaging-reads.ts StudySummary); absent: none. */
  readonly recodedCopies?: RecodedCopies;
}

export class StudyNotFoundError extends Error {
  override readonly name = 'StudyNotFoundError';
}

const byNumber = <T extends { readonly number: number | null }>(key: (value: T) => string) => (a: T, b: T) => (a.number ?? Infinity) - (b.number ?? Infinity) || (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0);

/** Reads a study with every series and instance from the views (decrypted), or throws StudyNotFoundError. */
export async function viewerStudy(db: VaultDb, viewKey: CryptoKey, studyId: string): Promise<ViewerStudy> {
  const row = await db.studies.get(studyId);
  if (row === undefined) throw new StudyNotFoundError('No such study in the views.');
  const [seriesRows, instanceRows, shared] = (await Promise.all([db.series.where('studyId').equals(studyId).toArray(), db.instances.where('studyId').equals(studyId).toArray(), studiesSharingUid(db, [row])])) as [SeriesRowStored[], InstanceRowStored[], Set<string>];
  // The earlier copies' own payloads (their transfer syntax), for the instances that have some.
  const copyPayloads = instanceRows.flatMap((r) => (r.earlier ?? []).flatMap((copy) => (copy.enc === undefined ? [] : [{ table: 'instances' as const, id: r.id, stored: copy.enc }])));
  const [[study], series, instances, copies] = await Promise.all([
    decryptMany<StudyPayload>(viewKey, [{ table: 'studies', id: row.id, stored: row.enc }]),
    decryptMany<SeriesPayload>(
      viewKey,
      seriesRows.map((r) => ({ table: 'series', id: r.id, stored: r.enc })),
    ),
    decryptMany<InstancePayload>(
      viewKey,
      instanceRows.map((r) => ({ table: 'instances', id: r.id, stored: r.enc })),
    ),
    decryptMany<InstancePayload>(viewKey, copyPayloads),
  ]);
  let nextCopy = 0;
  const recodable: { latest: string; earlier: (string | undefined)[] }[] = [];
  const bySeries = new Map<string, ViewerInstance[]>();
  instanceRows.forEach((r, i) => {
    const list = bySeries.get(r.seriesId) ?? [];
    const earlier = r.earlier ?? [];
    const syntaxes = earlier.map((copy) => (copy.enc === undefined ? undefined : copies[nextCopy++]!.transferSyntaxUid));
    if (earlier.length > 0) recodable.push({ latest: instances[i]!.transferSyntaxUid, earlier: syntaxes });
    list.push({
      ...instances[i]!,
      instanceId: r.id,
      objectId: r.objectId,
      copy: earlier.length + 1,
      earlierCopies: earlier.map((copy, index) => ({ copy: index + 1, instanceId: copyInstanceId(r.id, index + 1), objectId: copy.objectId, ...(syntaxes[index] !== undefined && { transferSyntaxUid: syntaxes[index] }) })),
    });
    bySeries.set(r.seriesId, list);
  });
  const list: ViewerSeries[] = seriesRows.map((r, i) => ({
    ...series[i]!,
    seriesId: r.id,
    instances: (bySeries.get(r.id) ?? []).sort(byNumber<ViewerInstance>((instance) => instance.sopInstanceUid)),
  }));
  list.sort(byNumber<ViewerSeries>((entry) => entry.seriesInstanceUid));
  const recoded = recodedCopies(recodable);
  return { studyId, patientId: await resolvePatientId(db, row.patientId), study: study!, series: list.filter((entry) => entry.instances.length > 0), sharedWithOtherPatient: shared.has(studyId), instancesWithOtherCopies: instanceRows.filter((r) => (r.earlier?.length ?? 0) > 0).length, ...(recoded !== undefined && { recodedCopies: recoded }) };
}
