import path from 'node:path';
import type { ListenerStatus } from '../../../shared/ipc';
import type { DicomImportResult, DicomSettings, DicomStatus } from '../../../shared/ipc/dicom-contract';
import { Refusal } from '../../errors/refusal';
import { SerialQueue } from '../../async/serial-queue';
import type { IntakeChannel, IntakeVaultPorts } from '../intake-channel';
import type { QuarantineActs } from '../intake-feature';
import { DICOM_DEDUPE_DIR, DicomDedupe } from './dicom-duplicates';
import { importDicomFile, importDicomFiles, importDicomStream, type DicomFileOutcome } from './dicom-import';
import { importedFrom, type ImportPosition } from '../import-source';
import { DicomImportStreams } from './dicom-import-streams';
import { DICOM_STREAM_MAX_BYTES } from '../../../shared/ipc/dicom-contract';
import type { DicomIntakeOptions, DicomIntakeOutcome } from './dicom-intake';
import { createDicomNetworkIntake } from './dicom-intake';
import { startDicomServer, type DicomLogger, type DicomServer, type DicomServerEvent } from './dicom-server';
import type { DicomSettingsStore } from './dicom-settings';
import { DIMSE_STATUS } from './dimse-command';
import { CountersStore } from '../intake-counters-store';
import { DICOM_COUNTERS, DICOM_COUNTERS_FILE, DicomCounts, type DicomCountedChange, type DicomCountersSnapshot, type DicomSuccessCounter } from './dicom-counters';
import { INTAKE_COUNTERS_RESET_KIND } from '../../../shared/journal/journal-kinds';

const NOT_OPEN_REASON = 'The DICOM receiver opens once this node has the vault open (it seals everything it receives to the vault).';

/**
 * How long the receiver waits before trying a port that was in use again (QA explore-12 D11: once
 * the other program is gone, the receiver opens by itself instead of waiting for a Save).
 */
export const DICOM_PORT_RETRY_MS = 5_000;

export interface DicomReceiverOptions {
  /** The data folder: the duplicate index's key lives in `<data>/vault/intake/dicom-dedupe/`. */
  readonly dataDir: string;
  readonly settings: DicomSettingsStore;
  /** `--dicom-port N` for this run (0 = disabled); null = the settings' port. */
  readonly portOverride: number | null;
  readonly log: DicomLogger & { error(object: object, message: string): void };
  /** The quarantine's acts shared by every channel (the reprocess is journaled through them). Absent: no reprocess. */
  readonly quarantine?: Pick<QuarantineActs, 'reprocessWith'>;
}

/**
 * Outcomes of a reprocess that settle its quarantine entry: the instance is in the vault now
 * (stored, a conflict flagged, or stored before), or it is in quarantine again as a new entry that
 * holds other bytes with the reason found now (held, quarantined). Anything else (not DICOM, a
 * DICOMDIR, storage failing, or the same bytes found in the quarantine already, its own entry
 * included: answered as before, as an HL7 reprocess is) leaves the entry open.
 */
const SETTLING: ReadonlySet<DicomFileOutcome['outcome']> = new Set(['stored', 'conflict', 'duplicate', 'held', 'quarantined']);

function settles(result: DicomFileOutcome): boolean {
  return SETTLING.has(result.outcome) && result.inQuarantine !== true;
}

/** Which counter a C-STORE answered Success goes to, by what the intake did with it (failures are counted from the answer's status). */
const SUCCESS_COUNTER: Partial<Record<DicomIntakeOutcome['outcome'], DicomSuccessCounter>> = { stored: 'stored', held: 'held', duplicate: 'duplicates', conflict: 'conflicts' };

/** The counters are saved whole at most this often while associations count (the write-ahead log holds what came between). */
const COUNTERS_SAVE_MS = 1_000;
const encoder = new TextEncoder();

/**
 * The DICOM receiver as an intake channel (issue 12): a C-ECHO/C-STORE SCP listening once the
 * vault's storage is open (design §4 rule 0), storing every instance through the intake pipeline.
 * Attach, settings changes and detach run one at a time.
 */
