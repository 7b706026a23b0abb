import type { Sealer } from '../../shared/crypto/envelope';
import type { Keyring, VaultStatus } from '../../shared/ipc';
import { createBodySealer } from '../crypto/node-sealer';
import { createIntakePipeline, type IntakePipeline } from '../intake/intake-pipeline';
import { LedgerAppender } from '../ledger/ledger-appender';
import { LedgerOutbox } from '../ledger/ledger-outbox';
import { vaultLayout } from '../storage/vault-layout';
import type { Logger } from '../logging/logger';
import { Refusal } from '../errors/refusal';
import { openVaultStorage, type VaultStorage } from '../storage/vault-storage';
import type { AppendNotifier } from './append-notifier';
import type { KeyringStore } from './keyring-store';
import { readVaultPresence } from './vault-presence';

/** The vault's storage as this process holds it open: one Sealer and one intake pipeline per process. */
export interface OpenVault {
  readonly storage: VaultStorage;
  readonly sealer: Sealer;
  readonly pipeline: IntakePipeline;
  /** The vault's intake public key (uncompressed P-256 point). */
  readonly intakePublicKey: Uint8Array;
  /** Appends signed ledger entries (compare-and-append on the ledger seq). */
  readonly ledger: LedgerAppender;
  /** The clear copies of the signed entries, for the notary (ledger-outbox.ts). */
  readonly outbox: LedgerOutbox;
  /** Tells the mind (coalesced) that records up to this seq are durable. */
  readonly onDurable: (seq: number) => void;
}

/** A vault call that does not fit the vault's state (none yet, one exists already, shutting down). */
export class VaultStateRefusal extends Refusal {}

export const NO_VAULT = 'No vault exists in this data folder yet; create one first.';

export interface VaultHostOptions {
  readonly dataDir: string;
  readonly log: Logger;
  readonly keyrings: KeyringStore;
  readonly notifier: AppendNotifier;
  readonly isRunning: () => boolean;
  /** The vault's presence changed (created, restored); `announce` when the mind must hear of it. */
  readonly onStateChanged: (state: VaultStatus, announce: boolean) => void;
}

/**
 * Holds the vault's storage open for the body's features: opens it on first use, tells every
 * listener when it opened (the features attach their intake channels and services then), and
 * knows whether a vault exists. It never holds a vault secret: only the public intake key.
 */
export class VaultHost {
  private opened: OpenVault | null = null;
  private opening: Promise<OpenVault> | null = null;
  private current: VaultStatus = { state: 'absent' };
  private readonly openListeners: Array<(vault: OpenVault) => Promise<void>> = [];
  private readonly erasureListeners: Array<(seqs: readonly number[]) => Promise<void>> = [];

  constructor(private readonly options: VaultHostOptions) {}

  get status(): VaultStatus {
    return this.current;
  }

  get isOpen(): boolean {
    return this.opened !== null;
  }

  /** Reads the vault's presence from disk. */
  async refresh(announce = false): Promise<VaultStatus> {
    this.setState(await readVaultPresence(this.options.dataDir), announce);
    return this.current;
  }

  setState(next: VaultStatus, announce: boolean): void {
    this.current = next;
    this.options.onStateChanged(next, announce);
  }

  /** Registers work to run each time the vault's storage opens (features attach here). */
  onOpen(listener: (vault: OpenVault) => Promise<void>): void {
    this.openListeners.push(listener);
  }

  /** Registers work to run after records were erased (features drop what they derived from them). */
  onErased(listener: (seqs: readonly number[]) => Promise<void>): void {
    this.erasureListeners.push(listener);
  }

  /** Tells every feature which records an erasure removed. */
  async announceErased(seqs: readonly number[]): Promise<void> {
    for (const listener of this.erasureListeners) await listener(seqs);
  }

  /** The open vault, opening its storage on first use; refused when there is no vault. */
  require(): Promise<OpenVault> {
    if (this.opened !== null) return Promise.resolve(this.opened);
    if (!this.options.isRunning()) return Promise.reject(new VaultStateRefusal('E_UNAVAILABLE', 'The node is shutting down.'));
    this.opening ??= (async () => {
      try {
        const keyring = await this.options.keyrings.read();
        if (keyring === null) throw new VaultStateRefusal('E_CONFLICT', NO_VAULT);
        this.opened = await this.open(keyring);
        return this.opened;
      } finally {
        this.opening = null;
      }
    })();
    return this.opening;
  }

  /**
   * Design §4 rule 0: once a vault's storage is open, the listeners open, without any UI or
   * unlock (they seal to the vault's public key). A listener that fails stays closed with its
   * reason shown; the others still open.
   */
  async announceOpen(vault: OpenVault): Promise<void> {
    if (!this.options.isRunning()) return;
    for (const listener of this.openListeners) await listener(vault);
  }

  /** Waits for an open in progress and closes the storage (at stop). */
  async close(): Promise<void> {
    await this.opening?.catch(() => undefined);
    await this.opened?.storage.close();
  }

  private async open(keyring: Keyring): Promise<OpenVault> {
    const { dataDir, log, notifier } = this.options;
    const intakePublicKey = new Uint8Array(Buffer.from(keyring.intakePublicKey, 'base64url'));
    const sealer = await createBodySealer(intakePublicKey);
    const storage = await openVaultStorage(dataDir, log);
    const { repairedTornTail, records, lastSeq } = storage.journal.openResult;
    if (repairedTornTail !== null) {
      // A crash cut a write short; only unacknowledged bytes were dropped (see Journal.open).
      log.warn({ truncatedBytes: repairedTornTail.truncatedBytes, offset: repairedTornTail.offset, records, lastSeq }, 'vault journal had a torn tail; repaired at open');
    }
    const onDurable = (seq: number): void => notifier.note(seq);
    const pipeline = createIntakePipeline({ objects: storage.objects, journal: storage.journal, sealer, onDurable });
    log.info({ records, lastSeq: storage.journal.lastSeq }, 'vault storage open');
    const outbox = new LedgerOutbox(vaultLayout(dataDir).vaultDir);
    const ledger = new LedgerAppender(storage.journal, outbox, (error) => log.warn({ err: error instanceof Error ? error.name : 'unknown' }, 'ledger outbox not updated; the mind backfills it'));
    return { storage, sealer, pipeline, intakePublicKey, ledger, outbox, onDurable };
  }
}
