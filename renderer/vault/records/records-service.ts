import type { HdmsApi } from '../../../shared/ipc/contract';
import type { ViewIndexing } from '../indexing/view-indexing';
import { appendSessionEvent, type SessionState, type VaultSession } from '../session/vault-session';
import { asVaultError } from '../vault-errors';
import { VaultError, type RawMessage, type VaultService } from '../vault-service';
import { MIND_KINDS } from '../../../shared/journal/journal-kinds';
import type { ErasureMeta } from '../../../shared/journal/mind-meta';
import { deletePatientRows, patientTables } from '../views/projectors/patient-projector';
import { deleteQuarantinedRows } from '../views/projectors/quarantine-projector';
import { quarantinedSourcesOf, type QuarantinedSource } from './erasure-lineage';
import { quarantinedNamingPatient } from './erasure-quarantine';
import { patientSubject } from '../../ledger/ledger-details';
import { searchPatientMatches } from '../views/keyword-search';
import { recordsOfPatient } from '../views/vault-db';
import { mergedInto, messageOfRecord, NotInViewsError, patientDetail, patientIdentifiers, patientHits, recordRow, resolvePatientId, resolveSearchIds } from '../views/view-reads';
import { journalAccess } from './access-events';
import { openSealedObject } from './sealed-objects';
import { rawCharsetOf } from '../messages/message-service';
import { messageBySeq } from '../views/message-reads';

/** The records part of VaultService: search, patient pages and records (each opening journaled), raw messages, erasure. */
export type RecordsService = Pick<VaultService, 'search' | 'patientHits' | 'openPatient' | 'openRecord' | 'patientAllergies' | 'patientResults' | 'openRecordRaw' | 'erasurePreview' | 'erasePatient'>;

