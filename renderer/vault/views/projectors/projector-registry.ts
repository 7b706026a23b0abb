import { accessProjector } from './access-projector';
import { consentProjector } from './consent-projector';
import { deviceProjector } from './device-projector';
import { imagingProjector } from './imaging-projector';
import { institutionProjector } from './institution-projector';
import type { JournalProjector } from './journal-projector';
import { ledgerProjector } from './ledger-projector';
import { messageProjector } from './message-projector';
import { patientProjector } from './patient-projector';
import { quarantineProjector } from './quarantine-projector';
import { relayProjector } from './relay-projector';
import { researchProjector } from './research-projector';

/**
 * Every view projector, in the order their rows are written within a page (their tables do not
 * overlap, so the order is only for a predictable transaction). A kind no projector names is
 * skipped by the replay: tombstones (`erased`), `vault.created`, `journal.repaired`, `intake.*`
 * kinds of a newer body's channels, and mind events no view shows (exports, settings).
 */
export const JOURNAL_PROJECTORS: readonly JournalProjector[] = [patientProjector, quarantineProjector, messageProjector, accessProjector, ledgerProjector, institutionProjector, relayProjector, imagingProjector, deviceProjector, consentProjector, researchProjector];

export class ProjectorRegistry {
  private readonly byKind = new Map<string, JournalProjector[]>();

  constructor(readonly projectors: readonly JournalProjector[] = JOURNAL_PROJECTORS) {
    const names = new Set<string>();
    for (const projector of projectors) {
      if (names.has(projector.name)) throw new Error(`Two projectors are named ${projector.name}.`);
      names.add(projector.name);
      for (const kind of projector.kinds) {
        const list = this.byKind.get(kind);
        if (list === undefined) this.byKind.set(kind, [projector]);
        else list.push(projector);
      }
    }
  }

  /**
   * The projectors of a kind, in registry order: usually one; a kind may feed several views (an
   * HL7 message is a patient's records and a row of the message browser), each owning its tables.
   */
  projectorsOf(kind: string): readonly JournalProjector[] {
    return this.byKind.get(kind) ?? [];
  }
}

export const DEFAULT_PROJECTORS = new ProjectorRegistry();
