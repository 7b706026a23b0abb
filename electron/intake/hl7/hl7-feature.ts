import { bodyFeature } from '../../features/body-feature';
import { decodeInline, type BodyServices } from '../../features/body-services';
import type { Hl7Service } from '../hl7-service';
import type { IntakeFeature } from '../intake-feature';
import type { IntakeSettingsStore } from '../intake-settings';
import { UploadError } from '../intake-uploads';
import { SettingsAudit } from '../../audit/settings-audit';
import { settingChanges } from '../../audit/settings-changes';

/**
 * `hl7.*`: what only the HL7 v2 channel has: its monitor, file import and reprocessing of a
 * quarantined message (both may take their bytes from an intake upload), and the MLLP listener's
 * settings. The channel itself is registered with the intake feature, which attaches it.
 */
export function hl7Feature(services: BodyServices, hl7: Hl7Service, settings: IntakeSettingsStore, intake: Pick<IntakeFeature, 'uploads' | 'statusOf'>) {
  const { config, log } = services;
  const { uploads } = intake;
  const listener = () => intake.statusOf('hl7-mllp');
  const portOverride = config.mllpPort ?? null;
  const audit = new SettingsAudit(services);

  return bodyFeature<'hl7'>({
    name: 'hl7',
    handlers: {
      'hl7.monitor': async () => ({ ...hl7.monitor(), listener: listener() }),
      'hl7.importFiles': async ({ upload, files, charset, position }) => {
        const bytes = upload !== undefined ? uploads.take(upload) : (files ?? []).map((file) => decodeInline(file.bytes));
        return hl7.importFiles(bytes, charset, position);
      },
      'hl7.reprocess': async ({ quarantineSeq, raw, upload, charset, charsetOverride, edited }, context) => {
        // Journaled as the session's operator, never as one the client names.
        const operator = services.sessions.actorOf(context);
        let bytes: Uint8Array;
        if (raw !== undefined) bytes = decodeInline(raw);
        else {
          const files = uploads.take(upload!);
          if (files.length !== 1) throw new UploadError('E_BAD_REQUEST', `upload: a reprocess takes exactly one file; the upload holds ${files.length}.`);
          bytes = files[0]!;
        }
        return hl7.reprocess(quarantineSeq, bytes, operator, charset, { ...(charsetOverride === true ? { override: true } : {}), ...(edited === true ? { edited: true } : {}) });
      },
      'hl7.resetCounters': async (_request, context) => hl7.resetCounters(services.sessions.actorOf(context)),
      'hl7.getSettings': async () => ({ settings: settings.get(), portOverride, listener: listener() }),
      'hl7.updateSettings': async (change, context) => {
        // Journaled (a SETTINGS_CHANGE ledger entry) as the session's administrator, old → new.
        const actor = audit.actorOf(context);
        const before = settings.get();
        await hl7.updateSettings(change);
        log.info({ keys: Object.keys(change) }, 'hl7 listener settings changed');
        await audit.record(actor, 'hl7Listener', settingChanges(before, settings.get()));
        return { settings: settings.get(), portOverride, listener: listener() };
      },
    },
    // The duplicate index forgets erased records, so a resend of one is stored again.
    afterErasure: (seqs) => hl7.afterErasure(seqs),
    // The listener stops taking frames and lets in-flight ACKs finish before the storage closes.
    stop: () => hl7.stop(),
  });
}