export class DicomReceiver implements IntakeChannel {
  readonly channel = 'dicom' as const;
  private current: ListenerStatus = { channel: 'dicom', state: 'closed', reason: NOT_OPEN_REASON };
  private readonly statusListeners = new Set<() => void>();
  private readonly lifecycle = new SerialQueue();
  private ports: IntakeVaultPorts | null = null;
  private dedupe: DicomDedupe | null = null;
  private server: DicomServer | null = null;
  /** The counters and calling-AE rows since the first start with this vault or the last reset. */
  private counts = new DicomCounts(new Date().toISOString());
  /** Where they are kept across restarts: set at the first attach (a vault exists), once per run. */
  private countersStore: CountersStore<DicomCountersSnapshot, DicomCountedChange> | null = null;
  /** Changes counted but not yet in the write-ahead log: written after the answer went out, in one write. */
  private pending: DicomCountedChange[] = [];
  private pendingWrite: NodeJS.Immediate | null = null;
  private saveTimer: NodeJS.Timeout | null = null;
  private stopped = false;
  /** The next try of a port that was in use (cleared by any close, restart or stop). */
  private retry: NodeJS.Timeout | null = null;
  /** Imports of files larger than an upload holds, chunk by chunk into the sealer (dicom.stream*). */
  readonly streams = new DicomImportStreams({ maxBytes: DICOM_STREAM_MAX_BYTES });

  constructor(private readonly options: DicomReceiverOptions) {}

  status(): ListenerStatus {
    return this.current;
  }

  onStatusChanged(listener: () => void): () => void {
    this.statusListeners.add(listener);
    return () => this.statusListeners.delete(listener);
  }

  attach(ports: IntakeVaultPorts): Promise<void> {
    return this.lifecycle.run(async () => {
      if (this.ports !== null || this.stopped) return;
      try {
        this.dedupe = await DicomDedupe.open(path.join(this.options.dataDir, ...DICOM_DEDUPE_DIR), ports.journal, { log: this.options.log });
      } catch (error) {
        // Said on the monitor as the HL7 listener says it; without the index nothing can be stored.
        const code = (error as NodeJS.ErrnoException)?.code ?? (error instanceof Error ? error.message : String(error));
        this.setStatus({ channel: 'dicom', state: 'error', reason: `The DICOM duplicate index in the vault folder could not be opened (${code}); the receiver stays closed. Check that the data folder is writable.` });
        throw error;
      }
      if (this.countersStore === null) {
        // Once per run: what an earlier run counted goes on (a second attach, after a restore, keeps this run's).
        const store = new CountersStore(DICOM_COUNTERS, path.join(this.options.dataDir, ...DICOM_COUNTERS_FILE), this.options.log);
        const saved = await store.load();
        this.countersStore = store;
        if (saved !== null) this.counts = DicomCounts.of(saved);
        // Saved at once the first time, so "since" is this start's, not a later one's.
        else await this.saveCounters();
      }
      this.ports = ports;
      await this.open();
    });
  }

  detach(reason: string): Promise<void> {
    return this.lifecycle.run(async () => {
      if (this.ports === null) return;
      this.streams.clear();
      await this.close(reason);
      this.ports = null;
      // Written out: the next attach reads the journal only after what the index holds.
      const dedupe = this.dedupe;
      this.dedupe = null;
      await dedupe?.close().catch((error: unknown) => this.options.log.warn({ error: error instanceof Error ? error.message : String(error) }, 'DICOM duplicate index: could not be written out at close; the next attach reads the journal again'));
    });
  }

  /**
   * Imports files' bytes through the same checks and records as a C-STORE (results by file index);
   * `position`: their places in the operator's import (refused unless one per file).
   */
  async importFiles(files: readonly Uint8Array[], position?: ImportPosition): Promise<DicomImportResult[]> {
    if (position !== undefined && position.files.length !== files.length) throw new Refusal('E_BAD_REQUEST', `position: one per file sent (${position.files.length} for ${files.length} files).`);
    return importDicomFiles(this.intakeOptions(), files, position);
  }

