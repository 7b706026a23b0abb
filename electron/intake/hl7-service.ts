import path from 'node:path';
import { createHash } from 'node:crypto';
import type { Hl7Charset, IntakeMessageResult, IntakeMonitor as IntakeMonitorData, IntakeSettings, IntakeTotals, ListenerStatus } from '../../shared/ipc';
import { MAX_REFUSED_PEERS } from '../../shared/ipc/intake-contract';
import { SerialQueue } from '../async/serial-queue';
import { INTAKE_COUNTERS_RESET_KIND, QUARANTINE_KINDS } from '../../shared/journal/journal-kinds';
import { Refusal } from '../errors/refusal';
import { StorageError } from '../storage/storage-errors';
import { openHl7Dedupe, type Hl7Dedupe } from './hl7/hl7-duplicates';
import { createHl7Intake, type Hl7CountedChange, type Hl7ImportResult, type Hl7Intake, type Hl7IntakeStats, type Hl7Logger } from './hl7/hl7-intake';
import { budgetedPrepare, Hl7BudgetWorker } from './hl7/hl7-budget-worker';
import { defaultPrepareThreads, Hl7PreparePool } from './hl7/hl7-prepare-pool';
import { startMllpServer, type MllpServer } from './hl7/mllp-server';
import type { IntakeChannel, IntakeVaultPorts } from './intake-channel';
import { importedFileFrom, type ImportPosition } from './import-source';
import { CountersStore } from './intake-counters-store';
import { HL7_COUNTERS, HL7_COUNTERS_FILE } from './hl7/hl7-counters';
import { IntakeMonitor, type CountersSnapshot } from './intake-monitor';
import { reachableAddresses, type IntakeSettingsStore } from './intake-settings';

/** A refusal of hl7 work (the router turns it into a wire error). */
export class Hl7Refusal extends Refusal {}

/** Journal kinds of the quarantine's resolutions (acts of an operator; the mind journals no intake kinds). */
export const REPROCESSED_KIND = QUARANTINE_KINDS.reprocessed;
export const COUNTERS_RESET_KIND = INTAKE_COUNTERS_RESET_KIND;
export const DISCARDED_KIND = QUARANTINE_KINDS.discarded;
export const QUARANTINE_KIND = QUARANTINE_KINDS.quarantined;

/** What the HL7 intake needs of an open vault: what every intake channel gets. */
export type Hl7VaultPorts = IntakeVaultPorts;

export interface Hl7ServiceOptions {
  readonly dataDir: string;
  readonly log: Hl7Logger;
  readonly settings: IntakeSettingsStore;
  /** `--mllp-port N` for this run (0 = disabled), or null. */
  readonly portOverride: number | null;
  /** Counters changed (coalesced to at most one call a second). */
  readonly onActivity: (totals: IntakeTotals) => void;
  /** MLLP: silence allowed inside an unfinished frame; close() wait for in-flight ACKs. */
  readonly idleTimeoutMs?: number;
  readonly closeTimeoutMs?: number;
  /**
   * Intake worker threads that parse, map and seal MLLP frames off the listener's thread
   * (hl7/hl7-prepare-pool.ts); `threads` defaults to `defaultPrepareThreads()` (0 on 2 CPUs or
   * fewer). The same script runs the budget worker for large frames (hl7/hl7-budget-worker.ts),
   * whatever `threads` says. Absent: everything runs on the listener's thread.
   */
  readonly prepareWorkers?: { readonly script: string; readonly threads?: number };
}

/** The unkeyed duplicate index of earlier versions: removed at attach (see openHl7Dedupe). */
export const HL7_DEDUPE_FILE = ['vault', 'intake', 'hl7-dedupe.jsonl'] as const;
/** The duplicate index: its key, manifest and run files (hl7/hl7-duplicates.ts). */
export const HL7_DEDUPE_DIR = ['vault', 'intake', 'hl7-dedupe'] as const;

/** Before attach: with no vault, intake-status.ts shows its own reason instead. */
const NOT_OPEN_REASON = 'The HL7 listener opens once this node has the vault open (it seals everything it receives to the vault).';
const encoder = new TextEncoder();

