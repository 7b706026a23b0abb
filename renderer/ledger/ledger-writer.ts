import type { HdmsApi } from '../../shared/ipc/contract';
import type { JournalRecord } from '../../shared/ipc/journal-contract';
import type { Opener, Sealer } from '../../shared/crypto/envelope';
import { bytes32Of, EntryHasher, GENESIS_PREV_HASH, parseEntry, ZERO_HASH, type LedgerDomain, type LedgerEntry, type LedgerEntryKind } from '../../shared/ledger/ledger-schema';
import { signEntry, type EntrySigner } from '../../shared/ledger/ledger-sign';
import { merkleRoot, objectIdLeaf } from '../../shared/ledger/merkle';
import { JOURNAL_READ_PART, readLimitAfter } from '../vault/views/journal-reads';
import { AccessMetaSchema, AutoLockSettingMetaSchema, AutoUnlockSettingMetaSchema, ErasureMetaSchema, OperatorChangedMetaSchema, QuarantineAccessMetaSchema } from '../../shared/journal/mind-meta';
import { ExportAuditMetaSchema, SessionAuditMetaSchema, SettingsAuditMetaSchema } from '../../shared/journal/audit-meta';
import { IntakeMetaSchema, QuarantineResolutionMetaSchema } from '../../shared/journal/intake-meta';
import { AUDIT_KINDS, BACKUP_KINDS, INTAKE_RECORD_KINDS, isMindEventKind, MIND_KINDS, QUARANTINE_KINDS } from '../../shared/journal/journal-kinds';
import { LedgerAlarmMetaSchema } from '../../shared/journal/ledger-meta';
import { openJson, sealJson } from '../../shared/journal/sealed-json';
import { checkMindEvent, EventAuthWindow } from '../vault/mind-events';
import { operatorChangeAllowed, type RoleOfAccount } from '../vault/operator-change-rule';
import { recordedOperator } from '../vault/record-actor';
import { readEventAuthFrom } from '../vault/views/journal-replay';
import type { VaultDb } from '../vault/views/vault-db';
import { storedChartOf } from '../vault/views/patient-filing';
import { journalRecordHash, ledgerKindOf, patientSubject, payloadHashOf, pseudonymToBytes32 } from './ledger-details';
import { deriveOperatorId, randomBytes, toBase64Url } from './ledger-crypto';
import { DEFAULT_BATCH_RULES, LedgerPlanner, type BatchRules, type PlannedEntry } from './ledger-planner';
import { InstitutionMetaSchema } from './ledger-rows';
import { LedgerExportMetaSchema } from './ledger-events';
import { DeviceDecisionMetaSchema } from '../../shared/journal/device-meta';
import { BackupRestoredMetaSchema } from '../../shared/journal/backup-meta';
import { PurchaseAcceptedMetaSchema, PurchaseDeclinedMetaSchema, PurchaseDeliveredMetaSchema, PurchaseRequestedMetaSchema, QueryAnsweredMetaSchema, QueryPostedMetaSchema } from '../../shared/research/research-meta';
import { purchaseIdInput } from '../../shared/network/notary';
import { PurchaseAcknowledgedMetaSchema, PurchasePaidMetaSchema } from '../../shared/research/dataset-meta';
import { describeBucket } from '../../shared/research/cohort-answer';

/**
 * Turns journal events into signed entries (the chain's writer). Runs in the mind while the vault
 * is unlocked, after each replay of the views (so the ledger view is current), serialized with the
 * replays:
 *
 *   1. head = the last row of the ledger view (seq, its EIP-712 hash, the journal seq it covers up
 *      to); none → seq 0, prevHash zero, from the journal's start;
 *   2. read the journal after that point and plan entries (ledger-planner.ts);
 *   3. for each: build the details and the entry, validate strictly, sign, seal {entry, signature,
 *      details}, and append it with `ledger.append` (compare-and-append on the seq: a second window
 *      that signed the same seq first makes this one stop; the next replay brings its entry in).
 *
 * An entry's journal record is durable before the next one is signed; a crash anywhere leaves the
 * chain a prefix of what it would have been, and the next run continues after its last entry.
 *
 * A mind event without a valid authenticator (renderer/vault/mind-events.ts; unauthenticated
 * ones before the first genuine marker excepted, as in the views) gets no entry of its own: it
 * falls inside the range of the next entry, whose sealed details list its seq under `rejected`.
 * So does an `operator.changed` its actor's role may not make (renderer/vault/operator-change-rule.ts:
 * a clinician's session journaling "the administrator was disabled" is not signed as her act).
 */

