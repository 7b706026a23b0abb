import { bodyFeature } from '../features/body-feature';
import { decodeInline, type BodyServices } from '../features/body-services';
import { describeErrorForLog } from '../logging/error-report';
import type { Hl7Service } from './hl7-service';
import { FileImportChannel, IntakeChannels } from './intake-channel';
import type { IntakeSettingsStore } from './intake-settings';
import { IntakeUploads, UploadError } from './intake-uploads';

/**
 * `intake.*`: the intake status derived from the registered channels, uploads of files from the
 * mind, and (until they move to their own namespace) the HL7 channel's monitor, import,
 * quarantine acts and listener settings. Every channel attaches when the vault's storage opens.
 */
export function intakeFeature(services: BodyServices, hl7: Hl7Service, settings: IntakeSettingsStore) {
  const { config, log, events, vault } = services;
  const uploads = new IntakeUploads();
  const channels = new IntakeChannels();
  channels.register(hl7);
  channels.register(new FileImportChannel());

  let status = channels.statusFor(vault.status);
  /** Recomputes the intake status and announces a change. */
  const refresh = (): void => {
    const next = channels.statusFor(vault.status);
    if (JSON.stringify(next) !== JSON.stringify(status)) {
      status = next;
      events.emit('intake.statusChanged', status);
    }
  };
  channels.onStatusChanged(refresh);
  const hl7Listener = () => status.listeners.find((listener) => listener.channel === 'hl7-mllp') ?? hl7.status();
  const portOverride = config.mllpPort ?? null;

  return {
    /** The vault's presence changed: the derived status may change with it. */
    refresh,
    ...bodyFeature<'intake'>({
      name: 'intake',
      handlers: {
        'intake.status': async () => status,
        'intake.monitor': async () => ({ ...hl7.monitor(), listener: hl7Listener() }),
        'intake.uploadBegin': async () => ({ handle: uploads.begin() }),
        'intake.uploadAppend': async ({ handle, file, chunk }) => ({ bytes: uploads.append(handle, file, decodeInline(chunk)) }),
        'intake.uploadAbort': async ({ handle }) => {
          uploads.abort(handle);
          return {};
        },
        'intake.importFiles': async ({ upload, files, charset }) => {
          const bytes = upload !== undefined ? uploads.take(upload) : (files ?? []).map((file) => decodeInline(file.bytes));
          return hl7.importFiles(bytes, charset);
        },
        'intake.reprocess': async ({ quarantineSeq, operator, raw, upload, charset }) => {
          let bytes: Uint8Array;
          if (raw !== undefined) bytes = decodeInline(raw);
          else {
            const files = uploads.take(upload!);
            if (files.length !== 1) throw new UploadError('E_BAD_REQUEST', `upload: a reprocess takes exactly one file; the upload holds ${files.length}.`);
            bytes = files[0]!;
          }
          return hl7.reprocess(quarantineSeq, bytes, operator, charset);
        },
        'intake.discard': async ({ quarantineSeq, operator }) => hl7.discard(quarantineSeq, operator),
        'intake.getSettings': async () => ({ settings: settings.get(), portOverride, listener: hl7Listener() }),
        'intake.updateSettings': async (change) => {
          await hl7.updateSettings(change);
          log.info({ keys: Object.keys(change) }, 'intake settings changed');
          return { settings: settings.get(), portOverride, listener: hl7Listener() };
        },
      },
      onVaultOpen: async (open) => {
        for (const channel of channels.all()) {
          try {
            await channel.attach({ pipeline: open.pipeline, journal: open.storage.journal, sealer: open.sealer, intakePublicKey: open.intakePublicKey, onDurable: open.onDurable });
          } catch (error) {
            log.error({ channel: channel.channel, ...describeErrorForLog(error) }, 'intake channel could not start');
          }
        }
      },
      // The listener stops taking frames and lets in-flight ACKs finish before the storage closes.
      stop: async () => {
        uploads.clear();
        await hl7.stop();
        for (const channel of channels.all()) if (channel !== hl7) await channel.detach('The node is stopping.');
      },
    }),
  };
}