interface Attached {
  readonly ports: Hl7VaultPorts;
  readonly dedupe: Hl7Dedupe;
  intake: Hl7Intake;
  stats: () => Hl7IntakeStats;
  /** The settings the intake was built with (charset and size cap). */
  built: Pick<IntakeSettings, 'defaultCharset' | 'maxMessageBytes'>;
  server: MllpServer | null;
  /** The intake worker threads, when configured and started. */
  readonly pool: Hl7PreparePool | null;
  /** The thread that prepares large frames within a CPU budget (hl7/hl7-budget-worker.ts), when it started. */
  readonly budget: Hl7BudgetWorker | null;
  /** Quarantine records already resolved (discarded, or reprocessed into stored messages); read from the journal on first use. */
  resolved: Set<number> | null;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.name : typeof error;
}

/** Words for a listen failure: the OS code, the address and port, what to do. */
function listenFailure(error: unknown, address: string, port: number): string {
  const code = (error as NodeJS.ErrnoException)?.code;
  switch (code) {
    case 'EADDRINUSE':
      return `Port ${port} on ${address} is in use by another program; choose another port in the intake settings (or start with --mllp-port).`;
    case 'EADDRNOTAVAIL':
      return `The address ${address} does not belong to this computer; choose another bind address in the intake settings.`;
    case 'EACCES':
    case 'EPERM':
      return `This account may not listen on port ${port} on ${address} (ports below 1024 need administrator rights); choose another port.`;
    default:
      return `The HL7 listener could not open on ${address}:${port} (${code ?? describe(error)}).`;
  }
}

function toResult(file: number, result: Hl7ImportResult): IntakeMessageResult {
  return {
    file,
    index: result.index,
    messageType: result.messageType.slice(0, 40),
    controlId: result.controlId.slice(0, 200),
    ack: result.ack,
    ...(result.reason !== undefined ? { reason: result.reason.slice(0, 500) } : {}),
    ...(result.duplicate === true ? { duplicate: true } : {}),
    ...(result.conflict === true ? { conflict: true } : {}),
    ...(result.quarantined === true ? { quarantined: true } : {}),
    ...(result.mapping !== undefined ? { mapping: result.mapping } : {}),
    ...(result.batchNote !== undefined ? { batchNote: result.batchNote.slice(0, 300) } : {}),
  };
}

/**
 * The HL7 v2 intake as the body runs it (issue 4): the MLLP listener, file import, the monitor's
 * figures, and the quarantine's reprocess and discard acts. Attached to an open vault (design §4
 * rule 0: the listener opens once a vault exists, without any unlock), detached at stop.
 * Listener changes (attach, settings, detach) run one at a time.
 */
export class Hl7Service implements IntakeChannel {
  private attached: Attached | null = null;
  readonly channel = 'hl7-mllp' as const;
  private current: ListenerStatus = { channel: 'hl7-mllp', state: 'closed', reason: NOT_OPEN_REASON };
  private readonly statusListeners = new Set<() => void>();
  private readonly lifecycle = new SerialQueue();
  /** Reprocess and discard run one at a time, so one quarantine record is never resolved twice. */
  private readonly acts = new SerialQueue();
  private readonly monitorData: IntakeMonitor;
  /** Where the counters are kept across restarts: set at the first attach (a vault exists), once per run. */
  private counters: CountersStore<CountersSnapshot, Hl7CountedChange> | null = null;
  private stopped = false;

  constructor(private readonly options: Hl7ServiceOptions) {
    this.monitorData = new IntakeMonitor({ onActivity: options.onActivity, onCounters: (snapshot) => void this.counters?.save(snapshot) });
  }

  /** IntakeChannel: the listener's status. */
  status(): ListenerStatus {
    return this.current;
  }

  /** IntakeChannel: told after every status change (the intake feature re-derives intake.statusChanged). */
  onStatusChanged(listener: () => void): () => void {
    this.statusListeners.add(listener);
    return () => this.statusListeners.delete(listener);
  }

  get isAttached(): boolean {
    return this.attached !== null;
  }

