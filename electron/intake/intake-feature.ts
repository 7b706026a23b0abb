import type { IntakeChannelName, ListenerStatus } from '../../shared/ipc';
import { bodyFeature } from '../features/body-feature';
import { decodeInline, type BodyServices } from '../features/body-services';
import { describeErrorForLog } from '../logging/error-report';
import { FileImportChannel, IntakeChannels, type IntakeChannel } from './intake-channel';
import { IntakeUploads } from './intake-uploads';

/** Where a quarantine act is logged. */
export interface QuarantineLog {
  info(object: object, message: string): void;
}

/** Resolving a quarantined input, whatever channel quarantined it. */
export interface QuarantineActs {
  /** `log`: the logger of the channel that quarantined it (the act is logged there). */
  /** `operatorId`: the calling session's account id (recorded in the act's sealed meta). */
  discard(quarantineSeq: number, operatorId: string, log?: QuarantineLog): Promise<{ seq: number }>;
  /**
   * Another channel's reprocess of a quarantined input (DICOM), run one at a time with discards and
   * HL7 reprocesses so one record is never resolved twice: refuses a record that is not an open
   * quarantine record, runs `work`, then journals `intake.reprocessed` as the session's operator
   * (plaintext note {quarantineSeq, resolved: 0|1}; sealed meta {v:1, type:'reprocessed',
   * quarantineSeq, resolved, at, ...details, operatorId}).
   */
  reprocessWith(
    quarantineSeq: number,
    operatorId: string,
    work: () => Promise<{ readonly resolved: boolean; readonly details: Readonly<Record<string, unknown>> }>,
  ): Promise<{ seq: number; resolved: boolean }>;
}

export interface IntakeFeatureOptions {
  /** The channels besides file import (which every build has): HL7 MLLP today. */
  readonly channels: readonly IntakeChannel[];
  readonly quarantine: QuarantineActs;
}

/**
 * `intake.*`: what every channel shares. The intake status derived from the registered channels,
 * uploads of files from the mind (a channel's import methods take them), and discarding a
 * quarantined input. Every channel attaches when the vault's storage opens; a channel's own
 * methods are its feature's (`hl7.*`: hl7/hl7-feature.ts).
 */
export function intakeFeature(services: BodyServices, options: IntakeFeatureOptions) {
  const { log, events, vault } = services;
  const uploads = new IntakeUploads();
  const channels = new IntakeChannels();
  for (const channel of options.channels) channels.register(channel);
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

  return {
    /** The vault's presence changed: the derived status may change with it. */
    refresh,
    /** For the channels' import methods, which consume an upload by its handle. */
    uploads,
    /** One channel's entry in the intake status (with no vault: closed, saying why). */
    statusOf: (name: IntakeChannelName): ListenerStatus => status.listeners.find((listener) => listener.channel === name) ?? { channel: name, state: 'closed' },
    ...bodyFeature<'intake'>({
      name: 'intake',
      handlers: {
        'intake.status': async () => status,
        'intake.uploadBegin': async () => ({ handle: uploads.begin() }),
        'intake.uploadAppend': async ({ handle, file, chunk }) => ({ bytes: uploads.append(handle, file, decodeInline(chunk)) }),
        'intake.uploadAbort': async ({ handle }) => {
          uploads.abort(handle);
          return {};
        },
        // Journaled as the session's operator, never as one the client names.
        'intake.discard': async ({ quarantineSeq, channel }, context) =>
          options.quarantine.discard(quarantineSeq, services.sessions.actorOf(context), log.child({ component: channel ?? 'intake' })),
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
      // Composed before the channels' own features, so it stops after them: a channel has let its
      // in-flight ACKs finish by then, and detaching it again does nothing.
      stop: async () => {
        uploads.clear();
        for (const channel of channels.all()) await channel.detach('The node is stopping.');
      },
    }),
  };
}

export type IntakeFeature = ReturnType<typeof intakeFeature>;