/** The journal kind of stored HL7 messages (a reprocess's copies among them). */
const HL7_INTAKE_KIND = 'intake.hl7';
/** How far back from a reprocess act its run's stored messages are looked for (records). */
const REPROCESS_LOOKBACK = 4096;

/**
 * How many messages a reprocess act says its run stored (`results`: acknowledged AA, not held in
 * the quarantine again, not answered as a duplicate); unknown (an act written without results) is
 * as many as the search finds.
 */
function filedCount(meta: unknown): number {
  const results = (meta as { results?: unknown }).results;
  if (!Array.isArray(results)) return Number.POSITIVE_INFINITY;
  return results.filter((result: unknown) => {
    if (result === null || typeof result !== 'object') return false;
    const { ack, quarantined, duplicate } = result as Record<string, unknown>;
    return ack === 'AA' && quarantined !== true && duplicate !== true;
  }).length;
}

/** Auto-lock minutes as the ledger shows them: "never", "1 minute", "15 minutes". */
function autoLockWords(minutes: number): string {
  if (minutes === 0) return 'never';
  return minutes === 1 ? '1 minute' : `${minutes} minutes`;
}

export interface LedgerWriterDeps {
  readonly api: Pick<HdmsApi, 'journal' | 'ledger'>;
  readonly db: () => VaultDb;
  readonly opener: Opener;
  readonly sealer: () => Promise<Sealer>;
  readonly ledgerKey: CryptoKey;
  /** Checks the mind events' authenticator (mind-events.ts). */
  readonly eventAuthKey: CryptoKey;
  /** The role the keyring gives an account: who may journal which operator change (operator-change-rule.ts). */
  readonly roleOf: RoleOfAccount;
  readonly signer: EntrySigner;
  readonly domain: LedgerDomain;
  readonly isCurrent: () => boolean;
  readonly now?: () => number;
  readonly rules?: BatchRules;
}

export interface CatchUpResult {
  /** Entries signed and appended by this run. */
  readonly signed: number;
  /** An intake batch is open: run again after this many ms (null: nothing pending). */
  readonly waitMs: number | null;
}

export class LedgerHeadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LedgerHeadError';
  }
}

interface Head {
  readonly seq: number;
  readonly hash: string;
  readonly coveredTo: number;
}

/**
 * The journal kinds the ledger signs in intake batches, by kind, time and objects alone: catchUp
 * reads them without their sealed meta (journal.read withoutMetaOf), most of an answer's bytes.
 */
export const BATCHED_WITHOUT_META: readonly string[] = [...INTAKE_RECORD_KINDS, QUARANTINE_KINDS.quarantined];

export class LedgerWriter {
  private readonly hasher: EntryHasher;
  private readonly now: () => number;
  private readonly rules: BatchRules;

  constructor(private readonly deps: LedgerWriterDeps) {
    this.hasher = new EntryHasher(deps.domain);
    this.now = deps.now ?? (() => Date.now());
    this.rules = deps.rules ?? DEFAULT_BATCH_RULES;
  }

  async head(): Promise<Head> {
    const last = await this.deps.db().ledger.orderBy(':id').last();
    if (last === undefined) return { seq: 0, hash: GENESIS_PREV_HASH, coveredTo: 0 };
    let entry;
    try {
      entry = parseEntry(last.entry);
    } catch (error) {
      throw new LedgerHeadError(`The last ledger entry (${last.seq}) is malformed, so no entry can follow it: ${(error as Error).message}.`);
    }
    return { seq: last.seq, hash: this.hasher.hash(entry), coveredTo: last.coversTo };
  }

