import type { HdmsApi } from '../../../shared/ipc/contract';
import { QUARANTINE_KINDS } from '../../../shared/journal/journal-kinds';
import type { ViewIndexing } from '../indexing/view-indexing';
import { journalAccess, journalQuarantineAccess } from '../records/access-events';
import { openSealedObject } from '../records/sealed-objects';
import type { SessionState } from '../session/vault-session';
import { asVaultError } from '../vault-errors';
import { VaultError, type VaultService } from '../vault-service';
import { normalizeMessageType } from '../views/message-log';
import { messageBySeq, quarantineResolution, searchMessages } from '../views/message-reads';
import { readMessageFacets } from '../views/projectors/message-projector';
import { patientHits, resolvePatientId } from '../views/view-reads';

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
        const resolution = message.kind === QUARANTINE_KINDS.quarantined ? await quarantineResolution(s.db, s.keys.viewKey, seq) : null;
        return { message, patient, ...(resolution === null ? {} : { resolution }) };
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
        const access =
          message.kind === QUARANTINE_KINDS.quarantined
            ? journalQuarantineAccess(api, s, seq)
            : resolvePatientId(s.db, message.patientId).then((patientId) => journalAccess(api, s, patientId, null, seq));
        const [bytes] = await Promise.all([openSealedObject(api, s.opener, message.objectId), access]);
        return { seq, objectId: message.objectId, bytes, ...(message.charset === undefined ? {} : { charset: message.charset }) };
      } catch (error) {
        throw asVaultError(error);
      }
    },
  };
}
