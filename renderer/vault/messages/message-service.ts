import type { HdmsApi } from '../../../shared/ipc/contract';
import { QUARANTINE_KINDS } from '../../../shared/journal/journal-kinds';
import type { ViewIndexing } from '../indexing/view-indexing';
import { journalAccess, journalMessagePageAccess, journalQuarantineAccess } from '../records/access-events';
import { quarantinedPatientId } from '../quarantine/quarantined-patient';
import { openSealedObject } from '../records/sealed-objects';
import type { SessionState, VaultSession } from '../session/vault-session';
import { asVaultError } from '../vault-errors';
import { VaultError, type RawMessage, type ResolutionWithActors, type VaultService } from '../vault-service';
import { normalizeMessageType, type MessageLogPayload } from '../views/message-log';
import { messageBySeq, messageRecords, quarantineResolution, searchMessages, type QuarantineResolution } from '../views/message-reads';
import { readMessageFacets } from '../views/projectors/message-projector';
import { patientHits, resolvePatientId } from '../views/view-reads';
import { actorOf, reprocessActs } from './reprocess-acts';

/**
 * The charset to read a message's raw bytes with: the one a reprocess chose (the body read them so:
 * MSH-18 was empty or wrong, QA s33 D4), else what the body read of MSH-18, else none (the viewer
 * reads MSH-18 itself).
 */
export function rawCharsetOf(message: Pick<MessageLogPayload, 'charset' | 'reprocessOf'>): Pick<RawMessage, 'charset' | 'charsetChosenAtReprocess'> {
  const chosen = message.reprocessOf?.charset;
  if (chosen !== undefined) return { charset: chosen, charsetChosenAtReprocess: true };
  return message.charset === undefined ? {} : { charset: message.charset };
}

/** A reprocessed quarantine record's copies, each with who ran the reprocess that filed it (the acts up to the one that resolved it). */
async function withReprocessActors(api: HdmsApi, s: VaultSession, seq: number, resolution: QuarantineResolution | null): Promise<ResolutionWithActors | null> {
  if (resolution === null || resolution.copies.length === 0) return resolution;
  const upTo = (await s.db.quarantine.get(seq))?.resolvedSeq ?? 0;
  const acts = await reprocessActs(api, s.opener, s.keys.ledgerKey, seq, Math.min(...resolution.copies.map((copy) => copy.seq)), upTo);
  return {
    ...resolution,
    copies: resolution.copies.map((copy) => {
      const by = actorOf(acts, copy.seq);
      return by === null ? copy : { ...copy, by };
    }),
  };
}

/** Who ran the reprocess of quarantine record `quarantineSeq` that filed the copy journaled as `seq`: the first act on it after the copy. */
async function copyActor(api: HdmsApi, s: VaultSession, seq: number, quarantineSeq: number): Promise<string | null> {
  const resolvedSeq = (await s.db.quarantine.get(quarantineSeq))?.resolvedSeq;
  const acts = await reprocessActs(api, s.opener, s.keys.ledgerKey, quarantineSeq, seq, resolvedSeq !== undefined && resolvedSeq > seq ? resolvedSeq : Number.MAX_SAFE_INTEGER);
  return actorOf(acts, seq);
}

/** The message browser part of VaultService (issue 11): search, facets, one message, its raw bytes. */
export type MessageService = Pick<VaultService, 'messages' | 'messageFacets' | 'openMessage' | 'openMessageRaw'>;

export function createMessageService(api: HdmsApi, state: SessionState, indexing: ViewIndexing): MessageService {
  return {
    async messages(query) {
      const s = state.require();
      try {
        // A type without its trigger (`ORU`) means every ORU type seen (the facets hold them).
        let types = query.types;
        if (types !== undefined && types.some((type) => !normalizeMessageType(type, true).includes('^'))) {
          const { types: seen } = await readMessageFacets(s.db, s.keys.viewKey);
          types = types.flatMap((type) => {
            const code = normalizeMessageType(type, true);
            return code.includes('^') ? [code] : [code, ...seen.filter((known) => known.startsWith(`${code}^`))];
          });
        }
        return await searchMessages(s.db, s.keys, { ...query, ...(types === undefined ? {} : { types }) });
      } catch (error) {
        throw asVaultError(error);
      }
    },

    async messageFacets() {
      const s = state.require();
      try {
        return await readMessageFacets(s.db, s.keys.viewKey);
      } catch (error) {
        throw asVaultError(error);
      }
    },

    async openMessage(seq) {
      const s = state.require();
      try {
        let message = await messageBySeq(s.db, s.keys.viewKey, seq);
        if (message === null) {
          // A message that arrived since the views last caught up.
          await indexing.runSync(s);
          message = await messageBySeq(s.db, s.keys.viewKey, seq);
        }
        if (message === null) throw new VaultError('E_NODE', `No message ${seq} in this vault (it may have been erased).`);
        const patient = message.patientId === '' ? null : ((await patientHits(s.db, s.keys.viewKey, [await resolvePatientId(s.db, message.patientId)]))[0] ?? null);
        const resolution = message.kind === QUARANTINE_KINDS.quarantined ? await withReprocessActors(api, s, seq, await quarantineResolution(s.db, s.keys.viewKey, seq)) : null;
        const reprocessedBy = message.reprocessOf === undefined ? null : await copyActor(api, s, seq, message.reprocessOf.quarantineSeq);
        // The page names the patient and shows the records it filed: an access of that patient, durable before it is shown (T2 S35 F1).
        const [records] = await Promise.all([
          patient === null ? [] : messageRecords(s.db, s.keys.viewKey, message.patientId, seq, message.records ?? 0),
          patient === null ? undefined : journalMessagePageAccess(api, s, patient.patientId, seq),
        ]);
        return { message, patient, ...(resolution === null ? {} : { resolution }), ...(reprocessedBy === null ? {} : { reprocessedBy }), ...(records.length === 0 ? {} : { records }) };
      } catch (error) {
        throw asVaultError(error);
      }
    },

    async openMessageRaw(seq) {
      const s = state.require();
      try {
        const message = await messageBySeq(s.db, s.keys.viewKey, seq);
        if (message === null) throw new VaultError('E_NODE', `No message ${seq} in this vault (it may have been erased).`);
        if (message.objectId === null) throw new VaultError('E_NODE', 'This message has no raw bytes in the vault.');
        // Like openRecordRaw and openQuarantinedRaw: the opening is durable in the journal before the bytes are shown.
        if (message.kind === QUARANTINE_KINDS.quarantined) {
          // Its bytes name a patient only by their PID: the access is theirs when the vault holds that chart (H8 F1).
          const bytes = await openSealedObject(api, s.opener, message.objectId);
          await journalQuarantineAccess(api, s, seq, await quarantinedPatientId(s.db, s.keys.ledgerKey, bytes));
          return { seq, objectId: message.objectId, bytes, ...rawCharsetOf(message) };
        }
        const access = resolvePatientId(s.db, message.patientId).then((patientId) => journalAccess(api, s, patientId, null, seq));
        const [bytes] = await Promise.all([openSealedObject(api, s.opener, message.objectId), access]);
        return { seq, objectId: message.objectId, bytes, ...rawCharsetOf(message) };
      } catch (error) {
        throw asVaultError(error);
      }
    },
  };
}