  /** Signs what the journal calls for since the last entry; `flush` closes an open intake batch now. */
  async catchUp({ flush = false }: { readonly flush?: boolean } = {}): Promise<CatchUpResult> {
    let head = await this.head();
    const planner = new LedgerPlanner(head.coveredTo, this.rules);
    // The views were replayed past coveredTo, so they know of any marker up to there; later ones are met below.
    const window = new EventAuthWindow(await readEventAuthFrom(this.deps.db()));
    const rejected: number[] = [];
    let after = head.coveredTo;
    let signed = 0;
    for (;;) {
      if (!this.deps.isCurrent()) return { signed, waitMs: null };
      // In parts (journal-reads.ts): this runs after every replay while an ingest goes on. Intake
      // records are batched by their kind, time and objects, so their sealed meta is not asked for.
      const page = await this.deps.api.journal.read({ after, limit: readLimitAfter(after), withoutMetaOf: [...BATCHED_WITHOUT_META] });
      for (const record of page.records) {
        if (!(await this.admits(window, record))) {
          rejected.push(record.seq);
          continue;
        }
        for (const planned of planner.push(record)) {
          head = await this.append(head, planned, rejected);
          signed++;
        }
      }
      if (page.records.length === 0 || page.end) break;
      after = page.nextCursor;
    }
    const { closed, waitMs } = planner.finish(this.now(), flush);
    if (closed !== null) {
      await this.append(head, closed, rejected);
      signed++;
    }
    return { signed, waitMs };
  }

  /**
   * False for a mind event the ledger must not sign as genuine (mind-events.ts), or as what it
   * claims (an operator change its actor's role may not make: operator-change-rule.ts).
   */
  private async admits(window: EventAuthWindow, record: JournalRecord): Promise<boolean> {
    if (!isMindEventKind(record.kind) || (ledgerKindOf(record.kind) === null && record.kind !== MIND_KINDS.eventAuth)) return true;
    const opened = await this.openRaw(record);
    // No meta, or one that does not open, has no authenticator either: legacy (signed as unreadable) or rejected.
    const check = opened === undefined ? { status: 'unauthenticated' as const, meta: undefined } : await checkMindEvent(this.deps.eventAuthKey, record, opened);
    if (!window.admit(record, check.status)) return false;
    return operatorChangeAllowed({ opener: this.deps.opener, ledgerKey: this.deps.ledgerKey, roleOf: this.deps.roleOf }, record, check.meta);
  }

  /**
   * Whether the journal after the head's coverage holds a restore from a backup that no entry
   * signs yet: the ledger was just rewound to the backup's last entry (session-ledger.ts holds
   * signing while a network's notary cannot say how far the earlier copy went).
   */
  async restorePending(): Promise<boolean> {
    let after = (await this.head()).coveredTo;
    for (;;) {
      const page = await this.deps.api.journal.read({ after, limit: readLimitAfter(after), withoutMetaOf: [...BATCHED_WITHOUT_META] });
      if (page.records.some((record) => record.kind === BACKUP_KINDS.restored)) return true;
      if (page.records.length === 0 || page.end) return false;
      after = page.nextCursor;
    }
  }

  /**
   * Appends entries this node signed before, fetched back from the network's log and checked by the
   * body (issue 10 item 10: a vault put back from an older copy continues its chain where the
   * network has it instead of forking). Each must follow the head. Their details are not in this
   * vault any more (they were sealed in the lost journal), so the sealed record says so: it covers
   * no journal record of this vault (`to` stays the head's), and the entry's payloadHash commits to
   * details nobody here can show.
   */
  async appendRecovered(entries: readonly { readonly entry: LedgerEntry; readonly signature: string }[]): Promise<number> {
    let head = await this.head();
    for (const { entry, signature } of entries) {
      if (!this.deps.isCurrent()) throw new LedgerHeadError('The vault was locked while the ledger was being recovered.');
      if (entry.seq !== head.seq + 1 || entry.prevHash !== head.hash || entry.node !== this.deps.signer.address) {
        throw new LedgerHeadError(`A recovered entry (${entry.seq}) does not follow this ledger's head (${head.seq}).`);
      }
      const details = { v: 1, salt: toBase64Url(randomBytes(16)), from: head.coveredTo + 1, to: head.coveredTo, recovered: true };
      const meta = await sealJson(await this.deps.sealer(), { v: 1, entry, signature, details });
      await this.deps.api.ledger.append({ ledgerSeq: entry.seq, meta, signed: { entry, signature } });
      head = { seq: entry.seq, hash: this.hasher.hash(entry), coveredTo: head.coveredTo };
    }
    return entries.length;
  }