  /** Opens the duplicate index and the listener for an open vault. Idempotent. */
  attach(ports: Hl7VaultPorts): Promise<void> {
    return this.lifecycle.run(async () => {
      if (this.attached !== null || this.stopped) return;
      let dedupe: Hl7Dedupe;
      try {
        // Caught up from the journal's tags (or rebuilt from them) before the listener opens.
        dedupe = await openHl7Dedupe({
          dir: path.join(this.options.dataDir, ...HL7_DEDUPE_DIR),
          journal: ports.journal,
          legacyFile: path.join(this.options.dataDir, ...HL7_DEDUPE_FILE),
          log: this.options.log,
        });
      } catch (error) {
        const code = (error as NodeJS.ErrnoException)?.code ?? describe(error);
        this.setStatus({ channel: 'hl7-mllp', state: 'error', reason: `The HL7 duplicate index in the vault folder could not be opened (${code}); the listener stays closed. Check that the data folder is writable.` });
        throw error;
      }
      if (this.counters === null) {
        // Once per run: what an earlier run counted is the baseline (a second attach, after a
        // restore, keeps counting on from what this run saved).
        const store = new CountersStore(HL7_COUNTERS, path.join(this.options.dataDir, ...HL7_COUNTERS_FILE), this.options.log);
        const saved = await store.load();
        if (saved !== null) this.monitorData.restore(saved);
        this.counters = store;
      }
      const settings = this.options.settings.get();
      const pool = await this.startPool(ports);
      const budget = await this.startBudget(ports);
      const intake = this.buildIntake(ports, dedupe, settings, pool, budget);
      const stats = () => intake.stats();
      this.monitorData.attach(stats);
      this.attached = { ports, dedupe, intake, stats, built: { defaultCharset: settings.defaultCharset, maxMessageBytes: settings.maxMessageBytes }, server: null, pool, budget, resolved: null };
      await this.openListener(this.attached);
    });
  }

  /** Closes the listener (in-flight ACKs finish) and the duplicate index. */
  detach(reason: string): Promise<void> {
    return this.lifecycle.run(async () => {
      const attached = this.attached;
      if (attached === null) return;
      await this.closeListener(attached, reason);
      this.attached = null;
      this.monitorData.retire(attached.stats);
      await attached.pool?.close();
      await attached.budget?.close();
      await attached.dedupe.close();
    });
  }

  /**
   * After an erasure rewrote the journal (the records of `seqs` became tombstones, which carry no
   * dedupe tag): the duplicate index forgets them, so a resend of an erased message is stored
   * again. Without this call such a resend is still stored (every hit is confirmed against the
   * journal), but the erased records' keyed entries would stay in the index files until then.
   */
  afterErasure(seqs: readonly number[]): Promise<void> {
    return this.lifecycle.run(async () => {
      await this.attached?.dedupe.forget(seqs);
    });
  }

  /** At body stop: detach and refuse to attach again. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.detach('The node is stopping.');
    this.monitorData.stop();
    if (this.counters !== null) {
      await this.counters.save(this.monitorData.snapshot());
      await this.counters.flush();
      this.counters.close();
    }
  }

  /** Saves a settings change (throws IntakeSettingsError when refused) and applies it to the listener. */
  async updateSettings(change: Partial<IntakeSettings>): Promise<ListenerStatus> {
    const settings = await this.options.settings.update(change);
    await this.lifecycle.run(async () => {
      const attached = this.attached;
      if (attached === null) return;
      if (attached.built.defaultCharset !== settings.defaultCharset || attached.built.maxMessageBytes !== settings.maxMessageBytes) {
        this.monitorData.retire(attached.stats);
        const intake = this.buildIntake(attached.ports, attached.dedupe, settings, attached.pool, attached.budget);
        attached.intake = intake;
        attached.stats = () => intake.stats();
        attached.built = { defaultCharset: settings.defaultCharset, maxMessageBytes: settings.maxMessageBytes };
        this.monitorData.attach(attached.stats);
      }
      await this.closeListener(attached, 'Restarting with new settings.', false);
      await this.openListener(attached);
    });
    return this.current;
  }

  monitor(): IntakeMonitorData {
    const server = this.attached?.server ?? null;
    const refused = server?.refused() ?? { peers: [], others: 0 };
    return {
      listener: this.current,
      countersSince: this.monitorData.since(),
      totals: this.monitorData.totals(),
      senders: this.monitorData.senders(),
      recent: this.monitorData.recent(),
      throughput: this.monitorData.throughput(),
      connections: (server?.connections() ?? []).map((connection) => ({ peer: connection.peer.slice(0, 80), since: connection.connectedAt, received: connection.framesReceived })),
      ...(refused.peers.length > 0 ? { refused: refused.peers.slice(0, MAX_REFUSED_PEERS).map((peer) => ({ ...peer, address: peer.address.slice(0, 64) })) } : {}),
      ...(refused.others > 0 ? { refusedOthers: refused.others } : {}),
    };
  }

