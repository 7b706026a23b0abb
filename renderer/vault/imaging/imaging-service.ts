import type { HdmsApi } from '../../../shared/ipc/contract';
import { MIND_KINDS } from '../../../shared/journal/journal-kinds';
import type { ExportMeta } from '../../../shared/journal/mind-meta';
import { journalStudyAccess } from '../records/access-events';
import { appendSessionEvent, type SessionState } from '../session/vault-session';
import { asVaultError } from '../vault-errors';
import { MAX_WHOLE_OBJECT_BYTES, readSealedBytes, readSealedHead, readSealedRange } from '../records/sealed-objects';
import type { Opener } from '../vault-crypto';
import { VaultError, type InstanceSource, type StudyListEntry, type VaultService } from '../vault-service';
import { StudyNotFoundError, viewerStudy } from './study-instances';
import { foldText, normalizeDateWords, queryDateWord } from '../../../shared/crypto/blind-index';
import { allStudies, searchStudyIds, studiesOfPatient, studiesWithIds } from '../views/imaging-reads';
import { studyDateTerms } from '../views/study-date-terms';
import { patientHits } from '../views/view-reads';

/**
 * An instance whose sealed size is over this (more than the first 4 MiB slice of the body, which
 * readSealedHead has in hand) is handed out to be read in ranges: reading and decrypting a 63 MB
 * multi-frame whole before its first frame showed took 9–11 s (T1 F1), against 0.5–1.7 s in ranges.
 * Smaller ones are read whole (one slice: nothing more to read; their frames are then in memory).
 */
export const READ_IN_RANGES_OVER_BYTES = 4 * 1024 * 1024;

/**
 * Reads a sealed instance and unwraps its data key (the intake key stays here); the viewer's
 * decode worker decrypts the envelope, off the page's thread.
 */
async function readInstance(api: Pick<HdmsApi, 'objects'>, opener: Opener, objectId: string): Promise<InstanceSource> {
  const started = performance.now();
  const first = await readSealedHead(api, objectId);
  if (first.size > READ_IN_RANGES_OVER_BYTES) {
    // A long cine, a tomosynthesis volume: the decode worker reads the ranges it needs. One within
    // MAX_WHOLE_OBJECT_BYTES that cannot be read in parts (deflated) it may still read whole.
    const readWholeUpTo = first.size <= MAX_WHOLE_OBJECT_BYTES ? MAX_WHOLE_OBJECT_BYTES : 0;
    return { kind: 'ranged', head: first.head, sealedSize: first.size, dataKey: await opener.unwrapDataKey(first.head), readSealed: (offset, length) => readSealedRange(api, objectId, offset, length), readWholeUpTo };
  }
  const envelope = await readSealedBytes(api, objectId, 'This instance is too large to open in the viewer.', first);
  const read = performance.now();
  const dataKey = await opener.unwrapDataKey(envelope);
  // Durations only, for the viewer benchmark's breakdown.
  performance.measure('hdms-viewer:object-read', { start: started, end: read });
  performance.measure('hdms-viewer:object-key', { start: read });
  return { envelope, dataKey };
}

/** The imaging part of VaultService (issue 12): the studies DICOM brought, listed from the views. */
export type ImagingService = Pick<VaultService, 'studies' | 'patientStudies' | 'openStudy' | 'instanceSource' | 'documentSaved'>;