  private async append(head: Head, planned: PlannedEntry, rejected: readonly number[]): Promise<Head> {
    if (!this.deps.isCurrent()) throw new LedgerHeadError('The vault was locked while the ledger was being written.');
    const { kind, subject, operator, inputs, details } = await this.describe(planned, head);
    const inRange = rejected.filter((seq) => seq >= planned.from && seq <= planned.to);
    const salted = { v: 1, salt: toBase64Url(randomBytes(16)), from: planned.from, to: planned.to, ...details, ...(inRange.length > 0 ? { rejected: inRange } : {}) };
    const seq = head.seq + 1;
    const { entry, signature } = await signEntry(this.deps.signer, this.deps.domain, {
      seq,
      prevHash: head.hash,
      kind,
      subject,
      operator,
      payloadHash: payloadHashOf(salted),
      inputs,
      createdAt: this.now(),
      node: this.deps.signer.address,
    });
    const meta = await sealJson(await this.deps.sealer(), { v: 1, entry, signature, details: salted });
    // The clear copy goes to the body's outbox for the notary: hashes and pseudonyms only.
    await this.deps.api.ledger.append({ ledgerSeq: seq, meta, signed: { entry, signature } });
    return { seq, hash: this.hasher.hash(entry), coveredTo: planned.to };
  }

  private async describe(planned: PlannedEntry, head: Head): Promise<{
    kind: LedgerEntryKind;
    subject: string;
    operator: string;
    inputs: string[];
    details: Record<string, unknown>;
  }> {
    if (planned.kind === 'INTAKE_BATCH') {
      const objectIds = planned.records.flatMap((record) => record.objects);
      const byChannel: Record<string, number> = {};
      for (const record of planned.records) {
        const channel = record.kind.slice('intake.'.length);
        byChannel[channel] = (byChannel[channel] ?? 0) + 1;
      }
      return {
        kind: 'INTAKE_BATCH',
        subject: ZERO_HASH,
        operator: ZERO_HASH,
        inputs: [bytes32Of(merkleRoot(objectIds.map(objectIdLeaf)))],
        details: {
          records: planned.records.length,
          byChannel,
          objectIds,
          firstAt: planned.records[0]!.at,
          lastAt: planned.records.at(-1)!.at,
        },
      };
    }
    const { record } = planned;
    // A mind event the body stamped with its actor is signed as that account, whatever pseudonym the
    // client wrote in the record (record-actor.ts); records journaled before keep their own.
    const operatorOf = await recordedOperator(this.deps.opener, this.deps.ledgerKey, record);
    const base = { kind: planned.kind, operator: pseudonymToBytes32(operatorOf), inputs: [journalRecordHash(record)] };
    const source = { seq: record.seq, kind: record.kind, at: record.at };
    const opened = await this.openMeta(record);
    if (opened === undefined) return { ...base, subject: ZERO_HASH, details: { source, unreadable: true } };
    const described = await this.subjectAndDetails(planned.kind, record, opened, head);
    // The body's audit records name the operator by account id; the entry signs its pseudonym.
    const operator = described.operatorId === undefined ? base.operator : pseudonymToBytes32(await deriveOperatorId(this.deps.ledgerKey, described.operatorId));
    // A consuming kind's inputs are what it consumes at the notary (shared/network/notary.ts CONSUMING_KINDS).
    const inputs = described.inputs ?? base.inputs;
    return { ...base, inputs, operator, subject: described.subject, details: { source, ...described.details } };
  }