  /**
   * Imports files' bytes (file names never come here): one result per message, by file index.
   * `position`: their places in the operator's import (refused unless one per file).
   */
  async importFiles(files: readonly Uint8Array[], charset?: Hl7Charset, position?: ImportPosition): Promise<{ results: IntakeMessageResult[]; emptyFiles: number[] }> {
    if (position !== undefined && position.files.length !== files.length) throw new Refusal('E_BAD_REQUEST', `position: one per file sent (${position.files.length} for ${files.length} files).`);
    const attached = this.requireAttached();
    const results: IntakeMessageResult[] = [];
    const emptyFiles: number[] = [];
    await this.withIntake(attached, charset, async (intake) => {
      for (const [file, bytes] of files.entries()) {
        // The source recorded (sealed) in quarantine records and written to the log: a position, never the file's name.
        if (bytes.length === 0) {
          // Nothing to keep or answer (an empty file dropped by mistake, a folder's placeholder).
          emptyFiles.push(file);
          continue;
        }
        const fileResults = await intake.importFile(bytes, { name: importedFileFrom(position, file) });
        this.monitorData.note();
        if (fileResults.length === 0) emptyFiles.push(file);
        for (const result of fileResults) results.push(toResult(file, result));
      }
    });
    this.options.log.info({ files: files.length, messages: results.length, emptyFiles: emptyFiles.length }, 'HL7 files imported');
    return { results, emptyFiles };
  }

  /**
   * Runs a quarantined message's bytes again; journals `intake.reprocessed`. `charset` is the
   * charset for an empty MSH-18, or with `override` for every message whatever MSH-18 says.
   * `edited`: the operator changed the bytes (the mind says so; the new records hold the edited
   * copy, the quarantine record keeps the original). The act records both and the SHA-256 of the
   * bytes run, so an auditor can match them to the records they produced.
   */
  reprocess(
    quarantineSeq: number,
    raw: Uint8Array,
    operatorId: string,
    charset?: Hl7Charset,
    options: { readonly override?: boolean; readonly edited?: boolean } = {},
  ): Promise<{ seq: number; resolved: boolean; results: IntakeMessageResult[] }> {
    return this.acts.run(async () => {
      const attached = this.requireAttached();
      await this.requireOpenQuarantine(attached, quarantineSeq);
      const override = options.override === true && charset !== undefined;
      let runResults: Hl7ImportResult[] = [];
      await this.withIntake(
        attached,
        charset,
        async (intake) => {
          // Channel hl7-reprocess: what it stores says it is this operator's run (edited or not) of
          // that record, and the sender's counters do not count it as sent again.
          const reprocess = { quarantineSeq, edited: options.edited === true, ...(charset !== undefined ? { charset } : {}), ...(override ? { charsetOverride: true } : {}) };
          runResults = await intake.importFile(raw, { name: `reprocess of record ${quarantineSeq}`, reprocess });
          this.monitorData.note();
        },
        override,
      );
      // Settled when every message of the run is in the vault now: filed, or held in a quarantine
      // record of its own written by this run (QA2-11 Q2: left open, the entry could be filed a
      // second time beside its edited copy). Answered as before, or not stored: the entry stays open.
      const heldAgainAs = runResults.flatMap((result) => (result.quarantineSeq !== undefined && result.duplicate !== true ? [result.quarantineSeq] : []));
      const resolved =
        runResults.length > 0 &&
        runResults.every((result) => (result.ack === 'AA' && result.quarantined !== true && result.duplicate !== true) || (result.quarantineSeq !== undefined && result.duplicate !== true));
      const at = new Date().toISOString();
      const how = {
        ...(charset !== undefined ? { charset } : {}),
        ...(override ? { charsetOverride: true } : {}),
        ...(options.edited === true ? { edited: true, rawSha256: createHash('sha256').update(raw).digest('hex') } : {}),
      };
      const results = runResults.map((result) => toResult(0, result));
      const held = heldAgainAs.length > 0 ? { heldAgainAs } : {};
      const seq = await this.appendAct(attached, REPROCESSED_KIND, operatorId, { quarantineSeq, resolved: resolved ? 1 : 0 }, { v: 1, type: 'reprocessed', quarantineSeq, resolved, at, ...how, ...held, results });
      if (resolved) attached.resolved?.add(quarantineSeq);
      this.options.log.info({ quarantineSeq, seq, resolved, messages: results.length, heldAgain: heldAgainAs.length }, 'quarantined HL7 message reprocessed');
      return { seq, resolved, results };
    });
  }

