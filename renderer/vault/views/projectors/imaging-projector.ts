import type { JournalRecord } from '../../../../shared/ipc/journal-contract';
import type { IntakeMeta } from '../../../../shared/journal/intake-meta';
import { MIND_KINDS } from '../../../../shared/journal/journal-kinds';
import { ErasureMetaSchema } from '../../../../shared/journal/mind-meta';
import { encryptMany } from '../../vault-crypto';
import { imagingId, instancePayloadOf, studyUidKey, seriesPayloadOf, studyPayloadOf, studyText, type InstanceRowStored, type SeriesRowStored, type StudyRowStored, withCopies } from '../imaging-rows';
import { filedPatientId } from '../patient-filing';
import type { JournalProjector, ProjectorContext, ProjectorStep } from './journal-projector';
import { intakeMetaOf } from './intake-meta-parse';

/** The DICOM channel's kind of accepted intake. */
const DICOM_KIND = 'intake.dicom';

interface Entry {
  readonly study: StudyRowStored;
  readonly series: SeriesRowStored;
  readonly instance: InstanceRowStored;
}

/**
 * The imaging views (imaging-rows.ts): `intake.dicom` → a study, a series and an instance row
 * under the patient its Patient ID names (the patient projector makes that patient's row from the
 * same record), keyed by that patient and the UIDs from the study down (a series by its study's UID
 * and its own, imaging-rows.ts imagingId); `erasure.patient` → the patient's imaging rows
 * go. Later instances of a patient's study or series replace its row (their copy of the study and
 * series fields is the newest); a later copy of an instance with other bytes is shown and the
 * earlier ones are kept on its row (imaging-rows.ts withCopies).
 */
export const imagingProjector: JournalProjector = {
  name: 'imaging',
  kinds: [DICOM_KIND, MIND_KINDS.erasure],
  tables: (db) => [db.studies, db.series, db.instances],
  startPage(context) {
    const studies = new Map<string, StudyRowStored>();
    const series = new Map<string, SeriesRowStored>();
    const instances = new Map<string, InstanceRowStored>();
    const erased = new Set<string>();

    return {
      async decode(record, meta): Promise<ProjectorStep> {
        if (record.kind === MIND_KINDS.erasure) {
          const parsed = ErasureMetaSchema.safeParse(meta);
          if (!parsed.success) return 'problem';
          const { patientId } = parsed.data;
          return {
            apply: () => {
              erased.add(patientId);
              for (const map of [studies, series, instances]) for (const [id, row] of [...map]) if (row.patientId === patientId) map.delete(id);
            },
          };
        }
        const intake = intakeMetaOf(meta);
        if (intake === null) return 'problem';
        if (intake.normalized.dicom === undefined) return 'skip';
        const entry = await entryOf(context, record, intake);
        return {
          apply: () => {
            // The study's tokens so far in this page stay: a later instance adds its series' modality.
            const before = studies.get(entry.study.id);
            studies.set(entry.study.id, before === undefined ? entry.study : { ...entry.study, tokens: union(before.tokens, entry.study.tokens) });
            series.set(entry.series.id, entry.series);
            // A resend with other bytes (a conflict) keeps the earlier copy beside the new one.
            const known = instances.get(entry.instance.id);
            instances.set(entry.instance.id, known === undefined ? entry.instance : withCopies(known, entry.instance));
          },
        };
      },
      async write(db) {
        for (const patientId of erased) {
          await db.instances.where('patientId').equals(patientId).delete();
          await db.series.where('patientId').equals(patientId).delete();
          await db.studies.where('patientId').equals(patientId).delete();
        }
        if (studies.size > 0) {
          // …and so do those of the study's earlier pages (only tokens; nothing to decrypt).
          const stored = await db.studies.bulkGet([...studies.keys()]);
          await db.studies.bulkPut([...studies.values()].map((row, index) => (stored[index] === undefined ? row : { ...row, tokens: union(stored[index]!.tokens, row.tokens) })));
        }
        if (series.size > 0) await db.series.bulkPut([...series.values()]);
        if (instances.size > 0) {
          // …and so do the copies of earlier pages (plain ids and seqs; nothing to decrypt).
          const stored = (await db.instances.bulkGet([...instances.keys()])) as (InstanceRowStored | undefined)[];
          await db.instances.bulkPut([...instances.values()].map((row, index) => (stored[index] === undefined ? row : withCopies(stored[index]!, row))));
        }
      },
    };
  },
};

async function entryOf(context: ProjectorContext, record: JournalRecord, meta: IntakeMeta): Promise<Entry> {
  const { normalized } = meta;
  const dicom = normalized.dicom!;
  const { ledgerKey, viewKey } = context.keys;
  // Keyed by patient and UID: an instance naming another Patient ID never moves a study filed before.
  const patientId = await filedPatientId(context, record.seq, normalized);
  const [studyId, seriesId, instanceId, uid] = await Promise.all([
    imagingId(ledgerKey, 'study', patientId, [dicom.studyInstanceUid]),
    // A series or an instance belongs to its study: the same Series Instance UID sent again under
    // another Study Instance UID (a split or corrected study) is a series of each (QA s32 D1).
    imagingId(ledgerKey, 'series', patientId, [dicom.studyInstanceUid, dicom.seriesInstanceUid]),
    imagingId(ledgerKey, 'instance', patientId, [dicom.studyInstanceUid, dicom.seriesInstanceUid, dicom.sopInstanceUid]),
    context.tokens.remember('view-study-uid', dicom.studyInstanceUid, () => studyUidKey(ledgerKey, dicom.studyInstanceUid)),
  ]);
  const [words, accessionPrefixes] = await Promise.all([
    context.tokens.tokensOf(studyText(dicom)),
    // A partial accession number finds the study, as a partial MRN finds the patient.
    context.tokens.identifierPrefixTokens(dicom.accessionNumber === undefined || dicom.accessionNumber === '' ? [] : [dicom.accessionNumber]),
  ]);
  const tokens = accessionPrefixes.length === 0 ? words : union(words, accessionPrefixes);
  const [studyEnc, seriesEnc, instanceEnc] = await encryptMany(viewKey, [
    { table: 'studies', id: studyId, value: studyPayloadOf(dicom, meta.receivedAt ?? record.at) },
    { table: 'series', id: seriesId, value: seriesPayloadOf(dicom) },
    { table: 'instances', id: instanceId, value: instancePayloadOf(dicom) },
  ]);
  return {
    study: { id: studyId, patientId, uid, seq: record.seq, tokens, enc: studyEnc! },
    series: { id: seriesId, studyId, patientId, seq: record.seq, enc: seriesEnc! },
    instance: { id: instanceId, seriesId, studyId, patientId, seq: record.seq, objectId: meta.objectId ?? record.objects[0] ?? '', enc: instanceEnc! },
  };
}

function union(a: readonly string[], b: readonly string[]): string[] {
  return [...new Set([...a, ...b])].sort();
}
