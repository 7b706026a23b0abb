import type { NormalizedIntake, PatientIdentifier } from '../../../shared/domain/clinical';
import { identifierPseudonym, mergeIdentifiersOf, patientIdOf } from './intake-rows';
import type { ProjectorContext } from './projectors/journal-projector';
import type { TokenCache } from './token-cache';
import type { AliasRow, VaultDb } from './vault-db';

/**
 * Which chart a message is filed on (issue 11, patient safety). A chart is known by every
 * identifier its messages carried, each as value WITH its assigning authority (an identifier's
 * pseudonym, intake-rows.ts identifierPseudonym: never a value alone, which may be another
 * person's number under another authority). A message whose PID-3 (or DICOM Patient ID + issuer)
 * carries an identifier a chart already holds is filed on that chart, in whatever order the sender
 * lists them; the chart then also holds the message's other identifiers (`aliases` view table). A
 * message naming no known identifier opens a chart keyed by its first identifier (as before).
 *
 * Two charts named by one message (identifiers that belonged to two people so far): the message is
 * filed on the chart of its first identifier in PID-3 order that a chart holds, and its identifiers
 * held by the other chart stay that chart's. The charts are NOT merged: merging two people on the
 * word of one message is the silent merge that corrupts charts; a merge is a decision (ADT^A40). The
 * conflict is counted (`identityConflicts`, Settings › Journal records, for admins and auditors).
 *
 * Deterministic: the answer depends only on the journal before the message (a rebuild files every
 * message where the incremental replays did). One replay's decoding runs ahead of its writes
 * (journal-replay.ts overlapPages), so the aliases decoded but not yet written are held here
 * (`pending`) until their page is committed, and erasures decoded but not yet written hide the
 * erased chart's stored aliases. Calls must come in journal order (the replay decodes one record
 * at a time); each record is decided once (projectors of one record share the answer).
 *
 * Cost: one HMAC per identifier (memoized per session by the TokenCache) and at most one indexed
 * read per identifier per message; `pending` and the per-record answers are dropped as pages commit.
 */

export interface Filing {
  /** The chart's view id. */
  readonly patientId: string;
  /** Identifiers of the message no chart held before: now the chart's (written with the page). */
  readonly aliases: readonly AliasRow[];
  /** The message named identifiers of two or more charts (filed on the first). */
  readonly conflict: boolean;
  /** The charts of `lookups` asked for (a merge's identifiers): a held identifier's chart, else its own pseudonym. */
  readonly looked: readonly string[];
}

export class PatientFiling {
  private readonly pending = new Map<string, AliasRow>();
  /** Charts erased by a record decoded but perhaps not yet written → the erasure's seq. */
  private readonly erased = new Map<string, number>();
  private readonly decided = new Map<number, Promise<Filing>>();
  private chain: Promise<unknown> = Promise.resolve();

  /** `keys` is read when a record is first decided (a replay of an empty journal needs none). */
  constructor(
    private readonly db: Pick<VaultDb, 'aliases'>,
    private readonly keys: { readonly ledgerKey: CryptoKey },
    private readonly memo?: TokenCache,
  ) {}

  /** The chart of journal record `seq` naming `identifiers` (in PID-3 order); `lookups` are only looked up. */
  fileOf(seq: number, identifiers: readonly PatientIdentifier[], lookups: readonly PatientIdentifier[] = []): Promise<Filing> {
    let filing = this.decided.get(seq);
    if (filing === undefined) {
      filing = this.chain.then(() => this.decide(seq, identifiers, lookups));
      this.chain = filing.catch(() => undefined);
      this.decided.set(seq, filing);
    }
    return filing;
  }

  /** An erasure (journal record `seq`) of a chart: its aliases no longer name it from there on. */
  forget(patientId: string, seq: number): void {
    this.erased.set(patientId, Math.max(seq, this.erased.get(patientId) ?? 0));
    for (const [id, row] of [...this.pending]) if (row.patientId === patientId && row.seq < seq) this.pending.delete(id);
  }

  /** The pages through `cursor` are written: what they decided is in the views now. */
  committed(cursor: number): void {
    for (const [id, row] of [...this.pending]) if (row.seq <= cursor) this.pending.delete(id);
    for (const [id, seq] of [...this.erased]) if (seq <= cursor) this.erased.delete(id);
    for (const seq of [...this.decided.keys()]) if (seq <= cursor) this.decided.delete(seq);
  }

  private async decide(seq: number, identifiers: readonly PatientIdentifier[], lookups: readonly PatientIdentifier[]): Promise<Filing> {
    if (identifiers.length === 0) throw new Error('A message without a patient identifier cannot be filed.');
    const ids = await Promise.all(identifiers.map((identifier) => identifierPseudonym(this.keys.ledgerKey, identifier, this.memo)));
    const charts: (string | undefined)[] = [];
    for (const id of ids) charts.push(await this.chartOf(id));
    const held = [...new Set(charts.filter((chart): chart is string => chart !== undefined))];
    const patientId = held[0] ?? ids[0]!;
    const aliases: AliasRow[] = [];
    ids.forEach((id, index) => {
      if (charts[index] !== undefined || this.pending.has(id)) return;
      const row: AliasRow = { id, patientId, seq };
      this.pending.set(id, row);
      aliases.push(row);
    });
    const looked: string[] = [];
    for (const identifier of lookups) {
      const id = await identifierPseudonym(this.keys.ledgerKey, identifier, this.memo);
      looked.push((await this.chartOf(id)) ?? id);
    }
    return { patientId, aliases, conflict: held.length > 1, looked };
  }

  private async chartOf(id: string): Promise<string | undefined> {
    const pending = this.pending.get(id);
    if (pending !== undefined) return pending.patientId;
    const row = await this.db.aliases.get(id);
    if (row === undefined) return undefined;
    const erasedAt = this.erased.get(row.patientId);
    return erasedAt !== undefined && erasedAt > row.seq ? undefined : row.patientId;
  }
}

/** An intake's filing (every projector of the record asks the same, with its merge identifiers). */
export function fileIntake(filing: PatientFiling, seq: number, normalized: NormalizedIntake): Promise<Filing> {
  return filing.fileOf(seq, normalized.patient.identifiers, mergeIdentifiersOf(normalized));
}

/** The chart an intake is filed on: the replay's filing decides; without one, the chart of its first identifier. */
export async function filedPatientId(context: Pick<ProjectorContext, 'filing' | 'keys' | 'tokens'>, seq: number, normalized: NormalizedIntake): Promise<string> {
  if (context.filing === undefined) return patientIdOf(context.keys.ledgerKey, normalized.patient, context.tokens);
  return (await fileIntake(context.filing, seq, normalized)).patientId;
}

/**
 * The chart the views file a patient under, read from the stored views alone (outside a replay: the
 * ledger writer naming the patient a reprocessed message was filed on): the chart holding the first
 * of its identifiers any chart holds, else the chart its first identifier opens. Agrees with the
 * replay's filing once the views hold every message before this one.
 */
export async function storedChartOf(db: Pick<VaultDb, 'aliases'>, ledgerKey: CryptoKey, identifiers: readonly PatientIdentifier[], memo?: TokenCache): Promise<string> {
  const ids = await Promise.all(identifiers.map((identifier) => identifierPseudonym(ledgerKey, identifier, memo)));
  for (const id of ids) {
    const row = await db.aliases.get(id);
    if (row !== undefined) return row.patientId;
  }
  if (ids.length === 0) throw new Error('A patient without an identifier has no chart.');
  return ids[0]!;
}