  /** QuarantineActs (intake-feature.ts): another channel's reprocess, in the queue of discards and HL7 reprocesses. */
  reprocessWith(
    quarantineSeq: number,
    operatorId: string,
    work: () => Promise<{ readonly resolved: boolean; readonly details: Readonly<Record<string, unknown>> }>,
  ): Promise<{ seq: number; resolved: boolean }> {
    return this.acts.run(async () => {
      const attached = this.requireAttached();
      await this.requireOpenQuarantine(attached, quarantineSeq);
      const { resolved, details } = await work();
      const at = new Date().toISOString();
      const seq = await this.appendAct(attached, REPROCESSED_KIND, operatorId, { quarantineSeq, resolved: resolved ? 1 : 0 }, { ...details, v: 1, type: 'reprocessed', quarantineSeq, resolved, at });
      if (resolved) attached.resolved?.add(quarantineSeq);
      this.options.log.info({ quarantineSeq, seq, resolved }, 'quarantined input reprocessed by its channel');
      return { seq, resolved };
    });
  }

  /**
   * Starts the HL7 counters (totals and per sender) again from zero; journals
   * `intake.countersReset` as the operator with what they showed before (sealed), so an auditor
   * sees who cleared which figures when.
   */
  resetCounters(operatorId: string): Promise<{ seq: number; since: string }> {
    return this.acts.run(async () => {
      const attached = this.requireAttached();
      const before = this.monitorData.snapshot();
      const { since } = this.monitorData.reset();
      await this.counters?.flush();
      const seq = await this.appendAct(attached, COUNTERS_RESET_KIND, operatorId, {}, { v: 1, type: 'countersReset', at: since, before });
      this.options.log.info({ seq, received: before.totals.received, senders: before.senders.length }, 'HL7 counters reset');
      this.monitorData.note();
      return { seq, since };
    });
  }

  /** Marks a quarantined input discarded; journals `intake.discarded`; logged on `log` (its channel's), else on HL7's. */
  discard(quarantineSeq: number, operatorId: string, log: { info(object: object, message: string): void } = this.options.log): Promise<{ seq: number }> {
    return this.acts.run(async () => {
      const attached = this.requireAttached();
      await this.requireOpenQuarantine(attached, quarantineSeq);
      const at = new Date().toISOString();
      const seq = await this.appendAct(attached, DISCARDED_KIND, operatorId, { quarantineSeq }, { v: 1, type: 'discarded', quarantineSeq, at });
      attached.resolved?.add(quarantineSeq);
      log.info({ quarantineSeq, seq }, 'quarantined input discarded');
      return { seq };
    });
  }

  private buildIntake(ports: Hl7VaultPorts, dedupe: Hl7Dedupe, settings: Pick<IntakeSettings, 'defaultCharset' | 'maxMessageBytes'> & { readonly forceCharset?: string }, pool: Hl7PreparePool | null, budget: Hl7BudgetWorker | null): Hl7Intake {
    return createHl7Intake({
      ingest: (input) => ports.pipeline.ingest(input),
      quarantine: (input) => ports.pipeline.quarantine(input),
      dedupe,
      log: this.options.log,
      defaultCharset: settings.defaultCharset,
      ...(settings.forceCharset !== undefined ? { forceCharset: settings.forceCharset } : {}),
      maxMessageBytes: settings.maxMessageBytes,
      onCounted: (change) => this.counters?.append(change),
      ...(pool !== null || budget !== null ? { offload: { prepare: budgetedPrepare({ budget, pool }), commit: (record) => ports.pipeline.commitSealed(record) } } : {}),
    });
  }

