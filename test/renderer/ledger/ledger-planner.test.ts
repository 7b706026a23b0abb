import { describe, expect, it } from 'vitest';
import type { JournalRecord } from '../../../shared/ipc/journal-contract';
import { LedgerPlanner, type BatchRules, type PlannedEntry } from '../../../renderer/ledger/ledger-planner';

/** The batching rule: contiguous ranges, acts one each, intake in batches that close by size, by an act, or by time. */

const T0 = Date.parse('2025-03-01T10:00:00.000Z');
const rules: BatchRules = { maxRecords: 3, maxObjects: 5, windowMs: 60_000, quietMs: 2_000 };
let seq = 0;
function record(kind: string, objects = 1, atMs = T0): JournalRecord {
  seq += 1;
  return { seq, kind, at: new Date(atMs).toISOString(), operator: null, objects: Array.from({ length: objects }, (_, i) => `${seq.toString(16).padStart(2, '0')}${i.toString(16).padStart(62, '0')}`), meta: null };
}
const shape = (planned: readonly PlannedEntry[]) => planned.map((p) => [p.kind, p.from, p.to, 'records' in p ? p.records.length : 1]);

describe('LedgerPlanner', () => {
  it('covers the journal in contiguous ranges: batches close at an act, at the size limit and at the end', () => {
    seq = 0;
    const planner = new LedgerPlanner(0, rules);
    const out: PlannedEntry[] = [];
    for (const r of [
      record('vault.created', 0), // 1: no entry of its own
      record('operator.changed', 0), // 2: OPERATOR_CHANGE 1–2
      record('intake.hl7'), // 3
      record('intake.hl7'), // 4
      record('ledger.entry', 0), // 5: inside the batch's range
      record('intake.dicom'), // 6 → batch 3–6 (3 records)
      record('intake.hl7'), // 7 → new batch (size)
      record('view.access', 0), // 8 → batch 7–7, then ACCESS 8–8
      record('intake.hl7'), // 9
    ]) out.push(...planner.push(r));
    expect(shape(out)).toEqual([
      ['OPERATOR_CHANGE', 1, 2, 1],
      ['INTAKE_BATCH', 3, 6, 3],
      ['INTAKE_BATCH', 7, 7, 1],
      ['ACCESS', 8, 8, 1],
    ]);
    // The open batch (9) waits: its record is fresh.
    expect(planner.finish(T0 + 500, false)).toEqual({ closed: null, waitMs: 1_500 });
    // Intake paused for quietMs: it closes.
    expect(shape([planner.finish(T0 + 2_000, false).closed!])).toEqual([['INTAKE_BATCH', 9, 9, 1]]);
  });

  it('closes by object count, by the window under steady intake, and on force', () => {
    seq = 0;
    const planner = new LedgerPlanner(0, rules);
    expect(planner.push(record('intake.dicom', 4))).toEqual([]);
    expect(shape(planner.push(record('intake.dicom', 2)))).toEqual([['INTAKE_BATCH', 1, 1, 1]]);
    // Steady intake: the last record is always fresh, but the first is windowMs old.
    planner.push(record('intake.hl7', 1, T0 + 59_000));
    expect(planner.finish(T0 + 59_500, false).closed).toBeNull();
    expect(shape([planner.finish(T0 + 60_000, false).closed!])).toEqual([['INTAKE_BATCH', 2, 3, 2]]);
    planner.push(record('intake.hl7', 1, T0 + 61_000));
    expect(shape([planner.finish(T0 + 61_000, true).closed!])).toEqual([['INTAKE_BATCH', 4, 4, 1]]);
    expect(planner.finish(T0 + 99_000, false)).toEqual({ closed: null, waitMs: null });
  });

  it('resumes after the last covered seq: the same journal planned from there gives the rest only', () => {
    seq = 0;
    const records = [record('operator.changed', 0), record('intake.hl7'), record('view.access', 0), record('export.ledger', 0)];
    const all = new LedgerPlanner(0, rules);
    const full = records.flatMap((r) => all.push(r));
    const resumed = new LedgerPlanner(full[1]!.to, rules);
    expect(shape(records.slice(2).flatMap((r) => resumed.push(r)))).toEqual(shape(full.slice(2)));
  });
});