export function createRecordsService(api: HdmsApi, state: SessionState, indexing: ViewIndexing): RecordsService {
  /** `read`, and once more after the views caught up with the journal when they did not hold what it asked for. */
  async function caughtUp<T>(s: VaultSession, read: () => Promise<T>): Promise<T> {
    try {
      return await read();
    } catch (error) {
      if (!(error instanceof NotInViewsError)) throw error;
      await indexing.runSync(s);
      return read();
    }
  }

  /**
   * What erasing `member` takes: its messages' seqs, and the quarantined inputs that hold its data —
   * those its messages were reprocessed from (erasure-lineage.ts) and those never filed whose
   * content names one of its identifiers with the assigning authority (erasure-quarantine.ts).
   * `taken`: quarantine seqs another member's erasure takes already.
   */
  async function erasureOf(s: VaultSession, member: string, taken: ReadonlySet<number>): Promise<{ seqs: number[]; sources: QuarantinedSource[] }> {
    const seqs = (await recordsOfPatient(s.db, member).toArray()).map((message) => message.seq);
    const lineage = (await quarantinedSourcesOf(s.db, s.keys.viewKey, seqs)).filter((source) => !taken.has(source.seq));
    const skip = new Set([...taken, ...lineage.map((source) => source.seq)]);
    const issuerAuthorities = await api.dicom.getSettings({}).then(
      (answer) => answer.settings.issuerAuthorities,
      () => ({}),
    );
    const named = await quarantinedNamingPatient(api, s.opener, s.db, await patientIdentifiers(s.db, s.keys.viewKey, member), { skip, issuerAuthorities });
    return { seqs, sources: [...lineage, ...named] };
  }

  return {
    async search(query) {
      const s = state.require();
      const started = performance.now();
      try {
        const found = await searchPatientMatches(s.db, s.keys.indexKey, query);
        // Merged patients (HL7 A40/A18) answer as their survivor; the whole list leaves them out.
        const patientIds = await resolveSearchIds(s.db, found.ids, query.trim() === '');
        const matchedStudies: Record<string, string[]> = {};
        for (const [patientId, studyIds] of found.matchedStudies) {
          const survivor = await resolvePatientId(s.db, patientId);
          matchedStudies[survivor] = [...(matchedStudies[survivor] ?? []), ...studyIds];
        }
        return { patientIds, matchedStudies, tookMs: performance.now() - started };
      } catch (error) {
        throw asVaultError(error);
      }
    },

    async patientHits(patientIds) {
      const s = state.require();
      try {
        return await patientHits(s.db, s.keys.viewKey, patientIds);
      } catch (error) {
        throw asVaultError(error);
      }
    },

    async openPatient(patientId) {
      const s = state.require();
      try {
        // The access is durable in the journal before the page shows; decryption overlaps the append.
        // A merged patient opens as its survivor: the access is the survivor's.
        const shown = await resolvePatientId(s.db, patientId);
        const [detail] = await Promise.all([caughtUp(s, () => patientDetail(s.db, s.keys.viewKey, patientId, s.opened)), journalAccess(api, s, shown, null)]);
        return detail;
      } catch (error) {
        throw asVaultError(error);
      }
    },

    async openRecord(recordId) {
      const s = state.require();
      try {
        const row = await caughtUp(s, () => recordRow(s.db, s.keys.viewKey, recordId));
        await journalAccess(api, s, row.patientId, recordId);
        return row;
      } catch (error) {
        throw asVaultError(error);
      }
    },

    async patientAllergies(patientId) {
      const s = state.require();
      try {
        // The chart's records as the patient page reads them (the session's opened rows are not decrypted again).
        const detail = await caughtUp(s, () => patientDetail(s.db, s.keys.viewKey, patientId, s.opened));
        return detail.records.filter((row) => row.record.type === 'allergy');
      } catch (error) {
        throw asVaultError(error);
      }
    },

    async patientResults(patientId) {
      const s = state.require();
      try {
        const detail = await caughtUp(s, () => patientDetail(s.db, s.keys.viewKey, patientId, s.opened));
        return detail.records.filter((row) => row.record.type === 'observation');
      } catch (error) {
        throw asVaultError(error);
      }
    },

    async openRecordRaw(recordId) {
      const s = state.require();
      try {
        const { row } = await caughtUp(s, () => messageOfRecord(s.db, s.keys.viewKey, recordId));
        const objectId = row.objectIds[0];
        if (objectId === undefined) throw new VaultError('E_NODE', 'This record has no raw message in the vault.');
        const [bytes, , message] = await Promise.all([
          openSealedObject(api, s.opener, objectId),
          // The whole message, not the record alone: an access to that raw message (access-events.ts).
          journalAccess(api, s, await resolvePatientId(s.db, row.patientId), recordId, row.seq),
          // Its row in the message browser says which charset a reprocess read it with (QA s33 D4).
          messageBySeq(s.db, s.keys.viewKey, row.seq),
        ]);
        return { seq: row.seq, objectId, bytes, ...(message === null ? {} : rawCharsetOf(message)) } satisfies RawMessage;
      } catch (error) {
        throw asVaultError(error);
      }
    },

    async erasurePreview(patientId) {
      const s = state.requireAdmin();
      try {
        await indexing.runSync(s);
        const members = [patientId, ...(await mergedInto(s.db, patientId))];
        const taken = new Set<number>();
        for (const member of members) for (const source of (await erasureOf(s, member, taken)).sources) taken.add(source.seq);
        const { reports } = await api.vault.erasureReports({ subjects: await Promise.all(members.map((member) => patientSubject(s.keys.ledgerKey, member))) });
        return { quarantined: taken.size, reports };
      } catch (error) {
        throw asVaultError(error);
      }
    },

    async erasePatient(patientId) {
      const s = state.requireAdmin();
      try {
        // Index everything first, so every message of the patient is among its message rows.
        await indexing.runSync(s);
        // The patients merged into this one are the same person: their rows go too, one ERASURE each.
        const members = [patientId, ...(await mergedInto(s.db, patientId))];
        const taken = new Set<number>();
        for (const member of members) {
          const [messages, patient] = await Promise.all([recordsOfPatient(s.db, member).toArray(), s.db.patients.get(member)]);
          if (patient === undefined && messages.length === 0) {
            if (member === patientId) throw new VaultError('E_NODE', 'No such patient in this vault.');
            continue;
          }
          const { seqs, sources } = await erasureOf(s, member, taken);
          for (const source of sources) taken.add(source.seq);
          const quarantined = sources.map((source) => source.seq);
          const objects = [...new Set([...messages.flatMap((message) => message.objectIds), ...sources.flatMap((source) => (source.objectId === null ? [] : [source.objectId]))])];
          const records = messages.reduce((sum, message) => sum + message.count, 0);
          // The access reports this app wrote that name the patient (ledger pseudonym; the body reads no names).
          const reportSubjects = [await patientSubject(s.keys.ledgerKey, member)];
          const { reports } = await api.vault.erasureReports({ subjects: reportSubjects });
          // The erasure is journaled first (authenticated, under this operator's pseudonym); the
          // body erases only as part of that record, once (design: the body checks who asks).
          const meta: ErasureMeta = { v: 1, patientId: member, messages: seqs.length, records, objects: objects.length, ...(quarantined.length > 0 ? { quarantined } : {}), reports };
          const erasureSeq = await appendSessionEvent(api, s, MIND_KINDS.erasure, meta);
          await api.vault.erase({ erasureSeq, seqs: [...seqs, ...quarantined], objects, reportSubjects });
          await indexing.enqueue(s, () =>
            s.db.transaction('rw', [...patientTables(s.db), s.db.quarantine], async () => {
              await deletePatientRows(s.db, member);
              await deleteQuarantinedRows(s.db, quarantined);
            }),
          );
        }
        // Nothing of an erased patient stays in this session's memory.
        s.opened.clear();
        // The body copies the erasure register beside the backups before it answers; when it could
        // not (the destination unavailable), its backup status says so, and the administrator is told.
        const status = await api.backup.status({}).catch(() => null);
        return { erasureRecordProblem: status?.erasureRecord?.reason ?? null };
      } catch (error) {
        throw asVaultError(error);
      }
    },
  };
}
