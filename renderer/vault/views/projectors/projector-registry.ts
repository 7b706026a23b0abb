import { accessProjector } from './access-projector';
import { institutionProjector } from './institution-projector';
import type { JournalProjector } from './journal-projector';
import { ledgerProjector } from './ledger-projector';
import { patientProjector } from './patient-projector';
import { quarantineProjector } from './quarantine-projector';

/**
 * Every view projector, in the order their rows are written within a page (their tables do not
 * overlap, so the order is only for a predictable transaction). A kind no projector names is
 * skipped by the replay: tombstones (`erased`), `vault.created`, `journal.repaired`, `intake.*`
 * kinds of a newer body's channels, and mind events no view shows (exports, settings).
 */
export const JOURNAL_PROJECTORS: readonly JournalProjector[] = [patientProjector, quarantineProjector, accessProjector, ledgerProjector, institutionProjector];

export class ProjectorRegistry {
  private readonly byKind = new Map<string, JournalProjector>();

  constructor(readonly projectors: readonly JournalProjector[] = JOURNAL_PROJECTORS) {
    for (const projector of projectors) {
      for (const kind of projector.kinds) {
        const other = this.byKind.get(kind);
        if (other !== undefined) throw new Error(`The journal kind ${kind} has two projectors: ${other.name} and ${projector.name}.`);
        this.byKind.set(kind, projector);
      }
    }
  }

  projectorOf(kind: string): JournalProjector | undefined {
    return this.byKind.get(kind);
  }
}

export const DEFAULT_PROJECTORS = new ProjectorRegistry();
