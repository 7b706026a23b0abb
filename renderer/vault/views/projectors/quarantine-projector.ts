import type { JournalRecord } from '../../../../shared/ipc/journal-contract';
import { QuarantineMetaSchema, QuarantineResolutionMetaSchema, type QuarantineMeta } from '../../../../shared/journal/intake-meta';
import { MIND_KINDS, QUARANTINE_KINDS } from '../../../../shared/journal/journal-kinds';
import { ErasureMetaSchema } from '../../../../shared/journal/mind-meta';
import { addToMessageCount } from '../message-log';
import { encryptMany } from '../../vault-crypto';
import type { QuarantineRowStored, VaultDb } from '../vault-db';
import type { JournalProjector, ProjectorContext, ProjectorStep } from './journal-projector';

interface Resolution {
  readonly quarantineSeq: number;
  readonly status: 'reprocessed' | 'discarded';
  readonly seq: number;
  readonly at: string;
  /** A reprocess held again: the quarantine records it wrote (QA2-11 Q2). */
  readonly heldAgainAs?: readonly number[];
}

/** `heldAgainAs` of a reprocess act (a list of journal seqs), or nothing. */
function heldAgainOf(meta: Readonly<Record<string, unknown>>): readonly number[] | undefined {
  const list = meta['heldAgainAs'];
  if (!Array.isArray(list) || list.length === 0) return undefined;
  const seqs = list.filter((seq): seq is number => Number.isSafeInteger(seq) && (seq as number) > 0).slice(0, 1000);
  return seqs.length > 0 ? seqs : undefined;
}

/**
 * `intake.quarantine` → a quarantine row (its details encrypted with the view key);
 * `intake.reprocessed` / `intake.discarded` → that row marked resolved (a reprocess that did not
 * store every message leaves it open); `erasure.patient` → the inputs erased with the patient go.
 */
export const quarantineProjector: JournalProjector = {
  name: 'quarantine',
  kinds: [QUARANTINE_KINDS.quarantined, QUARANTINE_KINDS.reprocessed, QUARANTINE_KINDS.discarded, MIND_KINDS.erasure],
  tables: (db) => [db.quarantine, db.messages, db.meta],
  startPage(context) {
    const rows = new Map<number, QuarantineRowStored>();
    /** Resolutions of quarantine rows written by earlier pages. */
    const resolutions: Resolution[] = [];
    /** Quarantine records erased with a patient (their journal records are tombstones now). */
    const erased = new Set<number>();

    function resolve(resolution: Resolution): void {
      const row = rows.get(resolution.quarantineSeq);
      if (row === undefined) resolutions.push(resolution);
      else rows.set(resolution.quarantineSeq, { ...row, ...resolvedFields(resolution) });
    }

    return {
      async decode(record, meta): Promise<ProjectorStep> {
        if (record.kind === MIND_KINDS.erasure) {
          const parsed = ErasureMetaSchema.safeParse(meta);
          if (!parsed.success) return 'problem';
          const seqs = parsed.data.quarantined ?? [];
          if (seqs.length === 0) return 'skip';
          return {
            apply: () => {
              for (const seq of seqs) {
                rows.delete(seq);
                erased.add(seq);
              }
            },
          };
        }
        if (record.kind === QUARANTINE_KINDS.quarantined) {
          const parsed = QuarantineMetaSchema.safeParse(meta);
          if (!parsed.success) return 'problem';
          // Kept "not mapped" (a type that never names a patient: MFN, an inbound ACK): stored, not waiting for anyone (QA s33 D5).
          if (parsed.data.quarantine.disposition === 'not-mapped') return 'skip';
          const row = await quarantineRowOf(context, record, parsed.data);
          return { apply: () => rows.set(row.seq, row) };
        }
        const parsed = QuarantineResolutionMetaSchema.safeParse(meta);
        if (!parsed.success) return 'problem';
        // A reprocess that did not store every message leaves the entry open (to fix again or discard).
        if (parsed.data.resolved === false) return 'skip';
        const status = record.kind === QUARANTINE_KINDS.reprocessed ? 'reprocessed' : 'discarded';
        const heldAgainAs = status === 'reprocessed' ? heldAgainOf(parsed.data) : undefined;
        const resolution: Resolution = { quarantineSeq: parsed.data.quarantineSeq, status, seq: record.seq, at: record.at, ...(heldAgainAs !== undefined ? { heldAgainAs } : {}) };
        return { apply: () => resolve(resolution) };
      },
      async write(db) {
        if (rows.size > 0) await db.quarantine.bulkPut([...rows.values()]);
        for (const resolution of resolutions) {
          await db.quarantine.update(resolution.quarantineSeq, resolvedFields(resolution));
        }
        if (erased.size > 0) await deleteQuarantinedRows(db, [...erased]);
      },
    };
  },
};

/**
 * Deletes the view rows of quarantine records erased with a patient: the quarantine's and the
 * message browser's. Call inside a rw transaction over db.quarantine, db.messages and db.meta.
 */
export async function deleteQuarantinedRows(db: VaultDb, seqs: readonly number[]): Promise<void> {
  if (seqs.length === 0) return;
  await db.quarantine.bulkDelete([...seqs]);
  const listed = (await db.messages.bulkGet([...seqs])).filter((row) => row !== undefined).length;
  await db.messages.bulkDelete([...seqs]);
  await addToMessageCount(db, -listed);
}

function resolvedFields(resolution: Resolution): Pick<QuarantineRowStored, 'status' | 'resolvedSeq' | 'resolvedAt' | 'heldAgainAs'> {
  return { status: resolution.status, resolvedSeq: resolution.seq, resolvedAt: resolution.at, ...(resolution.heldAgainAs !== undefined ? { heldAgainAs: resolution.heldAgainAs } : {}) };
}

async function quarantineRowOf(context: ProjectorContext, record: JournalRecord, meta: QuarantineMeta): Promise<QuarantineRowStored> {
  const [enc] = await encryptMany(context.keys.viewKey, [{ table: 'quarantine', id: String(record.seq), value: meta.quarantine }]);
  return {
    seq: record.seq,
    at: meta.receivedAt ?? record.at,
    channel: meta.channel ?? '',
    objectId: meta.objectId ?? record.objects[0] ?? null,
    rawBytes: meta.rawBytes ?? null,
    status: 'open',
    enc: enc!,
  };
}