  private async subjectAndDetails(
    kind: LedgerEntryKind,
    record: JournalRecord,
    value: unknown,
    head: Head,
  ): Promise<{ subject: string; details: Record<string, unknown>; operatorId?: string; inputs?: string[] }> {
    const none = { subject: ZERO_HASH, details: { unreadable: true } };
    switch (kind) {
      case 'SESSION': {
        const parsed = SessionAuditMetaSchema.safeParse(value);
        if (!parsed.success) return none;
        const { v: _v, operatorId, by, ...details } = parsed.data;
        // The administrator who ended a session (revoked) is signed as a pseudonym too, like the entry's operator.
        if (by !== undefined) return { subject: ZERO_HASH, details: { ...details, by: pseudonymToBytes32(await deriveOperatorId(this.deps.ledgerKey, by)) }, operatorId };
        return { subject: ZERO_HASH, details, operatorId };
      }
      case 'QUERY_ANSWERED': {
        // The query's hash is the subject; the count bucket, never the KEY list, is in the details.
        const parsed = QueryAnsweredMetaSchema.safeParse(value);
        if (!parsed.success) return none;
        const { queryHash, researcher, decision, answer } = parsed.data;
        return { subject: queryHash, details: { researcher, bucket: describeBucket(answer.bucket), repeat: decision === 'repeat', offered: answer.offer !== null } };
      }
      case 'PURCHASE_REQUESTED': {
        // The researcher's request: its hash, the clinic, the purchase and its size; never the keys.
        const parsed = PurchaseRequestedMetaSchema.safeParse(value);
        if (!parsed.success) return none;
        const { request } = parsed.data.signed;
        return { subject: parsed.data.requestHash, details: { purchaseId: request.purchaseId, clinic: request.clinic, offerIds: request.offerIds, records: request.keys.length, total: request.total } };
      }
      case 'PURCHASE_ACCEPTED': {
        // Consumes each offer id at the notary (the inputs); the details hold no key and no patient.
        const parsed = PurchaseAcceptedMetaSchema.safeParse(value);
        if (!parsed.success) return none;
        const { purchaseId, researcher, requestHash, offerIds, records, total, how } = parsed.data;
        return { subject: requestHash, inputs: [...offerIds], details: { purchaseId, researcher, offerIds, records, total, how } };
      }
      case 'DATA_DELIVERY': {
        // What a keeper checks a share against (the inputs, in this order) and what the buyer checks the
        // package against; the details hold the release's figures, never a patient or a key.
        const parsed = PurchaseDeliveredMetaSchema.safeParse(value);
        if (!parsed.success) return none;
        const { purchaseId, researcher, deliveryId, size, ciphertextSha256, commitment, manifestSha256, reportSha256, released, suppressed, k, l, keepers, threshold } = parsed.data;
        return {
          subject: purchaseIdInput(purchaseId),
          inputs: [`0x${ciphertextSha256}`, `0x${commitment}`],
          details: { purchaseId, researcher, deliveryId, size, manifestSha256, reportSha256, released, suppressed, k, l, keepers, threshold },
        };
      }
      case 'QUERY_POSTED': {
        // The query's hash, what the clinics' answers name; never its terms (the researcher's own business).
        const parsed = QueryPostedMetaSchema.safeParse(value);
        if (!parsed.success) return none;
        const { signed, queryHash, clinics } = parsed.data;
        return { subject: queryHash, details: { queryId: signed.query.queryId, purpose: signed.query.purpose, terms: signed.query.terms.length, clinics: clinics.length } };
      }
      case 'ESCROW_DEPOSIT': {
        // The deposit as the chain has it: its transaction is the input, what anyone can look up.
        const parsed = PurchasePaidMetaSchema.safeParse(value);
        if (!parsed.success) return none;
        const { purchaseId, clinic, chainId, escrow, txHash, block, amount } = parsed.data;
        return { subject: purchaseIdInput(purchaseId), inputs: [txHash], details: { purchaseId, clinic, chainId, escrow, block, amount } };
      }
      case 'DELIVERY_ACK': {
        // What the researcher received and opened: the package's hash and its manifest's, never a key.
        const parsed = PurchaseAcknowledgedMetaSchema.safeParse(value);
        if (!parsed.success) return none;
        const { purchaseId, clinic, ciphertextSha256, manifestSha256 } = parsed.data;
        return { subject: purchaseIdInput(purchaseId), inputs: [`0x${ciphertextSha256}`, `0x${manifestSha256}`], details: { purchaseId, clinic } };
      }
      case 'PURCHASE_DECLINED': {
        const parsed = PurchaseDeclinedMetaSchema.safeParse(value);
        if (!parsed.success) return none;
        const { purchaseId, researcher, requestHash, reason } = parsed.data;
        return { subject: requestHash ?? ZERO_HASH, details: { purchaseId, researcher, reason } };
      }
      case 'QUARANTINE': {
        const parsed = QuarantineResolutionMetaSchema.safeParse(value);
        if (!parsed.success) return none;
        const action = record.kind === QUARANTINE_KINDS.reprocessed ? 'reprocessed' : 'discarded';
        const { quarantineSeq, operatorId } = parsed.data;
        // A reprocess that filed the message (edited or not) is an act about the patient it filed it under (QA11 D9).
        const patientIds = action === 'reprocessed' ? await this.filedBy(record, quarantineSeq, filedCount(value)) : [];
        return {
          subject: patientIds.length === 0 ? ZERO_HASH : await patientSubject(this.deps.ledgerKey, patientIds[0]!),
          details: {
            action,
            quarantineSeq,
            at: record.at,
            ...(parsed.data.resolved === undefined ? {} : { resolved: parsed.data.resolved }),
            ...(patientIds.length > 0 ? { patientIds } : {}),
          },
          // The body names the calling session's operator by account id (acts journaled before: the record's pseudonym).
          ...(operatorId === undefined ? {} : { operatorId }),
        };
      }
      case 'ACCESS': {
        if (record.kind === MIND_KINDS.quarantineAccess) {
          // A quarantined input's raw bytes: an access of the patient its PID names when the vault
          // holds that chart (H8 F1), else of no one (it still lists in the date-range report).
          const quarantined = QuarantineAccessMetaSchema.safeParse(value);
          if (!quarantined.success) return none;
          const { quarantineSeq, patientId, at } = quarantined.data;
          if (patientId === undefined) return { subject: ZERO_HASH, details: { what: 'quarantined input', quarantineSeq, at } };
          return { subject: await patientSubject(this.deps.ledgerKey, patientId), details: { what: 'quarantined input', quarantineSeq, patientId, at } };
        }
        const parsed = AccessMetaSchema.safeParse(value);
        if (!parsed.success) return none;
        const { patientId, recordId, messageSeq, what, at } = parsed.data;
        return { subject: await patientSubject(this.deps.ledgerKey, patientId), details: { patientId, recordId, ...(messageSeq === undefined ? {} : { messageSeq }), ...(what === undefined ? {} : { what }), at } };
      }
      case 'RESTORE': {
        // The body's note of a restore (backup-journal.ts): no operator had signed in yet.
        const parsed = BackupRestoredMetaSchema.safeParse(value);
        if (!parsed.success) return none;
        const { at, erasures, records, objects, backupCreatedAt, ledgerSeq } = parsed.data;
        const counts = { at, erasuresReapplied: erasures, recordsErased: records, objectsErased: objects };
        // A restore journaled before the backup's date and last entry were recorded: no claim about what it rewound.
        if (backupCreatedAt === undefined || ledgerSeq === undefined) return { subject: ZERO_HASH, details: counts };
        return { subject: ZERO_HASH, details: { ...counts, ...(await this.rewound(backupCreatedAt, ledgerSeq, head)) } };
      }
      case 'ERASURE': {
        const parsed = ErasureMetaSchema.safeParse(value);
        if (!parsed.success) return none;
        const { patientId, messages, records, objects, quarantined, reports } = parsed.data;
        // Counts only: the quarantined inputs and the access reports erased with the patient, when the record says.
        const more = { ...(quarantined === undefined ? {} : { quarantined: quarantined.length }), ...(reports === undefined ? {} : { reports }) };
        return { subject: await patientSubject(this.deps.ledgerKey, patientId), details: { patientId, messages, records, objects, ...more } };
      }
      case 'OPERATOR_CHANGE': {
        const parsed = OperatorChangedMetaSchema.safeParse(value);
        if (!parsed.success) return none;
        return { subject: pseudonymToBytes32(parsed.data.subject), details: { action: parsed.data.action, role: parsed.data.role } };
      }
      case 'EXPORT': {
        if (record.kind === BACKUP_KINDS.scheduled) {
          // A scheduled backup the body made (no operator: it runs with nobody signed in).
          const at = (value as { at?: unknown } | null)?.at;
          const bytes = (value as { bytes?: unknown } | null)?.bytes;
          return { subject: ZERO_HASH, details: { what: 'backup', scheduled: true, ...(typeof at === 'string' ? { at } : {}), ...(typeof bytes === 'number' ? { bytes } : {}) } };
        }
        if (record.kind === BACKUP_KINDS.failed) {
          // A backup the body could not make (by hand or scheduled): the reason in words, no path.
          const failed = value as { at?: unknown; scheduled?: unknown; reason?: unknown; operatorId?: unknown } | null;
          const at = failed?.at;
          const reason = failed?.reason;
          // One by hand names the session's administrator by account id (H8); the entry signs its pseudonym.
          const operatorId = failed?.operatorId;
          return {
            subject: ZERO_HASH,
            details: { what: 'backup', result: 'failed', scheduled: failed?.scheduled === 1, ...(typeof reason === 'string' ? { reason: reason.slice(0, 500) } : {}), ...(typeof at === 'string' ? { at } : {}) },
            ...(typeof operatorId === 'string' && operatorId !== '' ? { operatorId } : {}),
          };
        }
        if (record.kind === AUDIT_KINDS.exported) {
          const audited = ExportAuditMetaSchema.safeParse(value);
          if (!audited.success) return none;
          // The patients an access report names: counted here (the entry's input pins the record that lists them; the views index them).
          const { v: _v, operatorId, subjects, sha256, ...details } = audited.data;
          // The report file's digest after the record's hash: access-report:verify finds the file as exported by it.
          const inputs = sha256 === undefined ? undefined : [journalRecordHash(record), `0x${sha256}`];
          return { subject: ZERO_HASH, details: { ...details, ...(subjects === undefined ? {} : { patients: subjects.length }) }, operatorId, ...(inputs === undefined ? {} : { inputs }) };
        }
        const what = record.kind.slice('export.'.length);
        const parsed = LedgerExportMetaSchema.safeParse(value);
        if (!parsed.success) return { subject: ZERO_HASH, details: { what, unreadable: true } };
        const { v: _v, patientId, ...rest } = parsed.data;
        // An export of one patient's data (a document saved from the viewer) is that patient's entry.
        return { subject: patientId === undefined ? ZERO_HASH : await patientSubject(this.deps.ledgerKey, patientId), details: { what, ...rest, ...(patientId === undefined ? {} : { patientId }) } };
      }
      case 'SETTINGS_CHANGE': {
        if (record.kind === AUDIT_KINDS.settings) {
          // The body's record of an administrator's change: which setting, each field old → new
          // (no path, no PHI), signed under the account the body took from the session.
          const audited = SettingsAuditMetaSchema.safeParse(value);
          if (!audited.success) return none;
          const { setting, operatorId, role, changes, workstation, at } = audited.data;
          const words = changes.map(({ field, from, to }) => `${field} ${from} → ${to}`).join('; ');
          return { subject: ZERO_HASH, details: { setting, value: words, changes, role, workstation, at }, operatorId };
        }
        const setting = record.kind.slice('settings.'.length);
        const autoLock = AutoLockSettingMetaSchema.safeParse(value);
        if (autoLock.success) return { subject: ZERO_HASH, details: { setting, value: `${autoLockWords(autoLock.data.before)} → ${autoLockWords(autoLock.data.minutes)}`, minutes: autoLock.data.minutes, before: autoLock.data.before } };
        const autoUnlock = AutoUnlockSettingMetaSchema.safeParse(value);
        if (autoUnlock.success) return { subject: ZERO_HASH, details: { setting, value: autoUnlock.data.enabled ? 'on' : 'off' } };
        const institution = InstitutionMetaSchema.safeParse(value);
        if (institution.success) return { subject: ZERO_HASH, details: { setting, value: institution.data.name, role: institution.data.role } };
        // A device approval: which device (its system id or prefix: a device, not a person) and the decision.
        const device = DeviceDecisionMetaSchema.safeParse(value);
        if (device.success) return { subject: ZERO_HASH, details: { setting, value: `${device.data.decision} ${device.data.systemIdPrefix}` } };
        return { subject: ZERO_HASH, details: { setting } };
      }
      case 'NOTARY_ALARM': {
        // Both signed checkpoints go into the salted details (sealed in the journal), the proof
        // anyone can check later; the entry's payloadHash commits to them.
        const parsed = LedgerAlarmMetaSchema.safeParse(value);
        if (!parsed.success) return none;
        return { subject: ZERO_HASH, details: { detail: parsed.data.detail, older: parsed.data.older, newer: parsed.data.newer } };
      }
      default: {
        // CONSENT, KEY_ROTATION: no such events exist yet; their subject is the patient when named.
        const patientId = (value as { patientId?: unknown } | null)?.patientId;
        return typeof patientId === 'string' ? { subject: await patientSubject(this.deps.ledgerKey, patientId), details: {} } : { subject: ZERO_HASH, details: {} };
      }
    }
  }