  /** The intake worker threads, or null (not configured, or they could not start: then the listener's thread does it all). */
  private async startPool(ports: Hl7VaultPorts): Promise<Hl7PreparePool | null> {
    const config = this.options.prepareWorkers;
    if (config === undefined) return null;
    const threads = config.threads ?? defaultPrepareThreads();
    if (threads === 0) {
      this.options.log.info({ threads: 0 }, 'HL7 intake runs on the listener thread (this machine has too few CPUs for intake worker threads to pay off)');
      return null;
    }
    try {
      const pool = await Hl7PreparePool.start({ script: config.script, intakePublicKey: ports.intakePublicKey, log: this.options.log, threads });
      this.options.log.info({ threads: pool.threads }, 'HL7 intake worker threads started');
      return pool;
    } catch (error) {
      this.options.log.warn({ error: error instanceof Error ? error.message : describe(error) }, 'HL7 intake worker threads could not start; the listener thread prepares every message itself');
      return null;
    }
  }

  /**
   * The budget worker: large frames are parsed and mapped there, within a CPU budget, whatever the
   * number of CPUs (a pathological message must not stall the listener). Null when not configured
   * or it cannot start (then the listener's thread does it all, as before).
   */
  private async startBudget(ports: Hl7VaultPorts): Promise<Hl7BudgetWorker | null> {
    const config = this.options.prepareWorkers;
    if (config === undefined) return null;
    try {
      return await Hl7BudgetWorker.start({ script: config.script, intakePublicKey: ports.intakePublicKey, log: this.options.log });
    } catch (error) {
      this.options.log.warn({ error: error instanceof Error ? error.name : describe(error) }, 'HL7 budget worker could not start; large messages are parsed on the listener thread');
      return null;
    }
  }

  /** Runs `work` with the live intake, or with a short-lived one using another default charset. */
  /** Runs `work` on the intake, or on a short-lived one with another default charset (or, `force`, a charset that wins over MSH-18). */
  private async withIntake(attached: Attached, charset: Hl7Charset | undefined, work: (intake: Hl7Intake) => Promise<void>, force = false): Promise<void> {
    if (charset === undefined || (!force && charset === attached.built.defaultCharset)) {
      await work(attached.intake);
      return;
    }
    const settings = force ? { defaultCharset: attached.built.defaultCharset, forceCharset: charset } : { defaultCharset: charset };
    const intake = this.buildIntake(attached.ports, attached.dedupe, { ...settings, maxMessageBytes: attached.built.maxMessageBytes }, null, null);
    const stats = () => intake.stats();
    this.monitorData.attach(stats);
    try {
      await work(intake);
    } finally {
      this.monitorData.retire(stats);
    }
  }

  private requireAttached(): Attached {
    if (this.attached !== null) return this.attached;
    throw new Hl7Refusal(
      'E_CONFLICT',
      this.stopped ? 'The node is shutting down.' : 'No vault is open in this data folder; create one (or restore a backup) before importing.',
    );
  }

  private async requireOpenQuarantine(attached: Attached, quarantineSeq: number): Promise<void> {
    const missing = () => new Hl7Refusal('E_BAD_REQUEST', `quarantineSeq: no quarantined input has the number ${quarantineSeq}.`);
    let page: Awaited<ReturnType<IntakeVaultPorts['journal']['read']>>;
    try {
      page = await attached.ports.journal.read({ after: quarantineSeq - 1, limit: 1 });
    } catch (error) {
      // A number past the journal's end is the client's mistake, not a cursor to rebuild views from.
      if (error instanceof StorageError && error.code === 'E_INVALID') throw missing();
      throw error;
    }
    const record = page.records[0];
    if (record === undefined || record.seq !== quarantineSeq || record.kind !== QUARANTINE_KIND) throw missing();
    attached.resolved ??= await this.readResolved(attached);
    if (attached.resolved.has(quarantineSeq)) {
      throw new Hl7Refusal('E_CONFLICT', `Quarantine record ${quarantineSeq} was resolved already (reprocessed into the vault, or discarded).`);
    }
  }