  /**
   * Opens a streamed import of one large file (refused without an open vault). With `reprocess`,
   * the file is a quarantined instance sent again: the whole stream runs inside the quarantine's
   * act (reprocessWith), journaled like `reprocess`.
   */
  streamBegin(reprocess?: { readonly quarantineSeq: number; readonly operatorId: string }, position?: { readonly file: number; readonly of: number }): string {
    const options = this.intakeOptions();
    if (reprocess === undefined) return this.streams.begin((source) => importDicomStream(options, source, importedFrom(position, true)));
    const acts = this.options.quarantine;
    if (acts === undefined) throw new Refusal('E_CONFLICT', 'This node cannot reprocess quarantined DICOM instances.');
    const { quarantineSeq, operatorId } = reprocess;
    return this.streams.begin(async (source) => {
      let result: DicomFileOutcome = { outcome: 'failed' };
      try {
        const { seq, resolved } = await acts.reprocessWith(quarantineSeq, operatorId, async () => {
          result = await importDicomStream(options, source, `reprocess of record ${quarantineSeq}`);
          return { resolved: settles(result), details: { channel: 'dicom', result } };
        });
        this.options.log.info({ quarantineSeq, seq, resolved, outcome: result.outcome }, 'quarantined DICOM instance reprocessed');
        return { ...result, reprocessed: { seq, resolved } };
      } catch (error) {
        // Refused (not an open quarantine record) or the act could not be journaled.
        return { outcome: 'failed', reason: error instanceof Refusal ? error.message.slice(0, 500) : 'The reprocess could not be recorded; try again.' };
      }
    });
  }

  /** What an import or a reprocess stores through (refused without an open vault). */
  private intakeOptions(): DicomIntakeOptions {
    const ports = this.ports;
    if (ports === null) throw new Refusal('E_CONFLICT', this.stopped ? 'The node is shutting down.' : 'No vault is open in this data folder; create one (or restore a backup) before importing.');
    return { pipeline: ports.pipeline, issuerAuthorities: this.options.settings.get().issuerAuthorities, ...(this.dedupe !== null ? { dedupe: this.dedupe } : {}) };
  }

  /**
   * Runs a quarantined instance's raw bytes (opened by the mind) through the intake again, as an
   * import: journaled `intake.reprocessed` as the operator with the outcome (sealed), the entry
   * settled when the outcome is one of SETTLING. A new quarantine entry's seq (or the stored
   * record's) is the outcome's `seq`.
   */
  async reprocess(quarantineSeq: number, bytes: Uint8Array, operatorId: string): Promise<{ seq: number; resolved: boolean; result: DicomFileOutcome }> {
    const options = this.intakeOptions();
    const acts = this.options.quarantine;
    if (acts === undefined) throw new Refusal('E_CONFLICT', 'This node cannot reprocess quarantined DICOM instances.');
    let result: DicomFileOutcome = { outcome: 'failed' };
    const { seq, resolved } = await acts.reprocessWith(quarantineSeq, operatorId, async () => {
      result = await importDicomFile(options, bytes, `reprocess of record ${quarantineSeq}`);
      return { resolved: settles(result), details: { channel: 'dicom', result } };
    });
    this.options.log.info({ quarantineSeq, seq, resolved, outcome: result.outcome }, 'quarantined DICOM instance reprocessed');
    return { seq, resolved, result };
  }

  /** Erased records: their instances are forgotten, so a resend of one is stored again. */
  afterErasure(seqs: readonly number[]): Promise<void> {
    return this.dedupe?.forget(seqs) ?? Promise.resolve();
  }