export function createImagingService(api: HdmsApi, state: SessionState): ImagingService {
  /** Per session, the instances of the studies it opened (journaled): only those are handed to the viewer. */
  const opened = new WeakMap<object, Map<string, string>>();
  /** Per session, the first image of the study opened last, read while its access was journaled (taken once). */
  const earlyBytes = new WeakMap<object, { instanceId: string; bytes: Promise<InstanceSource> }>();
  const openedIn = (session: object): Map<string, string> => {
    let map = opened.get(session);
    if (map === undefined) opened.set(session, (map = new Map()));
    return map;
  };
  /** Per session, the patient (view id) of each instance it opened: whose data a saved document is. */
  const patients = new WeakMap<object, Map<string, string>>();
  const patientsIn = (session: object): Map<string, string> => {
    let map = patients.get(session);
    if (map === undefined) patients.set(session, (map = new Map()));
    return map;
  };
  return {
    async studies(query = '') {
      const s = state.require();
      try {
        // A search decrypts only the studies the blind index names (imaging-reads.ts searchStudyIds).
        const studies = query.trim() === '' ? await allStudies(s.db, s.keys.viewKey) : await studiesWithIds(s.db, s.keys.viewKey, await searchStudyIds(s.db, s.keys, query));
        const hits = await patientHits(s.db, s.keys.viewKey, [...new Set(studies.map((study) => study.patientId))]);
        const byId = new Map(hits.map((hit) => [hit.patientId, hit]));
        return studies.map((study) => ({ ...study, patient: byId.get(study.patientId) ?? null })).filter((entry) => compoundsMatch(entry, query));
      } catch (error) {
        throw asVaultError(error);
      }
    },

    async patientStudies(patientId) {
      const s = state.require();
      try {
        return await studiesOfPatient(s.db, s.keys.viewKey, patientId);
      } catch (error) {
        throw asVaultError(error);
      }
    },

    async openStudy(studyId) {
      const s = state.require();
      try {
        const study = await viewerStudy(s.db, s.keys.viewKey, studyId);
        // The first image is read (and its key unwrapped) while the access is journaled; nothing is
        // handed out before the access is durable (this call answers after it).
        const first = study.series[0]?.instances[0];
        const early = first === undefined ? null : readInstance(api, s.opener, first.objectId);
        early?.catch(() => undefined);
        // The opening is an access event (journal, then the ledger's ACCESS entry) before anything shows.
        await journalStudyAccess(api, s, study.patientId, studyId);
        const instances = openedIn(s);
        const patientOf = patientsIn(s);
        for (const series of study.series)
          for (const instance of series.instances) {
            instances.set(instance.instanceId, instance.objectId);
            patientOf.set(instance.instanceId, study.patientId);
            // Earlier copies (a conflict) are the same instance of the same study: opened with it.
            for (const copy of instance.earlierCopies) {
              instances.set(copy.instanceId, copy.objectId);
              patientOf.set(copy.instanceId, study.patientId);
            }
          }
        if (first !== undefined && early !== null) earlyBytes.set(s, { instanceId: first.instanceId, bytes: early });
        return study;
      } catch (error) {
        if (error instanceof StudyNotFoundError) throw new VaultError('E_NODE', 'This study is not in the vault (it may have been erased).');
        throw asVaultError(error);
      }
    },

    async documentSaved(instanceId, bytes, file) {
      const s = state.require();
      const patientId = patientsIn(s).get(instanceId);
      if (patientId === undefined) throw new VaultError('E_NODE', 'Open the study before saving its documents.');
      try {
        // The document leaves the vault as a plaintext file: an EXPORT of the patient's data, durable before the file is written.
        const meta: ExportMeta = { v: 1, bytes, file: file.slice(0, 200), patientId };
        await appendSessionEvent(api, s, MIND_KINDS.documentExported, meta);
      } catch (error) {
        throw asVaultError(error);
      }
    },

    async instanceSource(instanceId) {
      const s = state.require();
      const objectId = openedIn(s).get(instanceId);
      if (objectId === undefined) throw new VaultError('E_NODE', 'Open the study before its images.');
      try {
        const early = earlyBytes.get(s);
        if (early?.instanceId === instanceId) {
          earlyBytes.delete(s);
          return await early.bytes;
        }
        return await readInstance(api, s.opener, objectId);
      } catch (error) {
        throw asVaultError(error);
      }
    },
  };
}

/**
 * The blind index looks a compound of the query up by its parts ("ACC-E2E-2": acc, e2e; a part
 * shorter than 2 characters is not a word), so it also finds ACC-E2E-1. Once decrypted, a hit is
 * kept only when every compound of the query (a word with - . / _ or ' inside) is in its patient's
 * name or identifier, accession number, description or date, letter for letter (case and
 * diacritics folded): the false hits are dropped, as the blind index expects of its callers.
 */
export function compoundsMatch(entry: StudyListEntry, query: string): boolean {
  // A year, month or range of dates was checked on the decrypted date by searchStudyIds.
  const compounds = foldText(studyDateTerms(query).rest)
    .split(/\s+/u)
    .filter((word) => /\S['’._/-]\S/u.test(word));
  if (compounds.length === 0) return true;
  const text = foldText([entry.patient?.name ?? '', entry.patient?.identifier ?? '', entry.study.accessionNumber, entry.study.description, entry.study.date].join(' '));
  // A date is compared as the date it names, however it was typed ("1.3.2025", "2025/03/01").
  const dates = normalizeDateWords(entry.study.date);
  return compounds.every((compound) => {
    const date = queryDateWord(compound);
    return date !== null ? dates.includes(date) || text.includes(compound) : text.includes(compound);
  });
}
