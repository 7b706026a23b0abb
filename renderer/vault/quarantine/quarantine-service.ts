import type { HdmsApi } from '../../../shared/ipc/contract';
import type { ViewIndexing } from '../indexing/view-indexing';
import { INTAKE_FILE_MAX_BYTES, type QuarantineLogChannel } from '../../../shared/ipc/intake-contract';
import { withBytes } from '../intake-bytes';
import { journalQuarantineAccess } from '../records/access-events';
import { quarantinedPatientId } from './quarantined-patient';
import { MAX_WHOLE_OBJECT_BYTES, openSealedObject, readSealedBytes, readSealedHead, readSealedRange } from '../records/sealed-objects';
import { envelopeRangeReader, type Opener } from '../vault-crypto';
import type { SessionState } from '../session/vault-session';
import { asVaultError } from '../vault-errors';
import { streamReprocess } from './dicom-stream-reprocess';
import { VaultError, type VaultService } from '../vault-service';
import { quarantineEntries, quarantineEntry } from '../views/view-reads';

/** The log component of a quarantined input's channel (QA round 4 D8b: a DICOM discard was logged as hl7). */
export function quarantineLogChannel(channel: string): QuarantineLogChannel | undefined {
  if (channel.startsWith('hl7')) return 'hl7';
  return channel === 'dicom' || channel === 'devices' ? channel : undefined;
}

/** The quarantine part of VaultService: list, open raw, reprocess, discard (the last two journaled by the body). */
export type QuarantineService = Pick<VaultService, 'quarantine' | 'openQuarantinedRaw' | 'reprocessQuarantined' | 'discardQuarantined'>;

export function createQuarantineService(api: HdmsApi, state: SessionState, indexing: ViewIndexing): QuarantineService {
  return {
    async quarantine() {
      const s = state.require();
      try {
        return await quarantineEntries(s.db, s.keys.viewKey);
      } catch (error) {
        throw asVaultError(error);
      }
    },

    async openQuarantinedRaw(seq) {
      const s = state.require();
      try {
        const entry = await quarantineEntry(s.db, s.keys.viewKey, seq);
        if (entry.objectId === null) throw new VaultError('E_NODE', 'This quarantined input has no raw bytes in the vault.');
        // Like openRecordRaw: the opening is durable in the journal before the bytes are shown, as
        // an access of the patient they name when the vault holds that chart (H8 F1).
        const opened = await openRawStart(api, s.opener, entry.objectId);
        await journalQuarantineAccess(api, s, seq, await quarantinedPatientId(s.db, s.keys.ledgerKey, opened.bytes));
        return {
          seq,
          objectId: entry.objectId,
          channel: entry.channel,
          ...opened,
          ...(entry.detail.charset === undefined ? {} : { charset: entry.detail.charset }),
        };
      } catch (error) {
        throw asVaultError(error);
      }
    },

    async reprocessQuarantined(seq, options = {}) {
      const s = state.require();
      try {
        const entry = await quarantineEntry(s.db, s.keys.viewKey, seq);
        if (entry.channel === 'dicom') {
          // The DICOM intake again, with the bytes as stored (no charset, no edit).
          if (options.edited !== undefined || options.charset !== undefined) throw new VaultError('E_NODE', 'A quarantined DICOM instance is reprocessed as it is: no charset or edit applies.');
          if (entry.objectId === null) throw new VaultError('E_NODE', 'This quarantined input has no raw bytes in the vault.');
          if (entry.rawBytes === null || entry.rawBytes > INTAKE_FILE_MAX_BYTES) {
            // Larger than an upload: opened and sent as a stream, never whole in memory.
            const streamed = await streamReprocess(api, s.opener, entry.objectId, seq);
            if (state.isCurrent(s)) await indexing.runSync(s);
            return { resolved: streamed.resolved, results: [], dicom: streamed.result };
          }
          const bytes = await openSealedObject(api, s.opener, entry.objectId);
          const answer = await withBytes(api, [bytes], (carrier) =>
            api.dicom.reprocess({ quarantineSeq: seq, ...('upload' in carrier ? { upload: carrier.upload } : { raw: carrier.files[0]!.bytes }) }),
          );
          if (state.isCurrent(s)) await indexing.runSync(s);
          return { resolved: answer.resolved, results: [], dicom: answer.result };
        }
        // HL7 intake again: a device report would be read as HL7 and journaled as a misleading reprocess.
        if (!entry.channel.startsWith('hl7')) throw new VaultError('E_NODE', 'Only a quarantined HL7 message is reprocessed here; discard this input or send it again.');
        if (options.edited !== undefined && options.edited.length === 0) throw new VaultError('E_NODE', 'The edited message is empty: nothing to reprocess.');
        if (options.edited === undefined && entry.objectId === null) throw new VaultError('E_NODE', 'This quarantined input has no raw bytes in the vault.');
        const bytes = options.edited ?? (await openSealedObject(api, s.opener, entry.objectId!));
        const answer = await withBytes(api, [bytes], (carrier) =>
          api.hl7.reprocess({
            quarantineSeq: seq,
            ...('upload' in carrier ? { upload: carrier.upload } : { raw: carrier.files[0]!.bytes }),
            ...(options.charset === undefined ? {} : { charset: options.charset }),
            ...(options.charset !== undefined && options.charsetOverride === true ? { charsetOverride: true } : {}),
            ...(options.edited === undefined ? {} : { edited: true }),
          }),
        );
        if (state.isCurrent(s)) await indexing.runSync(s);
        return { resolved: answer.resolved, results: answer.results };
      } catch (error) {
        throw asVaultError(error);
      }
    },

    async discardQuarantined(seq) {
      const s = state.require();
      try {
        // The body cannot read which channel quarantined it: told, so that the discard is logged under that channel.
        const channel = quarantineLogChannel((await quarantineEntry(s.db, s.keys.viewKey, seq)).channel);
        await api.intake.discard({ quarantineSeq: seq, ...(channel === undefined ? {} : { channel }) });
        if (state.isCurrent(s)) await indexing.runSync(s);
      } catch (error) {
        throw asVaultError(error);
      }
    },
  };
}

/** How much of a quarantined input over MAX_WHOLE_OBJECT_BYTES is opened to show: its elements and first bytes are there. */
export const RAW_START_BYTES = 4 * 1024 * 1024;

/**
 * A quarantined input's bytes: whole up to MAX_WHOLE_OBJECT_BYTES; past it (a DICOM instance or
 * file of hundreds of MiB) only its first RAW_START_BYTES, read in ranges (envelopeRangeReader:
 * those chunks alone are read and authenticated), with its whole size.
 */
async function openRawStart(api: HdmsApi, opener: Opener, objectId: string): Promise<{ readonly bytes: Uint8Array; readonly totalBytes?: number }> {
  const head = await readSealedHead(api, objectId);
  if (head.size <= MAX_WHOLE_OBJECT_BYTES) return { bytes: (await opener.open(await readSealedBytes(api, objectId, 'This input is too large to open.', head))).plaintext };
  const reader = envelopeRangeReader(head.head, head.size, await opener.unwrapDataKey(head.head), (offset, length) => readSealedRange(api, objectId, offset, length));
  return { bytes: await reader.read(0, RAW_START_BYTES), totalBytes: reader.plaintextLength };
}