  /** The quarantine records resolved so far, from the plaintext notes of the resolution records. */
  private async readResolved(attached: Attached): Promise<Set<number>> {
    const resolved = new Set<number>();
    for (let after = 0; ; ) {
      const page = await attached.ports.journal.read({ after, limit: 10_000 });
      for (const record of page.records) {
        const target = record.note?.['quarantineSeq'];
        if (target === undefined) continue;
        if (record.kind === DISCARDED_KIND || (record.kind === REPROCESSED_KIND && record.note?.['resolved'] === 1)) resolved.add(target);
      }
      if (page.end || page.nextCursor === after) break;
      after = page.nextCursor;
    }
    return resolved;
  }

  /**
   * Journals an operator's act. `operatorId`: the calling session's account id (the body's
   * sessions, never the payload), kept in the sealed meta as the body's audit records keep theirs;
   * the record's own operator field (a pseudonym only the mind can derive) stays null, and the
   * mind's ledger writer signs the act under the pseudonym of `operatorId` (tester's finding 1).
   */
  private async appendAct(attached: Attached, kind: string, operatorId: string, note: Record<string, number>, sealedMeta: object): Promise<number> {
    const meta = await attached.ports.sealer.seal('journalMetadata', encoder.encode(JSON.stringify({ ...sealedMeta, operatorId })), { compress: 'plain' });
    const { seq } = await attached.ports.journal.append({ kind, operator: null, objects: [], meta, note });
    attached.ports.onDurable(seq);
    return seq;
  }

  private effectivePort(): { port: number; disabled: { reason: string; off: 'command-line' | 'settings' } | null } {
    const override = this.options.portOverride;
    if (override !== null) return { port: override, disabled: override === 0 ? { reason: 'The HL7 listener is turned off for this run (started with --mllp-port 0).', off: 'command-line' } : null };
    const { port } = this.options.settings.get();
    return { port, disabled: port === 0 ? { reason: 'The HL7 listener is turned off in the intake settings (port 0).', off: 'settings' } : null };
  }

  private async openListener(attached: Attached): Promise<void> {
    const settings = this.options.settings.get();
    const { port, disabled } = this.effectivePort();
    if (disabled !== null) {
      this.setStatus({ channel: 'hl7-mllp', state: 'closed', reason: disabled.reason, off: disabled.off });
      return;
    }
    const handlerIntake = () => attached.intake;
    try {
      attached.server = await startMllpServer({
        port,
        host: settings.bindAddress,
        ...(settings.allowedPeers.length > 0 ? { allowedPeers: settings.allowedPeers } : {}),
        maxMessageBytes: settings.maxMessageBytes,
        ...(settings.maxConnectionsPerPeer !== undefined ? { maxConnectionsPerPeer: settings.maxConnectionsPerPeer } : {}),
        handler: async (frame, peer) => {
          try {
            return await handlerIntake().handleFrame(frame, peer);
          } finally {
            this.monitorData.note();
          }
        },
        onOversize: async (head, bytes, peer) => {
          try {
            return await handlerIntake().handleOversize(head, bytes, peer);
          } finally {
            this.monitorData.note();
          }
        },
        log: this.options.log,
        ...(this.options.idleTimeoutMs !== undefined ? { idleTimeoutMs: this.options.idleTimeoutMs } : {}),
        ...(this.options.closeTimeoutMs !== undefined ? { closeTimeoutMs: this.options.closeTimeoutMs } : {}),
      });
      const addresses = reachableAddresses(attached.server.address);
      this.setStatus({ channel: 'hl7-mllp', state: 'listening', address: attached.server.address, port: attached.server.port, ...(addresses.length === 0 ? {} : { addresses }) });
    } catch (error) {
      attached.server = null;
      const reason = listenFailure(error, settings.bindAddress, port);
      this.options.log.error({ port, code: (error as NodeJS.ErrnoException)?.code ?? describe(error) }, 'HL7 listener could not open');
      this.setStatus({ channel: 'hl7-mllp', state: 'error', reason: reason.slice(0, 500), address: settings.bindAddress, port });
    }
  }

  private async closeListener(attached: Attached, reason: string, announce = true): Promise<void> {
    const server = attached.server;
    attached.server = null;
    if (server !== null) await server.close();
    if (announce) this.setStatus({ channel: 'hl7-mllp', state: 'closed', reason: this.stopped ? 'The node is stopping.' : reason });
  }

  private setStatus(next: ListenerStatus): void {
    if (JSON.stringify(next) === JSON.stringify(this.current)) return;
    this.current = next;
    for (const listener of [...this.statusListeners]) listener();
  }
}

