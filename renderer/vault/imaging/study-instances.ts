import { decryptMany } from '../vault-crypto';
import type { InstancePayload, InstanceRowStored, SeriesPayload, SeriesRowStored, StudyPayload } from '../views/imaging-rows';
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
  const [[study], series, instances] = await Promise.all([
    decryptMany<StudyPayload>(viewKey, [{ table: 'studies', id: row.id, stored: row.enc }]),
    decryptMany<SeriesPayload>(
      viewKey,
      seriesRows.map((r) => ({ table: 'series', id: r.id, stored: r.enc })),
    ),
    decryptMany<InstancePayload>(
      viewKey,
      instanceRows.map((r) => ({ table: 'instances', id: r.id, stored: r.enc })),
    ),
  ]);
  const bySeries = new Map<string, ViewerInstance[]>();
  instanceRows.forEach((r, i) => {
    const list = bySeries.get(r.seriesId) ?? [];
    const earlier = r.earlier ?? [];
    list.push({
      ...instances[i]!,
      instanceId: r.id,
      objectId: r.objectId,
      copy: earlier.length + 1,
      earlierCopies: earlier.map((copy, index) => ({ copy: index + 1, instanceId: copyInstanceId(r.id, index + 1), objectId: copy.objectId })),
    });
    bySeries.set(r.seriesId, list);
  });
  const list: ViewerSeries[] = seriesRows.map((r, i) => ({
    ...series[i]!,
    seriesId: r.id,
    instances: (bySeries.get(r.id) ?? []).sort(byNumber<ViewerInstance>((instance) => instance.sopInstanceUid)),
  }));
  list.sort(byNumber<ViewerSeries>((entry) => entry.seriesInstanceUid));
  return { studyId, patientId: await resolvePatientId(db, row.patientId), study: study!, series: list.filter((entry) => entry.instances.length > 0), sharedWithOtherPatient: shared.has(studyId), instancesWithOtherCopies: instanceRows.filter((r) => (r.earlier?.length ?? 0) > 0).length };
}