  /** At body stop: detach and refuse to attach again; the counters are saved whole. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.detach('The node is stopping.');
    if (this.saveTimer !== null) clearTimeout(this.saveTimer);
    this.saveTimer = null;
    const store = this.countersStore;
    if (store !== null) {
      await this.saveCounters();
      await store.flush();
      store.close();
    }
  }

  /**
   * Starts the counters and calling-AE rows again from zero; journals `intake.countersReset` as
   * the operator with what they showed before (sealed, channel 'dicom'), as the HL7 reset does.
   */
  resetCounters(operatorId: string): Promise<{ seq: number; since: string }> {
    return this.lifecycle.run(async () => {
      const ports = this.ports;
      if (ports === null) throw new Refusal('E_CONFLICT', this.stopped ? 'The node is shutting down.' : 'No vault is open in this data folder; there are no DICOM counters to reset.');
      this.writePending();
      const before = this.counts.snapshot();
      this.counts = new DicomCounts(new Date().toISOString());
      await this.saveCounters();
      await this.countersStore?.flush();
      const since = this.counts.since;
      const meta = await ports.sealer.seal('journalMetadata', encoder.encode(JSON.stringify({ v: 1, type: 'countersReset', channel: 'dicom', at: since, before, operatorId })), { compress: 'plain' });
      const { seq } = await ports.journal.append({ kind: INTAKE_COUNTERS_RESET_KIND, operator: null, objects: [], meta, note: {} });
      ports.onDurable(seq);
      this.options.log.info({ seq, received: before.counters.received, callers: before.callers.length }, 'DICOM counters reset');
      return { seq, since };
    });
  }

  /** Saves a settings change (IntakeSettingsError when refused) and restarts the receiver with it. */
  async updateSettings(change: Partial<DicomSettings>): Promise<ListenerStatus> {
    await this.options.settings.update(change);
    await this.lifecycle.run(async () => {
      if (this.ports === null) return;
      await this.close('Restarting with new settings.', false);
      await this.open();
    });
    return this.current;
  }

  statusReport(): DicomStatus {
    return {
      listener: this.current,
      aeTitle: this.options.settings.get().aeTitle,
      portOverride: this.options.portOverride,
      countersSince: this.counts.since,
      counters: this.counts.totals(),
      callers: this.counts.list(),
      open: (this.server?.associations() ?? []).map((association) => ({ peer: association.peer.slice(0, 64), callingAeTitle: association.callingAeTitle.slice(0, 16), since: association.since, state: association.state })),
    };
  }

  private async open(): Promise<void> {
    const ports = this.ports!;
    const settings = this.options.settings.get();
    const port = this.options.portOverride ?? settings.port;
    if (port === 0) {
      this.setStatus({ channel: 'dicom', state: 'closed', reason: this.options.portOverride === 0 ? 'The DICOM receiver is turned off for this run (--dicom-port 0).' : 'The DICOM receiver is turned off (port 0 in its settings).' });
      return;
    }
    const intake = createDicomNetworkIntake({ pipeline: ports.pipeline, issuerAuthorities: settings.issuerAuthorities, ...(this.dedupe !== null ? { dedupe: this.dedupe } : {}) });
    try {
      this.server = await startDicomServer({
        port,
        host: settings.bindAddress,
        aeTitle: settings.aeTitle,
        allowedCallers: settings.allowedCallers,
        maxPduLength: settings.maxPduLength,
        maxAssociations: settings.maxAssociations,
        artimMs: settings.artimSeconds * 1000,
        idleTimeoutMs: settings.idleTimeoutSeconds * 1000,
        log: this.options.log,
        cStore: async (request) => {
          const outcome = await intake(request);
          // A duplicate is answered Success like a new instance: counted apart, so a resend storm does not look like new images.
          const counter = outcome.status === DIMSE_STATUS.SUCCESS ? SUCCESS_COUNTER[outcome.outcome] : undefined;
          if (counter !== undefined) this.counted(['o', request.callingAeTitle, request.peerAddress, counter]);
          return outcome.status;
        },
        onEvent: (event) => this.count(event),
      });
      this.setStatus({ channel: 'dicom', state: 'listening', address: this.server.address, port: this.server.port });
    } catch (error) {
      this.server = null;
      const code = (error as NodeJS.ErrnoException)?.code;
      // With --dicom-port the settings' port is not used, so advising to change it could not be followed.
      const inUse =
        this.options.portOverride === null
          ? `Port ${port} on ${settings.bindAddress} is in use by another program: choose another port in the DICOM settings.`
          : `Port ${port} on ${settings.bindAddress} is in use by another program. This run takes its DICOM port from the command line (--dicom-port ${port}), so the port in the DICOM settings is not used: free port ${port}, or start without --dicom-port.`;
      const reason = code === 'EADDRINUSE' ? inUse : code === 'EADDRNOTAVAIL' ? `${settings.bindAddress} is not an address of this computer.` : `The DICOM receiver could not open (${code ?? 'unknown error'}).`;
      this.options.log.error({ port, code: code ?? 'unknown' }, 'DICOM receiver could not open');
      this.setStatus({ channel: 'dicom', state: 'error', reason, address: settings.bindAddress, port });
      if (code === 'EADDRINUSE') this.retryLater();
    }
  }

