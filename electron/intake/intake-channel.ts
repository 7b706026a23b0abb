import type { Sealer } from '../../shared/crypto/envelope';
import { INTAKE_CHANNELS, type IntakeChannelName, type IntakeStatus, type ListenerStatus, type VaultStatus } from '../../shared/ipc';
import type { Journal } from '../storage/journal';
import type { IntakePipeline } from './intake-pipeline';

/** What an intake channel needs of an open vault to take data in. */
export interface IntakeVaultPorts {
  readonly pipeline: Pick<IntakePipeline, 'ingest' | 'quarantine' | 'commitSealed' | 'ingestSettled'>;
  /** The vault's intake public key (uncompressed P-256 point): what the channel seals to. */
  readonly intakePublicKey: Uint8Array;
  readonly journal: Pick<Journal, 'append' | 'read'>;
  readonly sealer: Pick<Sealer, 'seal'>;
  /** Told the seq of every record the channel appends itself (the pipeline tells its own). */
  readonly onDurable: (seq: number) => void;
}

/**
 * One way data comes in (HL7 MLLP, file import, DICOM, devices). The body attaches every
 * registered channel to the pipeline once the vault's storage is open, and the intake status is
 * derived from the channels' own statuses.
 */
export interface IntakeChannel {
  readonly channel: IntakeChannelName;
  /** The channel's state now (listening, closed with a reason, error with a reason). */
  status(): ListenerStatus;
  /** Calls `listener` whenever status() may have changed; returns the unsubscribe. */
  onStatusChanged(listener: () => void): () => void;
  /** Starts taking data in, sealing to the vault's intake key. */
  attach(ports: IntakeVaultPorts): Promise<void>;
  /** Stops taking data in; in-flight work finishes first. */
  detach(reason: string): Promise<void>;
}

const NO_VAULT = 'No vault exists yet: listeners open once the vault is created, so that everything received can be sealed.';

const NOT_YET: Readonly<Partial<Record<IntakeChannelName, string>>> = {
};

/**
 * The registered intake channels and the status derived from them (design §4 rule 0: with no
 * vault every channel is closed and says why). A channel not registered in this build shows the
 * release it comes in.
 */
export class IntakeChannels {
  private readonly channels = new Map<IntakeChannelName, IntakeChannel>();
  private readonly listeners = new Set<() => void>();

  register(channel: IntakeChannel): void {
    if (this.channels.has(channel.channel)) throw new Error(`Intake channel ${channel.channel} is registered twice.`);
    this.channels.set(channel.channel, channel);
    channel.onStatusChanged(() => {
      for (const listener of [...this.listeners]) listener();
    });
  }

  get(name: IntakeChannelName): IntakeChannel | undefined {
    return this.channels.get(name);
  }

  all(): readonly IntakeChannel[] {
    return [...this.channels.values()];
  }

  onStatusChanged(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  statusFor(vault: VaultStatus): IntakeStatus {
    const absent = vault.state === 'absent';
    return {
      listeners: INTAKE_CHANNELS.map((name): ListenerStatus => {
        const channel = this.channels.get(name);
        if (channel === undefined) return { channel: name, state: 'closed', reason: absent ? NO_VAULT : (NOT_YET[name] ?? 'Not available in this build.') };
        const status = channel.status();
        return absent && status.state !== 'listening' ? { channel: name, state: 'closed', reason: NO_VAULT } : status;
      }),
    };
  }
}

/**
 * File import as a channel: open whenever the vault's storage is (the files arrive through the
 * contract's uploads and are parsed by the feature that owns their format).
 */
export class FileImportChannel implements IntakeChannel {
  readonly channel = 'file-import' as const;
  private attached = false;
  private readonly listeners = new Set<() => void>();

  status(): ListenerStatus {
    return this.attached ? { channel: this.channel, state: 'listening' } : { channel: this.channel, state: 'closed', reason: NO_VAULT };
  }

  onStatusChanged(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  attach(): Promise<void> {
    this.set(true);
    return Promise.resolve();
  }

  detach(): Promise<void> {
    this.set(false);
    return Promise.resolve();
  }

  private set(attached: boolean): void {
    if (attached === this.attached) return;
    this.attached = attached;
    for (const listener of [...this.listeners]) listener();
  }
}
