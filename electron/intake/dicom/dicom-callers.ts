import type { DicomRejectionReason, DicomStatus } from '../../../shared/ipc/dicom-contract';

export type DicomCallerRow = { -readonly [K in keyof DicomStatus['callers'][number]]: DicomStatus['callers'][number][K] } & { rejections: Partial<Record<DicomRejectionReason, number>> };

/**
 * Calling AE titles counted by name and address. A clinic has tens of modalities; past this many
 * (a scanner trying made-up AE titles, a flood of rejected associations) new callers are counted
 * together in one row, so the counters and the monitor stay bounded, as the HL7 sender rows are
 * (MAX_NAMED_SENDERS in hl7-intake.ts).
 */
export const MAX_NAMED_CALLERS = 500;

function emptyRow(aeTitle: string, address: string): DicomCallerRow {
  return { aeTitle: aeTitle.slice(0, 16), address: address.slice(0, 64), associations: 0, received: 0, stored: 0, held: 0, duplicates: 0, conflicts: 0, failed: 0, rejected: 0, rejections: {} };
}

/** The receiver's per-caller counts since it started (AE titles and addresses are configuration, not PHI). */
export class DicomCallers {
  private readonly named = new Map<string, DicomCallerRow>();
  private others: DicomCallerRow | null = null;

  constructor(private readonly maxNamed = MAX_NAMED_CALLERS) {}

  /** The row this caller counts into: its own, a new one while there is room, else the others' row. */
  row(aeTitle: string, address: string): DicomCallerRow {
    const key = `${aeTitle}\u0000${address}`;
    const known = this.named.get(key);
    if (known !== undefined) return known;
    if (this.named.size < this.maxNamed) {
      const row = emptyRow(aeTitle, address);
      this.named.set(key, row);
      return row;
    }
    this.others ??= { ...emptyRow('', ''), others: true };
    return this.others;
  }

  associated(aeTitle: string, address: string): void {
    this.row(aeTitle, address).associations += 1;
  }

  /** An association refused: counted with its reason; for a wrong called AE title, the one asked for. */
  rejected(aeTitle: string, address: string, reason: DicomRejectionReason, calledAeTitle?: string): void {
    const row = this.row(aeTitle, address);
    row.rejected += 1;
    row.rejections[reason] = (row.rejections[reason] ?? 0) + 1;
    if (reason === 'called-ae-title' && calledAeTitle !== undefined && row.others !== true) row.calledAeTitle = calledAeTitle.slice(0, 16);
  }

  /** Copies of the rows: the named ones in the order first seen, then the others' row. */
  list(): DicomCallerRow[] {
    return [...this.named.values(), ...(this.others === null ? [] : [this.others])].map((row) => ({ ...row, rejections: { ...row.rejections } }));
  }
}