  private count(event: DicomServerEvent): void {
    switch (event.type) {
      case 'association':
        return this.counted(['a', event.callingAeTitle, event.address]);
      case 'rejected':
        return this.counted(['r', event.callingAeTitle, event.address, event.reason, event.calledAeTitle]);
      case 'echo':
        return this.counted(['e']);
      case 'store':
        // Every C-STORE answered is received once; a Success was counted by outcome in cStore.
        return this.counted(['s', event.callingAeTitle, event.address, event.status === DIMSE_STATUS.SUCCESS ? 0 : 1, event.bytes]);
      case 'protocol-error':
        return this.counted(['p']);
      case 'ended':
        return;
    }
  }

  /**
   * Counts a change now, and writes it to the counters' write-ahead log once the answer went out
   * (in the next turn, with the others counted meanwhile: no await or write on the C-STORE's
   * path); the whole counters are saved at most once per COUNTERS_SAVE_MS.
   */
  private counted(change: DicomCountedChange): void {
    this.counts.apply(change);
    if (this.countersStore === null) return;
    this.pending.push(change);
    this.pendingWrite ??= setImmediate(() => this.writePending());
    this.saveTimer ??= setTimeout(() => {
      this.saveTimer = null;
      void this.saveCounters();
    }, COUNTERS_SAVE_MS);
    this.saveTimer.unref();
  }

  /** Writes the changes counted since the last write to the log (before any snapshot: it covers them). */
  private writePending(): void {
    if (this.pendingWrite !== null) clearImmediate(this.pendingWrite);
    this.pendingWrite = null;
    if (this.pending.length > 0) this.countersStore?.appendAll(this.pending.splice(0));
  }

  /** Saves the counters whole (the log written so far is the last the snapshot covers). */
  private saveCounters(): Promise<void> {
    this.writePending();
    return this.countersStore?.save(this.counts.snapshot()) ?? Promise.resolve();
  }

  /** Tries to open again after DICOM_PORT_RETRY_MS, unless something closed, restarted or stopped the receiver meanwhile. */
  private retryLater(): void {
    this.cancelRetry();
    this.retry = setTimeout(() => {
      this.retry = null;
      void this.lifecycle.run(async () => {
        if (this.stopped || this.ports === null || this.server !== null) return;
        await this.open();
      });
    }, DICOM_PORT_RETRY_MS);
    this.retry.unref();
  }

  private cancelRetry(): void {
    if (this.retry !== null) clearTimeout(this.retry);
    this.retry = null;
  }

  private async close(reason: string, announce = true): Promise<void> {
    this.cancelRetry();
    const server = this.server;
    this.server = null;
    if (server !== null) await server.close();
    if (announce) this.setStatus({ channel: 'dicom', state: 'closed', reason: this.stopped ? 'The node is stopping.' : reason });
  }

  private setStatus(next: ListenerStatus): void {
    if (JSON.stringify(next) === JSON.stringify(this.current)) return;
    this.current = next;
    for (const listener of [...this.statusListeners]) listener();
  }
}
