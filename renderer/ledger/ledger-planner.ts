import type { JournalRecord } from '../../shared/ipc/journal-contract';
import type { LedgerEntryKind } from '../../shared/ledger/ledger-schema';
import { ledgerKindOf } from './ledger-details';

/**
 * Which entries the journal calls for, in order (the batching rule).
 *
 * Every entry accounts for a contiguous range of journal records, (previous entry's `to`, `to`],
 * recorded in its sealed details; ranges follow each other without gaps or overlaps. On start the
 * writer resumes after the `to` of the last entry in the ledger view, so a crash between signing
 * and appending re-plans the same range (one entry for it, never two), and a crash after the
 * append finds the entry in the journal.
 *
 *   - Acts (view.access, erasure.patient, operator.changed, export.*, settings.*, consent.*): one
 *     entry each, covering up to their own record.
 *   - Intake (intake.*): batched. A batch is a run of intake records, and closes at the first of:
 *     an act (the batch is signed first, so entries stay in journal order); MAX_BATCH_RECORDS intake
 *     records or MAX_BATCH_OBJECTS objects; or, at the end of the journal, when intake has paused
 *     (its last record is QUIET_MS old) or the batch's first record is WINDOW_MS old. Under
 *     steady intake that is one entry per minute or per 500 messages, whichever comes first.
 *   - Everything else (ledger.entry, vault.created, erased tombstones, journal.repaired…) needs no
 *     entry of its own; it falls inside the range of the next entry.
 */

export interface BatchRules {
  readonly maxRecords: number;
  readonly maxObjects: number;
  readonly windowMs: number;
  readonly quietMs: number;
}

export const DEFAULT_BATCH_RULES: BatchRules = { maxRecords: 500, maxObjects: 4096, windowMs: 60_000, quietMs: 2_000 };

export type PlannedEntry =
  | { readonly kind: 'INTAKE_BATCH'; readonly from: number; readonly to: number; readonly records: readonly JournalRecord[] }
  | { readonly kind: Exclude<LedgerEntryKind, 'INTAKE_BATCH'>; readonly from: number; readonly to: number; readonly record: JournalRecord };

export class LedgerPlanner {
  private from: number;
  private batch: JournalRecord[] = [];
  private batchObjects = 0;

  constructor(
    coveredTo: number,
    private readonly rules: BatchRules = DEFAULT_BATCH_RULES,
  ) {
    this.from = coveredTo + 1;
  }

  /** Feeds the next journal record (in seq order); returns the entries it closes. */
  push(record: JournalRecord): PlannedEntry[] {
    const kind = ledgerKindOf(record.kind);
    if (kind === null) return [];
    const out: PlannedEntry[] = [];
    if (kind === 'INTAKE_BATCH') {
      const full = this.batch.length >= this.rules.maxRecords || (this.batch.length > 0 && this.batchObjects + record.objects.length > this.rules.maxObjects);
      if (full) out.push(this.close()!);
      this.batch.push(record);
      this.batchObjects += record.objects.length;
      return out;
    }
    const closed = this.close();
    if (closed !== null) out.push(closed);
    out.push({ kind, from: this.from, to: record.seq, record });
    this.from = record.seq + 1;
    return out;
  }

  /** The open batch at the end of the journal: closed now when `force`, or when its time has come. */
  finish(now: number, force: boolean): { readonly closed: PlannedEntry | null; readonly waitMs: number | null } {
    if (this.batch.length === 0) return { closed: null, waitMs: null };
    const first = Date.parse(this.batch[0]!.at);
    const last = Date.parse(this.batch.at(-1)!.at);
    const due = Math.min(first + this.rules.windowMs, last + this.rules.quietMs);
    if (force || now >= due) return { closed: this.close(), waitMs: null };
    return { closed: null, waitMs: due - now };
  }

  private close(): PlannedEntry | null {
    if (this.batch.length === 0) return null;
    const records = this.batch;
    const planned: PlannedEntry = { kind: 'INTAKE_BATCH', from: this.from, to: records.at(-1)!.seq, records };
    this.from = planned.to + 1;
    this.batch = [];
    this.batchObjects = 0;
    return planned;
  }
}
