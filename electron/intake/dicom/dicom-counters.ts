import { z } from 'zod';
import { DICOM_REJECTION_REASONS, DicomCallerSchema, DicomCountersSchema, type DicomRejectionReason, type DicomStatus } from '../../../shared/ipc/dicom-contract';
import { countersFile, type CountersChannel } from '../intake-counters-store';
import { DicomCallers, MAX_OTHER_CALLED_AE_TITLES, type DicomCallerRow, type DicomSavedCaller } from './dicom-callers';

/**
 * The DICOM receiver's counters as kept across restarts (T1 F4, intake-counters-store.ts): the
 * totals, the calling-AE rows and their refusals, in `vault/intake/dicom-counters.json` and
 * `dicom-counters.<n>.log`. AE titles, addresses and figures only: no patient data.
 */
export const DICOM_COUNTERS_FILE = countersFile('dicom');

type Counters = { -readonly [K in keyof DicomStatus['counters']]: number };
/** The counters a C-STORE answered Success goes to, by what the intake did with it. */
export type DicomSuccessCounter = 'stored' | 'held' | 'duplicates' | 'conflicts';

/**
 * One change to the counters, as the receiver counts it and as a write-ahead log line:
 * an association accepted, one refused (its reason, the called AE title asked for), a C-ECHO,
 * a C-STORE's outcome when answered Success, a C-STORE answered (failed or not, its bytes), a
 * protocol error.
 */
export type DicomCountedChange =
  | readonly ['a', string, string]
  | readonly ['r', string, string, DicomRejectionReason, string | null]
  | readonly ['e']
  | readonly ['o', string, string, DicomSuccessCounter]
  | readonly ['s', string, string, 0 | 1, number]
  | readonly ['p'];

const ae = z.string().max(16);
// A log line holds the title and address as the server told them (the rows cut them to 16 and 64).
const lineAe = z.string().max(64);
const address = z.string().max(256);
const ChangeSchema = z.union([
  z.tuple([z.literal('a'), lineAe, address]),
  z.tuple([z.literal('r'), lineAe, address, z.enum(DICOM_REJECTION_REASONS), lineAe.nullable()]),
  z.tuple([z.literal('e')]),
  z.tuple([z.literal('o'), lineAe, address, z.enum(['stored', 'held', 'duplicates', 'conflicts'])]),
  z.tuple([z.literal('s'), lineAe, address, z.union([z.literal(0), z.literal(1)]), z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER)]),
  z.tuple([z.literal('p')]),
]);

export interface DicomCountersSnapshot {
  /** ISO time counting started: the first start with this vault, or the last reset. */
  readonly since: string;
  readonly counters: DicomStatus['counters'];
  readonly callers: readonly DicomSavedCaller[];
}

const SnapshotSchema = z.strictObject({
  since: z.iso.datetime(),
  counters: DicomCountersSchema,
  callers: z.array(DicomCallerSchema.extend({ otherCalled: z.array(ae).max(MAX_OTHER_CALLED_AE_TITLES).optional() })).max(1000),
});

function zeroCounters(): Counters {
  return { associations: 0, rejectedAssociations: 0, echoes: 0, received: 0, stored: 0, held: 0, duplicates: 0, conflicts: 0, failed: 0, protocolErrors: 0, bytes: 0 };
}

/** The receiver's counters and calling-AE rows since `since`: what changes add up to, live and at replay alike. */
export class DicomCounts {
  private readonly counters: Counters;
  private readonly callers: DicomCallers;

  constructor(
    readonly since: string,
    saved?: Pick<DicomCountersSnapshot, 'counters' | 'callers'>,
  ) {
    this.counters = saved === undefined ? zeroCounters() : { ...saved.counters };
    this.callers = new DicomCallers();
    if (saved !== undefined) this.callers.restore(saved.callers);
  }

  static of(snapshot: DicomCountersSnapshot): DicomCounts {
    return new DicomCounts(snapshot.since, snapshot);
  }

  apply(change: DicomCountedChange): void {
    switch (change[0]) {
      case 'a':
        this.counters.associations += 1;
        this.callers.associated(change[1], change[2]);
        return;
      case 'r':
        this.counters.rejectedAssociations += 1;
        this.callers.rejected(change[1], change[2], change[3], change[4] ?? undefined);
        return;
      case 'e':
        this.counters.echoes += 1;
        return;
      case 'o':
        this.counters[change[3]] += 1;
        this.callers.row(change[1], change[2])[change[3]] += 1;
        return;
      case 's': {
        // Every C-STORE answered is received once; a Success was counted by outcome ('o').
        const caller: DicomCallerRow = this.callers.row(change[1], change[2]);
        this.counters.received += 1;
        caller.received += 1;
        this.counters.failed += change[3];
        caller.failed += change[3];
        this.counters.bytes += change[4];
        return;
      }
      case 'p':
        this.counters.protocolErrors += 1;
        return;
    }
  }

  totals(): DicomStatus['counters'] {
    return { ...this.counters };
  }

  list(): DicomCallerRow[] {
    return this.callers.list();
  }

  snapshot(): DicomCountersSnapshot {
    return { since: this.since, counters: this.totals(), callers: this.callers.saved() };
  }
}

export const DICOM_COUNTERS: CountersChannel<DicomCountersSnapshot, DicomCountedChange> = {
  name: 'dicom',
  label: 'DICOM counters',
  snapshot: SnapshotSchema,
  line: (change) => change,
  replay(into, lines) {
    let counts: DicomCounts | null = into === null ? null : DicomCounts.of(into);
    let skipped = 0;
    for (const json of lines) {
      const parsed = ChangeSchema.safeParse(json);
      if (!parsed.success) {
        skipped++;
        continue;
      }
      // With no snapshot (the first run's save never made it), counting began around the log's first line.
      counts ??= new DicomCounts(new Date().toISOString());
      counts.apply(parsed.data as DicomCountedChange);
    }
    return { snapshot: counts?.snapshot() ?? null, skipped };
  },
};
