import { bodyFeature } from '../../features/body-feature';
import { decodeInline, type BodyServices } from '../../features/body-services';
import type { IntakeFeature } from '../intake-feature';
import { UploadError } from '../intake-uploads';
import type { DicomReceiver } from './dicom-receiver';
import type { DicomSettingsStore } from './dicom-settings';
import { SettingsAudit } from '../../audit/settings-audit';
import { settingChanges } from '../../audit/settings-changes';

/**
 * `dicom.*`: what only the DICOM receiver has: its status for the intake monitor and its settings.
 * The receiver itself is an intake channel registered with the intake feature, which attaches it.
 */
export function dicomFeature(services: BodyServices, receiver: DicomReceiver, settings: DicomSettingsStore, portOverride: number | null, intake: Pick<IntakeFeature, 'uploads'>) {
  const { log } = services;
  const audit = new SettingsAudit(services);
  return bodyFeature<'dicom'>({
    name: 'dicom',
    handlers: {
      'dicom.status': async () => receiver.statusReport(),
      // Journaled as the session's operator, never as one the client names.
      'dicom.resetCounters': async (_request, context) => receiver.resetCounters(services.sessions.actorOf(context)),
      'dicom.getSettings': async () => ({ settings: settings.get(), portOverride, listener: receiver.status() }),
      'dicom.importFiles': async ({ upload, files, position }) => {
        const bytes = upload !== undefined ? intake.uploads.take(upload) : (files ?? []).map((file) => decodeInline(file.bytes));
        return { results: await receiver.importFiles(bytes, position) };
      },
      'dicom.reprocess': async ({ quarantineSeq, raw, upload }, context) => {
        // Journaled as the session's operator, never as one the client names.
        const operator = services.sessions.actorOf(context);
        let bytes: Uint8Array;
        if (raw !== undefined) bytes = decodeInline(raw);
        else {
          const files = intake.uploads.take(upload!);
          if (files.length !== 1) throw new UploadError('E_BAD_REQUEST', `upload: a reprocess takes exactly one file; the upload holds ${files.length}.`);
          bytes = files[0]!;
        }
        return receiver.reprocess(quarantineSeq, bytes, operator);
      },
      'dicom.streamBegin': async ({ reprocess, position }, context) => ({
        handle: receiver.streamBegin(reprocess === undefined ? undefined : { quarantineSeq: reprocess.quarantineSeq, operatorId: services.sessions.actorOf(context) }, position),
      }),
      'dicom.streamAppend': async ({ handle, chunk, last }) => {
        const answer = await receiver.streams.append(handle, decodeInline(chunk), last);
        if (answer.result === undefined) return { bytes: answer.bytes };
        const { reprocessed, ...result } = answer.result;
        return { bytes: answer.bytes, result, ...(reprocessed !== undefined ? { reprocessed } : {}) };
      },
      'dicom.streamAbort': async ({ handle }) => {
        receiver.streams.abort(handle);
        return {};
      },
      'dicom.updateSettings': async (change, context) => {
        // Journaled (a SETTINGS_CHANGE ledger entry) as the session's administrator, old → new.
        const actor = audit.actorOf(context);
        const before = settings.get();
        const listener = await receiver.updateSettings(change);
        log.info({ keys: Object.keys(change) }, 'DICOM receiver settings changed');
        await audit.record(actor, 'dicomReceiver', settingChanges(before, settings.get()));
        return { settings: settings.get(), portOverride, listener };
      },
    },
    // The duplicate index forgets erased records, so a resend of one is stored again.
    afterErasure: (seqs) => receiver.afterErasure(seqs),
    // Open associations finish what is in flight before the storage closes.
    stop: () => receiver.stop(),
  });
}
