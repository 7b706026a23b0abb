import type { HdmsApi } from '../../../shared/ipc/contract';
import { QuarantineResolutionMetaSchema } from '../../../shared/journal/intake-meta';
import { INTAKE_KINDS, QUARANTINE_KINDS } from '../../../shared/journal/journal-kinds';
import { openJson } from '../../../shared/journal/sealed-json';
import { recordedOperator } from '../record-actor';
import { deriveOperatorId, type Opener } from '../vault-crypto';
import { RESOLUTION_SCAN } from '../views/message-reads';

/** A reprocess of one quarantine record as journaled: its seq and who ran it (a pseudonym, as the ledger signs it). */
export interface ReprocessAct {
  readonly seq: number;
  readonly operator: string | null;
}

/**
 * The `intake.reprocessed` acts on quarantine record `quarantineSeq` journaled in (after, upTo],
 * oldest first, each with its operator as the ledger names them (F12: an edited copy says who
 * edited it). The body journals a run's messages and then its act, acts one at a time, so the act
 * of a copy is the first one after it; at most RESOLUTION_SCAN records are read. Intake records
 * come without their sealed meta (most of the bytes, not needed here).
 */
export async function reprocessActs(api: HdmsApi, opener: Opener, ledgerKey: CryptoKey, quarantineSeq: number, after: number, upTo: number): Promise<ReprocessAct[]> {
  const last = Math.min(upTo, after + RESOLUTION_SCAN);
  if (last <= after) return [];
  const page = await api.journal.read({ after, limit: last - after, withoutMetaOf: [...INTAKE_KINDS] });
  const acts: ReprocessAct[] = [];
  for (const record of page.records) {
    if (record.seq > last || record.kind !== QUARANTINE_KINDS.reprocessed || record.meta === null) continue;
    let opened: unknown;
    try {
      opened = await openJson(opener, record.meta);
    } catch {
      continue;
    }
    const parsed = QuarantineResolutionMetaSchema.safeParse(opened);
    if (!parsed.success || parsed.data.quarantineSeq !== quarantineSeq) continue;
    // The body names the calling session by account id; acts journaled before carry the pseudonym (ledger-writer.ts does the same).
    const { operatorId } = parsed.data;
    acts.push({ seq: record.seq, operator: operatorId === undefined ? await recordedOperator(opener, ledgerKey, record) : await deriveOperatorId(ledgerKey, operatorId) });
  }
  return acts;
}

/** Who ran the reprocess that filed the message journaled as `seq` (the first act after it), or null when the journal does not say. */
export function actorOf(acts: readonly ReprocessAct[], seq: number): string | null {
  return acts.find((act) => act.seq > seq)?.operator ?? null;
}
