import { MAX_NAMED_CALLED_AE_TITLES, type DicomRejectionReason, type DicomStatus } from '../../../shared/ipc/dicom-contract';

type CallerStatus = DicomStatus['callers'][number];

type CallerCounts = Omit<CallerStatus, 'calledAeTitles' | 'otherCalledAeTitles'>;

export type DicomCallerRow = { -readonly [K in keyof CallerCounts]: CallerCounts[K] } & {
  rejections: Partial<Record<DicomRejectionReason, number>>;
  calledAeTitles?: { aeTitle: string; count: number }[];
  otherCalledAeTitles?: { titles: number; more: boolean };
  /** The other called AE titles told apart so far (at most maxOtherCalled), so each is counted once. */
  otherCalled?: Set<string>;
};

/** A row as the counters store keeps it (dicom-counters.ts): the other called AE titles told apart as a list. */
export type DicomSavedCaller = Omit<DicomCallerRow, 'otherCalled'> & { otherCalled?: string[] };

/** Past this many other wrong called AE titles per caller, the count reads "at least" (memory stays bounded). */
export const MAX_OTHER_CALLED_AE_TITLES = 64;

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

/** The receiver's per-caller counts since counting started (kept across restarts) (AE titles and addresses are configuration, not PHI). */
export class DicomCallers {
  private readonly named = new Map<string, DicomCallerRow>();
  private others: DicomCallerRow | null = null;

  constructor(
    private readonly maxNamed = MAX_NAMED_CALLERS,
    private readonly maxNamedCalled = MAX_NAMED_CALLED_AE_TITLES,
    private readonly maxOtherCalled = MAX_OTHER_CALLED_AE_TITLES,
  ) {}

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

  /** An association refused: counted with its reason; for a wrong called AE title, each title asked for. */
  rejected(aeTitle: string, address: string, reason: DicomRejectionReason, calledAeTitle?: string): void {
    const row = this.row(aeTitle, address);
    row.rejected += 1;
    row.rejections[reason] = (row.rejections[reason] ?? 0) + 1;
    if (reason === 'called-ae-title' && calledAeTitle !== undefined && row.others !== true) this.calledAsked(row, calledAeTitle.slice(0, 16));
  }

  /** Counts a wrong called AE title: by name while there is room, else among the others, each told apart up to a bound. */
  private calledAsked(row: DicomCallerRow, calledAeTitle: string): void {
    const titles = (row.calledAeTitles ??= []);
    const known = titles.find((title) => title.aeTitle === calledAeTitle);
    if (known !== undefined) {
      known.count += 1;
      return;
    }
    if (titles.length < this.maxNamedCalled) {
      titles.push({ aeTitle: calledAeTitle, count: 1 });
      return;
    }
    const seen = (row.otherCalled ??= new Set());
    const others = (row.otherCalledAeTitles ??= { titles: 0, more: false });
    if (seen.has(calledAeTitle)) return;
    if (seen.size < this.maxOtherCalled) {
      seen.add(calledAeTitle);
      others.titles = seen.size;
    } else {
      others.more = true;
    }
  }

  /** Takes the rows an earlier run kept (before anything is counted here), in their order. */
  restore(rows: readonly DicomSavedCaller[]): void {
    for (const { otherCalled, ...saved } of rows) {
      const row: DicomCallerRow = {
        ...saved,
        rejections: { ...saved.rejections },
        ...(saved.calledAeTitles !== undefined ? { calledAeTitles: saved.calledAeTitles.map((title) => ({ ...title })) } : {}),
        ...(saved.otherCalledAeTitles !== undefined ? { otherCalledAeTitles: { ...saved.otherCalledAeTitles } } : {}),
        ...(otherCalled !== undefined ? { otherCalled: new Set(otherCalled) } : {}),
      };
      if (row.others === true) this.others = row;
      else if (this.named.size < this.maxNamed) this.named.set(`${row.aeTitle}\u0000${row.address}`, row);
    }
  }

  /** The rows as kept across restarts: list() with the other called AE titles told apart. */
  saved(): DicomSavedCaller[] {
    const rows = [...this.named.values(), ...(this.others === null ? [] : [this.others])];
    return this.list().map(({ otherCalled: _none, ...row }, index) => {
      const seen = rows[index]!.otherCalled;
      return seen === undefined ? row : { ...row, otherCalled: [...seen] };
    });
  }

  /** Copies of the rows: the named ones in the order first seen, then the others' row. */
  list(): DicomCallerRow[] {
    return [...this.named.values(), ...(this.others === null ? [] : [this.others])].map(({ otherCalled: _seen, ...row }) => ({
      ...row,
      rejections: { ...row.rejections },
      ...(row.calledAeTitles !== undefined ? { calledAeTitles: row.calledAeTitles.map((title) => ({ ...title })) } : {}),
      ...(row.otherCalledAeTitles !== undefined ? { otherCalledAeTitles: { ...row.otherCalledAeTitles } } : {}),
    }));
  }
}
