import type { NormalizedIntake, PatientIdentifier } from '../../../shared/domain/clinical';
import { identifierPseudonym, mergeIdentifiersOf, patientIdOf } from './intake-rows';
import type { ProjectorContext } from './projectors/journal-projector';
import { getInParts } from './put-in-parts';
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
 * Cost: one HMAC per identifier (memoized per session by the TokenCache), and each identifier's
 * row is read from the views at most once per replay: what was read (a row, or none) and the rows
 * this replay decided, once their page is committed, stay `known` (the views change during a replay
 * only by its own pages, whose rows and erasures pass through here, and by an erasure made in this
 * window meanwhile: its journal record comes after every message it found, and `forget` applies it
 * here when the replay reaches it, as a rebuild would). The replay reads a page's
 * identifiers in one batch (`prefetch`) before the previous page's write transaction starts
 * (journal-replay.ts), so decoding never waits for that write; an identifier the batch missed is
 * read alone when decided. `known` is cleared when it passes KNOWN_LIMIT entries (memory stays
 * bounded; what is decided does not change, rows are read again).
 */

/** Rows (or absences) a replay keeps known before it forgets them and reads again (~250 bytes each). */
export const KNOWN_LIMIT = 20_000;

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
  /** Rows this replay decided whose page is not committed yet (the views do not hold them). */
  private readonly pending = new Map<string, AliasRow>();
  /** Rows the views hold (or null: none), as read or committed during this replay, erasures applied. */
  private readonly known = new Map<string, AliasRow | null>();
  /** Charts erased by a record decoded but perhaps not yet written → the erasure's seq. */
  private readonly erased = new Map<string, number>();
  private readonly decided = new Map<number, Promise<Filing>>();
  private chain: Promise<unknown> = Promise.resolve();

  /** `keys` is read when a record is first decided (a replay of an empty journal needs none). */
  constructor(
    private readonly db: Pick<VaultDb, 'aliases'>,
    private readonly keys: { readonly ledgerKey: CryptoKey },
    private readonly memo?: TokenCache,
    private readonly knownLimit = KNOWN_LIMIT,
  ) {}

  /**
   * Reads the rows of the `identifiers` not known yet in one batch (after every record asked for so
   * far is decided): the replay passes the identifiers a page's records name before deciding them.
   * A hint only: what is decided is the same without it.
   */
  prefetch(identifiers: readonly PatientIdentifier[]): Promise<void> {
    if (identifiers.length === 0) return Promise.resolve();
    const done = this.chain.then(() => this.load(identifiers));
    this.chain = done.catch(() => undefined);
    return done;
  }

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
    // The erasure's write deletes every row of the chart: none of these names it any more.
    for (const [id, row] of [...this.pending]) {
      if (row.patientId !== patientId || row.seq >= seq) continue;
      this.pending.delete(id);
      this.remember(id, null);
    }
    for (const [id, row] of this.known) if (row !== null && row.patientId === patientId && row.seq < seq) this.known.set(id, null);
  }

  /** The pages through `cursor` are written: what they decided is in the views now (and stays known). */
  committed(cursor: number): void {
    for (const [id, row] of [...this.pending]) {
      if (row.seq > cursor) continue;
      this.pending.delete(id);
      this.remember(id, row);
    }
    for (const [id, seq] of [...this.erased]) if (seq <= cursor) this.erased.delete(id);
    for (const seq of [...this.decided.keys()]) if (seq <= cursor) this.decided.delete(seq);
  }

  private async decide(seq: number, identifiers: readonly PatientIdentifier[], lookups: readonly PatientIdentifier[]): Promise<Filing> {
    if (identifiers.length === 0) throw new Error('A message without a patient identifier cannot be filed.');
    const ids = await this.pseudonymsOf(identifiers);
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
    let row = this.known.get(id);
    if (row === undefined) {
      const erased = new Map(this.erased);
      row = this.visible(await this.db.aliases.get(id), erased);
      this.remember(id, row);
    }
    return row?.patientId;
  }

  /** The identifiers' pseudonyms (the aliases rows' ids), memoized by the TokenCache. */
  pseudonymsOf(identifiers: readonly PatientIdentifier[]): Promise<string[]> {
    return Promise.all(identifiers.map((identifier) => identifierPseudonym(this.keys.ledgerKey, identifier, this.memo)));
  }

  private async load(identifiers: readonly PatientIdentifier[]): Promise<void> {
    const ids = await this.pseudonymsOf(identifiers);
    const wanted = [...new Set(ids)].filter((id) => !this.pending.has(id) && !this.known.has(id));
    if (wanted.length === 0) return;
    const erased = new Map(this.erased);
    // In parts (put-in-parts.ts): a page's thousand and more identifiers read in one call made a long main-thread task.
    const rows = await getInParts(this.db.aliases, wanted);
    wanted.forEach((id, index) => {
      if (!this.pending.has(id) && !this.known.has(id)) this.remember(id, this.visible(rows[index], erased));
    });
  }

  /**
   * A stored row as the replay sees it: none when an erasure decoded before it was read, or since,
   * erased its chart after the row was given (a read may see the views before or after that
   * erasure's page commits, which deletes the row: either way, none).
   */
  private visible(row: AliasRow | undefined, erasedAtRead: ReadonlyMap<string, number>): AliasRow | null {
    if (row === undefined) return null;
    const erasedAt = Math.max(erasedAtRead.get(row.patientId) ?? 0, this.erased.get(row.patientId) ?? 0);
    return erasedAt > row.seq ? null : row;
  }

  private remember(id: string, row: AliasRow | null): void {
    if (this.known.size >= this.knownLimit) this.known.clear();
    this.known.set(id, row);
  }
}

/**
 * The patient identifiers an intake's sealed metadata names (its PID-3 list and a merge's
 * identifiers), read without validating it: what the replay prefetches for a page. A record whose
 * metadata has another shape names none here (its projectors decide it, reading alone if needed).
 */
export function identifiersNamedBy(meta: unknown): PatientIdentifier[] {
  const normalized = fieldOf(meta, 'normalized');
  const found: PatientIdentifier[] = [];
  const add = (value: unknown) => {
    const identifier = value as Partial<PatientIdentifier> | null;
    // As PatientIdentifierSchema bounds them (a value it would refuse is no hint).
    if (typeof identifier?.value === 'string' && typeof identifier.authority === 'string' && identifier.value.length <= 64 && identifier.authority.length <= 64) found.push(identifier as PatientIdentifier);
  };
  const identifiers = fieldOf(fieldOf(normalized, 'patient'), 'identifiers');
  if (Array.isArray(identifiers)) identifiers.forEach(add);
  const extended = fieldOf(normalized, 'extendedRecords');
  if (Array.isArray(extended)) {
    for (const record of extended) {
      if (fieldOf(record, 'type') !== 'merge') continue;
      const survivor = fieldOf(record, 'survivor');
      if (Array.isArray(survivor)) add(survivor[0]);
      const merged = fieldOf(record, 'merged');
      if (Array.isArray(merged)) merged.forEach(add);
    }
  }
  return found;
}

function fieldOf(value: unknown, key: string): unknown {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined;
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