  /**
   * What a restore rewound (tester T2 S35 F3): the backup's date and last entry, and either the
   * entries after it that recovery fetched back from the network's log before this entry (the
   * chain continues after the notary's last one: session-ledger.ts), or, with none fetched, that
   * how far the earlier copy signed is unknown here: from the backup's last entry on, this chain
   * may be a second branch, and this entry says so rather than signing it silently.
   */
  private async rewound(backupMadeAt: string, backupLastEntry: number, head: Head): Promise<Record<string, unknown>> {
    const later = await this.deps.db().ledger.where(':id').between(backupLastEntry, head.seq, false, true).toArray();
    const recovered = later.filter((row) => row.summary['recovered'] !== undefined).map((row) => row.seq);
    if (recovered.length === 0) return { backupMadeAt, backupLastEntry, rewound: true };
    return { backupMadeAt, backupLastEntry, recoveredFrom: Math.min(...recovered), recoveredTo: Math.max(...recovered) };
  }

  /** The record's sealed meta, opened (a mind event's without its authenticator); undefined when it has none or it does not open. */
  /**
   * The patients (view ids, in journal order, each once) that the reprocess journaled as `record`
   * filed quarantine record `quarantineSeq` under: the HL7 records its run stored, which say they
   * are a reprocess of that record (hl7.reprocessOf) and come before its act in the journal. Acts on
   * the quarantine run one at a time in the body, so the run began after the previous act: the
   * search goes back from the act to the previous one (or to the quarantine record), at most
   * REPROCESS_LOOKBACK records, and stops once it has found the `expected` messages the run filed.
   */
  private async filedBy(record: JournalRecord, quarantineSeq: number, expected: number): Promise<string[]> {
    const backwards: string[] = [];
    let filed = 0;
    const floor = Math.max(quarantineSeq, record.seq - 1 - REPROCESS_LOOKBACK);
    search: for (let below = record.seq; below - 1 > floor && filed < expected; below = Math.max(floor, below - 1 - JOURNAL_READ_PART) + 1) {
      const records = await this.journalRange(Math.max(floor, below - 1 - JOURNAL_READ_PART), below - 1);
      for (let i = records.length - 1; i >= 0 && filed < expected; i--) {
        const earlier = records[i]!;
        if (earlier.kind === QUARANTINE_KINDS.reprocessed || earlier.kind === QUARANTINE_KINDS.discarded) break search;
        if (earlier.kind !== HL7_INTAKE_KIND) continue;
        const intake = IntakeMetaSchema.safeParse(await this.openRaw(earlier));
        if (!intake.success || intake.data.normalized.hl7?.reprocessOf?.quarantineSeq !== quarantineSeq) continue;
        filed++;
        const { patient } = intake.data.normalized;
        // The chart the views filed it on: the one holding any of its identifiers (patient-filing.ts).
        if (patient.identifiers.length > 0) backwards.push(await storedChartOf(this.deps.db(), this.deps.ledgerKey, patient.identifiers));
      }
    }
    return [...new Set(backwards.reverse())];
  }

  /** The journal's records with seq in (after, upTo], read forward in parts. */
  private async journalRange(after: number, upTo: number): Promise<JournalRecord[]> {
    const out: JournalRecord[] = [];
    for (let cursor = after; cursor < upTo; ) {
      const page = await this.deps.api.journal.read({ after: cursor, limit: Math.min(upTo - cursor, JOURNAL_READ_PART) });
      for (const r of page.records) if (r.seq <= upTo) out.push(r);
      if (page.records.length === 0 || page.end || page.nextCursor <= cursor) break;
      cursor = page.nextCursor;
    }
    return out;
  }

  private async openMeta(record: JournalRecord): Promise<unknown> {
    const opened = await this.openRaw(record);
    if (opened === undefined || !isMindEventKind(record.kind)) return opened;
    return (await checkMindEvent(this.deps.eventAuthKey, record, opened)).meta;
  }

  private async openRaw(record: JournalRecord): Promise<unknown> {
    if (record.meta === null) return undefined;
    try {
      return await openJson(this.deps.opener, record.meta);
    } catch {
      return undefined;
    }
  }
}
