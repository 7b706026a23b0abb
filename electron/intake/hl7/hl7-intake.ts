import { senderLabel } from '../../../shared/hl7/sender-label';
import type { IntakeQuarantine, NormalizedIntake } from '../../../shared/domain/clinical';
import { ackReplyOptions, buildAckText, buildBatchAck, ackCodesFor, newAckId, type AckCode, type AckIdentity, type AckOutcome } from './hl7-ack';
import { dedupeKeyHash, payloadHash, type Hl7Dedupe } from './hl7-duplicates';
import { ERR, type Hl7Problem } from './hl7-errors';
import { parseHl7, peekHeader, type Hl7CharsetDoubt, type Hl7CountMismatch, type Hl7Item, type Hl7Message, type MshHeader } from './hl7-front-end';
import { dedupeHashesOf, mapSafely, withAckCode, type HeaderSummary, type MappedMessage, type PrepareFrameRequest, type PreparedFrame, type PreparedMessage } from './hl7-prepare';
import { MAPPED_TYPES } from './hl7-mapping';
import type { SealedIntakeRecord } from '../intake-pipeline';

/**
 * The HL7 v2 intake: frames (MLLP) and files → parse → duplicates → map → the sealed pipeline →
 * ACK. Design §4: bad input is quarantined (raw sealed + reason) and answered AR/AE; the ACK goes
 * out only after `ingest` / `quarantine` resolved, i.e. after the journal fsync; duplicates are
 * answered as the original was and not stored again.
 *
 * Per input (one frame or one file) messages are handled in order, one at a time.
 */

/**
 * How a message came in: over MLLP, in a file, or (`hl7-reprocess`) run again from the quarantine
 * by an operator. Only MLLP answers with ACK messages; the sender's counters count MLLP and files,
 * a reprocess is counted apart (the sender did not send it again).
 */
export type Hl7Channel = 'hl7-mllp' | 'hl7-file' | 'hl7-reprocess';

/** An operator's reprocess of quarantine record `quarantineSeq` (its journal seq); `edited` when they changed the bytes. */
export interface Hl7ReprocessOf {
  readonly quarantineSeq: number;
  readonly edited: boolean;
  /** The charset the operator chose (an MSH-18 value): for an empty MSH-18, or with `charsetOverride` whatever MSH-18 says. */
  readonly charset?: string;
  readonly charsetOverride?: boolean;
}

/**
 * What a reprocessed message's record says of its run: the quarantine record, whether edited, and
 * the operator's charset only when the message was read with it (QA s33 D4: the raw view then
 * reads the bytes as the body did, not as the empty or wrong MSH-18 says).
 */
function reprocessRecordOf(reprocessOf: Hl7ReprocessOf, message: Hl7Message): { quarantineSeq: number; edited: boolean; charset?: string } {
  const { quarantineSeq, edited, charset } = reprocessOf;
  return { quarantineSeq, edited, ...(charset !== undefined && charsetChosen(reprocessOf, message) ? { charset } : {}) };
}

/** The message was read with the charset the operator chose at reprocess (MSH-18 empty, or overridden). */
function charsetChosen(reprocessOf: Hl7ReprocessOf | undefined, message: Hl7Message): boolean {
  return reprocessOf?.charset !== undefined && (reprocessOf.charsetOverride === true || message.header.charset === '');
}

/** What the pipeline's `ingest` takes for an accepted message (a subset of IntakeInput). */
export interface Hl7IngestInput {
  readonly kind: 'intake.hl7';
  readonly raw: Uint8Array;
  readonly normalized: NormalizedIntake;
  readonly receivedAt: Date;
  /** The duplicate tag the journal record carries (see Hl7Dedupe.store). */
  readonly dedupe?: string;
}

/** A quarantine record: the raw bytes to seal as the object, the metadata to seal into the journal (kind `intake.quarantine`). */
export interface Hl7QuarantineInput {
  readonly kind: 'intake.quarantine';
  readonly raw: Uint8Array;
  readonly quarantine: IntakeQuarantine;
  readonly receivedAt: Date;
  /** The duplicate tag the journal record carries (see Hl7Dedupe.store). */
  readonly dedupe?: string;
}

export interface StoredRecord {
  readonly seq: number;
  readonly objectId: string;
}

export interface Hl7Logger {
  info(object: object, message: string): void;
  warn(object: object, message: string): void;
  error(object: object, message: string): void;
}

export interface Hl7Peer {
  readonly address: string;
  readonly port?: number;
}

export interface Hl7IntakeOptions {
  /** The pipeline's ingest (resolves after the journal fsync). `pipeline.ingest` fits as is. */
  readonly ingest: (input: Hl7IngestInput) => Promise<StoredRecord>;
  /** Seals a quarantine record (resolves after the journal fsync). */
  readonly quarantine: (input: Hl7QuarantineInput) => Promise<StoredRecord>;
  readonly dedupe: Hl7Dedupe;
  readonly log: Hl7Logger;
  /** Charset when MSH-18 is empty (an MSH-18 value). Default `UNICODE UTF-8`. */
  readonly defaultCharset?: string;
  /** Charset whatever MSH-18 says (an MSH-18 value): a reprocess with the operator's override. */
  readonly forceCharset?: string;
  /** Only for file import (MLLP frames are capped by the listener). Default 16 MiB per message. */
  readonly maxMessageBytes?: number;
  /** Our MSH-3/4 in ACKs when the sender left MSH-5/6 empty. */
  readonly identity?: AckIdentity;
  readonly now?: () => Date;
  /** Size of the recent-messages ring. Default 200. */
  readonly recentLimit?: number;
  /**
   * Told each change to the counters as it is made, synchronously, before the message's ACK is
   * handed back: the counters' write-ahead log (intake-counters-store.ts) keeps it so a crash right
   * after an ACK does not lose the count.
   */
  readonly onCounted?: (change: Hl7CountedChange) => void;
  /**
   * MLLP frames prepared off this thread (hl7-prepare.ts on an intake worker): parse, map and seal
   * there; here only the duplicate check, the journal append and the ACK. A frame the preparer
   * leaves to this thread, or any failure of the preparer, takes the full path here instead.
   */
  readonly offload?: {
    prepare(request: PrepareFrameRequest): Promise<PreparedFrame>;
    /** Appends a record sealed by the preparer (resolves after the journal fsync). `pipeline.commitSealed` fits as is. */
    commit(record: SealedIntakeRecord): Promise<StoredRecord>;
  };
}

export interface Hl7ImportResult {
  readonly index: number;
  readonly messageType: string;
  readonly controlId: string;
  /** Original-mode view of the outcome: stored → AA, could not store → AE, rejected → AR. */
  readonly ack: 'AA' | 'AE' | 'AR';
  readonly reason?: string;
  readonly duplicate?: boolean;
  readonly conflict?: boolean;
  /** Stored in quarantine (rejected, or accepted without a patient). */
  readonly quarantined?: boolean;
  /** The journal seq of the quarantine record written for it now (absent when it was answered as before). */
  readonly quarantineSeq?: number;
  readonly mapping?: 'mapped' | 'partial' | 'not-mapped';
  /** The input was a batch whose BTS-1 / FTS-1 count disagreed with what it held (batchCountNote): for the import's summary. */
  readonly batchNote?: string;
}

/**
 * What a wrong batch count is called, in the reply's BTS-2, the log's words and an import's summary:
 * counts only. HL7 v2 says what BTS-1 and FTS-1 count, not what a receiver does when they are wrong;
 * this one takes every message anyway (each has its own ACK, so the sender knows which were taken,
 * and throwing away good messages for a wrong trailer would lose data) and says that the count was wrong.
 */
export function batchCountNote(mismatches: readonly Hl7CountMismatch[]): string | undefined {
  if (mismatches.length === 0) return undefined;
  const words = mismatches.map((m) =>
    m.segment === 'BTS' ? `BTS-1 said ${m.stated}, the batch held ${m.found} message${m.found === 1 ? '' : 's'}` : `FTS-1 said ${m.stated}, the file held ${m.found} batch${m.found === 1 ? '' : 'es'}`,
  );
  return `Count mismatch: ${words.join('; ')}`;
}

export interface Hl7SenderCounters {
  /** MSH-3|MSH-4 as sent, or `peer <address>` when the header could not be read. */
  readonly sender: string;
  received: number;
  accepted: number;
  errored: number;
  duplicates: number;
  conflicts: number;
  /** Run again from the quarantine by an operator: not in the figures above (what the sender sent). */
  reprocessed: number;
  lastAt: string;
}

/** One message's change to the counters: the sender's row (null: the totals only) and what it added. */
export interface Hl7CountedChange {
  readonly sender: string | null;
  readonly received: number;
  readonly accepted: number;
  readonly errored: number;
  readonly duplicates: number;
  readonly conflicts: number;
  readonly reprocessed: number;
  readonly oversize: number;
  /** The sender's last message time after the change ('' when it did not change). */
  readonly lastAt: string;
}

const NO_CHANGE = { received: 0, accepted: 0, errored: 0, duplicates: 0, conflicts: 0, reprocessed: 0, oversize: 0, lastAt: '' } as const;

export interface Hl7RecentMessage {
  readonly at: string;
  readonly channel: Hl7Channel;
  readonly sender: string;
  readonly controlId: string;
  readonly messageType: string;
  /** The ACK codes sent, e.g. `AA`, `CA/AA`, `AR`; empty when none was asked for. */
  readonly acks: string;
  readonly duplicate?: boolean;
  readonly conflict?: boolean;
  readonly quarantined?: boolean;
  /** Why it was not accepted (no PHI). */
  readonly reason?: string;
}

export interface Hl7IntakeStats {
  readonly senders: readonly Readonly<Hl7SenderCounters>[];
  /** Newest first. */
  readonly recent: readonly Hl7RecentMessage[];
  readonly totals: { readonly received: number; readonly accepted: number; readonly errored: number; readonly duplicates: number; readonly conflicts: number; readonly oversize: number; readonly reprocessed: number };
}

export interface Hl7Intake {
  /** One MLLP frame's payload → the ACK messages to send back, in order (each to be framed). */
  handleFrame(frame: Buffer, peer: Hl7Peer): Promise<Buffer[]>;
  /** A frame over the size cap (only its first bytes kept) → the AR to send back. */
  handleOversize(head: Buffer, bytes: number, peer: Hl7Peer): Promise<Buffer[]>;
  /**
   * A dropped file's bytes: one message, a batch, or several messages → one result per message.
   * `reprocess`: the bytes are a quarantined message an operator runs again (channel
   * hl7-reprocess): stored records say so, and the sender's counters are left alone.
   */
  importFile(bytes: Uint8Array, options?: { readonly name?: string; readonly reprocess?: Hl7ReprocessOf }): Promise<Hl7ImportResult[]>;
  stats(): Hl7IntakeStats;
}

interface ItemOutcome {
  readonly header: MshHeader | null;
  readonly codes: AckCode[];
  /** ACK message texts (segments joined by CR, no final CR). */
  readonly ackTexts: string[];
  readonly result: Hl7ImportResult;
}

const DEFAULT_MAX = 16 * 1024 * 1024;

function location(problem: Hl7Problem): string | undefined {
  const l = problem.location;
  return l === undefined ? undefined : [l.segment, l.sequence, l.field ?? ''].join('^').replace(/\^+$/, '');
}

/**
 * Sender rows counted by name. A clinic has tens of feeds; past this many names (a sender that puts
 * a timestamp in MSH-4, or a flood of made-up ones) new names are counted together in one row, so
 * the counters, their saved file and the monitor stay bounded.
 */
export const MAX_NAMED_SENDERS = 500;
/** The row of the senders past MAX_NAMED_SENDERS: no sender name has this shape (they hold "|" or start with "No readable sender"). */
export const OTHER_SENDERS = 'Other senders (not counted by name)';

function senderOf(header: HeaderSummary | null, source: string): string {
  // A header that names no sender is counted under the peer's address without the port, in the
  // words the browser and the quarantine use (senderLabel).
  return senderLabel(header?.sendingApplication, header?.sendingFacility, source);
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/** Whether ACK messages go back (MLLP); a file import and a reprocess only report the code. */
function sendsAcks(channel: Hl7Channel): boolean {
  return channel === 'hl7-mllp';
}

/** MSH-9 says the message is itself an acknowledgment (ACK). */
function isAcknowledgment(header: Pick<MshHeader, 'messageCode'> | null): boolean {
  return header !== null && header.messageCode.trim().toUpperCase() === 'ACK';
}

/**
 * A message of a type this node does not map that carries no PID at all (MFN master files, an
 * inbound ACK, MFK, MCF…): such types never name a patient, so no edit could file it and holding
 * it in the quarantine leaves the operator an item nobody can act on (QA s33 D5). It is kept as a
 * "not mapped" record instead (an `intake.quarantine` record with disposition `not-mapped`, the
 * record for accepted input that names no patient), like an unmapped SIU, DFT or BAR, which is
 * filed under its PID. A mapped type without a PID (an ORU that lost it) is still held: it can be fixed.
 */
function neverNamesAPatient(message: Hl7Message): boolean {
  return !MAPPED_TYPES.has(message.header.messageCode.trim().toUpperCase()) && !message.segments.some((segment) => segment.name === 'PID');
}

export function createHl7Intake(options: Hl7IntakeOptions): Hl7Intake {
  const { ingest, quarantine, dedupe, log } = options;
  const now = options.now ?? (() => new Date());
  const identity: AckIdentity = options.identity ?? {};
  const maxMessageBytes = options.maxMessageBytes ?? DEFAULT_MAX;
  const recentLimit = options.recentLimit ?? 200;
  const senders = new Map<string, Hl7SenderCounters>();
  const recent: Hl7RecentMessage[] = [];
  const totals = { received: 0, accepted: 0, errored: 0, duplicates: 0, conflicts: 0, oversize: 0, reprocessed: 0 };
  /** Identical messages in flight (two connections resending at once): the second waits for the first. */
  const inFlight = new Map<string, Promise<ItemOutcome>>();
  /** The exact ACK texts of recent first answers, for duplicates (bounded; after a restart they are rebuilt from the code and the ACK id the record's tag keeps). */
  const ackCache = new Map<string, string[]>();
  const ACK_CACHE_LIMIT = 10_000;

  function countersOf(name: string): Hl7SenderCounters {
    const named = senders.size - (senders.has(OTHER_SENDERS) ? 1 : 0);
    const sender = senders.has(name) || named < MAX_NAMED_SENDERS ? name : OTHER_SENDERS;
    let counters = senders.get(sender);
    if (counters === undefined) {
      counters = { sender, received: 0, accepted: 0, errored: 0, duplicates: 0, conflicts: 0, reprocessed: 0, lastAt: '' };
      senders.set(sender, counters);
    }
    return counters;
  }


  function remember(entry: Hl7RecentMessage): void {
    recent.unshift(entry);
    if (recent.length > recentLimit) recent.length = recentLimit;
  }

  /**
   * The ACK codes and texts for an outcome (MLLP; a file import and a reprocess get codes only).
   * `ackId`: the original's (a duplicate's record tag), so that the ACKs are the bytes sent then;
   * otherwise a new one, dated now. `ackId` in the result: what the stored record's tag keeps.
   */
  function acksFor(header: MshHeader | null, outcome: AckOutcome, channel: Hl7Channel, ackId?: string): { codes: AckCode[]; texts: string[]; ackId?: string } {
    if (!sendsAcks(channel)) return { codes: [outcome.kind === 'stored' ? 'AA' : outcome.problem.ack], texts: [] };
    // An acknowledgment is not acknowledged (HL7 v2 original mode): answering a sender's ACK with
    // another could set two systems acknowledging each other forever (QA s33 D5). It is stored, unanswered.
    if (isAcknowledgment(header)) return { codes: [], texts: [] };
    const codes = ackCodesFor(header, outcome);
    const problem = outcome.kind === 'stored' ? undefined : outcome.problem;
    const id = ackId ?? newAckId(now().getTime());
    return { codes, texts: codes.map((code, i) => buildAckText(header, code, problem, { ...identity, ...ackReplyOptions(id, i) })), ackId: id };
  }

  function originalCode(outcome: AckOutcome): 'AA' | 'AE' | 'AR' {
    return outcome.kind === 'stored' ? 'AA' : outcome.problem.ack;
  }

  function record(channel: Hl7Channel, source: string, header: HeaderSummary | null, outcome: AckOutcome, codes: AckCode[], extra: { duplicate?: boolean; conflict?: boolean; quarantined?: boolean; reason?: string }): void {
    const sender = senderOf(header, source);
    const counters = countersOf(sender);
    if (channel === 'hl7-reprocess') {
      // Not the sender's traffic: counted apart, whatever came of it (stored, rejected again, a duplicate).
      totals.reprocessed++;
      counters.reprocessed++;
      options.onCounted?.({ ...NO_CHANGE, sender: counters.sender, reprocessed: 1 });
    } else {
      const change = {
        ...NO_CHANGE,
        sender: counters.sender,
        received: 1,
        duplicates: extra.duplicate === true ? 1 : 0,
        accepted: extra.duplicate !== true && outcome.kind === 'stored' ? 1 : 0,
        errored: extra.duplicate !== true && outcome.kind !== 'stored' ? 1 : 0,
        conflicts: extra.conflict === true ? 1 : 0,
        lastAt: now().toISOString(),
      };
      totals.received++;
      totals.duplicates += change.duplicates;
      totals.accepted += change.accepted;
      totals.errored += change.errored;
      totals.conflicts += change.conflicts;
      counters.received++;
      counters.duplicates += change.duplicates;
      counters.accepted += change.accepted;
      counters.errored += change.errored;
      counters.conflicts += change.conflicts;
      counters.lastAt = change.lastAt;
      options.onCounted?.(change);
    }
    remember({
      at: now().toISOString(),
      channel,
      sender,
      controlId: (header?.controlId ?? '').slice(0, 200),
      messageType: (header?.messageType ?? '').slice(0, 40),
      acks: codes.join('/'),
      ...(extra.duplicate === true ? { duplicate: true } : {}),
      ...(extra.conflict === true ? { conflict: true } : {}),
      ...(extra.quarantined === true ? { quarantined: true } : {}),
      ...(extra.reason !== undefined ? { reason: extra.reason.slice(0, 300) } : {}),
    });
  }

  async function storeQuarantine(
    raw: Uint8Array,
    channel: Hl7Channel,
    source: string,
    header: MshHeader | null,
    fields: { disposition: IntakeQuarantine['disposition']; reason: string; acks: AckCode[]; ackTexts?: readonly string[]; problem?: Hl7Problem; batchIndex?: number; payload?: string; dedupe?: string },
  ): Promise<StoredRecord> {
    const loc = fields.problem === undefined ? undefined : location(fields.problem);
    const record: IntakeQuarantine = {
      type: 'quarantine',
      channel,
      disposition: fields.disposition,
      reason: fields.reason.slice(0, 500),
      acks: fields.acks,
      ...(fields.problem !== undefined ? { errorCode: fields.problem.code } : {}),
      ...(loc !== undefined ? { errorLocation: loc } : {}),
      ...(header !== null
        ? {
            messageType: header.messageType.slice(0, 40),
            ...(header.controlId !== '' ? { messageId: header.controlId.slice(0, 200) } : {}),
            sendingApplication: header.sendingApplication.slice(0, 200),
            sendingFacility: header.sendingFacility.slice(0, 200),
            version: header.version.slice(0, 16),
            ...(header.charset !== '' ? { charset: header.charset.slice(0, 40) } : {}),
          }
        : {}),
      source: source.slice(0, 300),
      ...(fields.batchIndex !== undefined ? { batchIndex: fields.batchIndex } : {}),
      ...(fields.payload !== undefined ? { payloadSha256: fields.payload } : {}),
      ...(fields.ackTexts !== undefined && fields.ackTexts.length > 0 ? { ackTexts: fields.ackTexts.slice(0, 2).map((ack) => ack.slice(0, 4000)) } : {}),
    };
    return quarantine({ kind: 'intake.quarantine', raw, quarantine: record, receivedAt: now(), ...(fields.dedupe !== undefined ? { dedupe: fields.dedupe } : {}) });
  }

  /** A message the front end refused: quarantine it, then answer with its problem (AE if even that fails). */
  async function rejectItem(raw: Uint8Array, header: MshHeader | null, problem: Hl7Problem, channel: Hl7Channel, source: string, index: number, batchIndex?: number): Promise<ItemOutcome> {
    // A resend of a message we already rejected (same sender, control id and bytes) gets the same answer, no second record.
    const keyed = header !== null && header.controlId !== '';
    const payload = payloadHash(raw);
    const tag = keyed ? dedupe.tag(dedupeKeyHash({ sendingApplication: header.fields[3] ?? '', sendingFacility: header.fields[4] ?? '', controlId: header.controlId }), payload) : null;
    const verdict = tag === null ? null : await dedupe.check(tag);
    // What the operator reads (the quarantine, the monitor, an import's results); the ACK says problem.text.
    const reason = problem.reason ?? problem.text;
    if (verdict?.status === 'duplicate') {
      const outcome: AckOutcome = { kind: 'rejected', problem };
      const { codes, texts } = acksFor(header, outcome, channel, verdict.ackId);
      record(channel, source, header, outcome, codes, { duplicate: true, reason });
      return { header, codes, ackTexts: texts, result: resultOf(index, header, outcome, { duplicate: true, reason, quarantined: true }) };
    }
    let outcome: AckOutcome = { kind: 'rejected', problem };
    let planned = acksFor(header, outcome, channel);
    let quarantineSeq: number | undefined;
    try {
      const fields = { disposition: 'rejected' as const, reason, acks: planned.codes, ackTexts: planned.texts, problem, ...(batchIndex !== undefined ? { batchIndex } : {}), payload };
      // The record carries the tag, so a resend of the same bytes gets the same answer, even after a crash.
      const stored =
        tag !== null
          ? await dedupe.store(tag, planned.codes[0] ?? problem.ack, (journalTag) => storeQuarantine(raw, channel, source, header, { ...fields, dedupe: journalTag }), planned.ackId)
          : await storeQuarantine(raw, channel, source, header, fields);
      quarantineSeq = stored.seq;
    } catch (error) {
      log.error({ channel, source, error: describe(error) }, 'HL7 intake: could not store a rejected message in quarantine; answering AE');
      outcome = { kind: 'store-failed', problem: ERR.cannotStore('The message could not be stored (quarantine unavailable); please resend later.') };
      planned = acksFor(header, outcome, channel);
    }
    // Codes, positions and lengths only: the problem's words, like the message, stay out of the log.
    log.warn({ channel, source, code: problem.code, location: location(problem) ?? '', bytes: raw.length, acks: planned.codes.join('/') }, 'HL7 message rejected');
    record(channel, source, header, outcome, planned.codes, { quarantined: outcome.kind === 'rejected', reason: outcome.kind === 'rejected' ? reason : outcome.problem.text });
    return {
      header,
      codes: planned.codes,
      ackTexts: planned.texts,
      result: resultOf(index, header, outcome, { reason, quarantined: outcome.kind === 'rejected', ...(quarantineSeq !== undefined ? { quarantineSeq } : {}) }),
    };
  }

  function resultOf(index: number, header: HeaderSummary | null, outcome: AckOutcome, extra: Partial<Hl7ImportResult>): Hl7ImportResult {
    return {
      index,
      messageType: header?.messageType ?? '',
      controlId: header?.controlId ?? '',
      ack: originalCode(outcome),
      ...(outcome.kind !== 'stored' ? { reason: outcome.problem.text } : {}),
      ...extra,
    };
  }

  async function acceptMessage(message: Hl7Message, channel: Hl7Channel, source: string, batchIndex?: number, reprocessOf?: Hl7ReprocessOf): Promise<ItemOutcome> {
    // Bytes that read as UTF-8 under a single-byte charset are held (tester T2 D5), unless the operator chose that charset.
    const doubt = charsetChosen(reprocessOf, message) ? undefined : message.charsetDoubt;
    const { keyHash, payload } = dedupeHashesOf(message, doubt !== undefined);
    const flightKey = `${keyHash}:${payload}`;
    const running = inFlight.get(flightKey);
    if (running !== undefined) {
      const first = await running;
      return duplicateOf(first, message, channel, source);
    }
    const work = acceptOnce(message, channel, source, keyHash, payload, flightKey, doubt, batchIndex, reprocessOf);
    inFlight.set(flightKey, work);
    try {
      return await work;
    } finally {
      inFlight.delete(flightKey);
    }
  }

  function duplicateOf(first: ItemOutcome, message: Hl7Message, channel: Hl7Channel, source: string): ItemOutcome {
    const stored = first.result.ack === 'AA';
    const outcome: AckOutcome = stored ? { kind: 'stored' } : { kind: 'store-failed', problem: ERR.cannotStore(first.result.reason ?? 'not stored') };
    record(channel, source, message.wireHeader, outcome, first.codes, { duplicate: stored });
    // The first one's quarantine record is not this message's: it wrote none.
    const { quarantineSeq: _written, ...result } = first.result;
    void _written;
    return { ...first, result: { ...result, index: message.index, duplicate: stored } };
  }

  async function acceptOnce(
    message: Hl7Message,
    channel: Hl7Channel,
    source: string,
    keyHash: string,
    payload: string,
    flightKey: string,
    doubt: Hl7CharsetDoubt | undefined,
    batchIndex?: number,
    reprocessOf?: Hl7ReprocessOf,
  ): Promise<ItemOutcome> {
    const header = message.wireHeader;
    const tag = dedupe.tag(keyHash, payload);
    // A reprocess runs a copy of its quarantine record, which holds the same key: an edited copy
    // differs from it by the operator's edit, not because the sender reused the control id.
    const verdict = await dedupe.check(tag, reprocessOf === undefined ? {} : { copyOf: reprocessOf.quarantineSeq });
    if (verdict.status === 'duplicate') {
      const outcome: AckOutcome = verdict.ack === 'AR' || verdict.ack === 'CR' ? { kind: 'rejected', problem: ERR.segmentSequence('Rejected before.') } : { kind: 'stored' };
      const cached = ackCache.get(flightKey);
      const planned = cached !== undefined && sendsAcks(channel) ? { codes: ackCodesFor(header, outcome), texts: cached } : acksFor(header, outcome, channel, verdict.ackId);
      record(channel, source, header, outcome, planned.codes, { duplicate: true });
      log.info({ channel, source, bytes: message.raw.length }, 'HL7 duplicate: answered as before, not stored again');
      return { header, codes: planned.codes, ackTexts: sendsAcks(channel) ? planned.texts : [], result: resultOf(message.index, message.header, outcome, { duplicate: true }) };
    }
    const conflict = verdict.status === 'conflict';
    const receivedAt = now();
    let outcome: AckOutcome;
    let mapping: Hl7ImportResult['mapping'];
    let quarantined = false;
    let quarantineSeq: number | undefined;
    let reason: string | undefined;
    // Doubted: not mapped at all (its names would be garbled), held whatever its type.
    const mapped = doubt !== undefined ? null : (() => {
      const result = mapSafely(message, { channel, receivedAt, dedupeKey: keyHash, payloadSha256: payload, conflict, ...(batchIndex !== undefined ? { batchIndex } : {}), ...(reprocessOf !== undefined ? { reprocessOf: reprocessRecordOf(reprocessOf, message) } : {}) });
      if (result.kind !== 'failed') return result;
      log.error({ channel, error: result.error instanceof Error ? result.error.name : typeof result.error }, 'HL7 mapping failed; the message is held in quarantine');
      return { kind: 'no-patient' as const, reason: 'The message could not be mapped (internal mapping failure).', mapping: 'not-mapped' as const };
    })();
    const planned = acksFor(header, { kind: 'stored' }, channel);
    try {
      if (mapped === null) {
        // Answered as every held message is (AA: kept, and resending it unchanged would not help);
        // the reason and the log name the field, never its text.
        quarantined = true;
        reason = doubt!.reason;
        const { segment, sequence, field } = doubt!.location;
        log.warn({ channel, source, location: `${segment}${sequence > 1 ? `#${sequence}` : ''}-${field ?? 0}`, bytes: message.raw.length }, 'HL7 message held: its bytes read as UTF-8, not as the single-byte charset MSH-18 (or the default) names');
        const held = { disposition: 'held' as const, reason, acks: planned.codes, ackTexts: planned.texts, ...(batchIndex !== undefined ? { batchIndex } : {}), payload };
        quarantineSeq = (await dedupe.store(tag, planned.codes[0] ?? 'AA', (journalTag) => storeQuarantine(message.raw, channel, source, message.header, { ...held, dedupe: journalTag }), planned.ackId)).seq;
      } else if (mapped.kind === 'patient') {
        mapping = mapped.normalized.hl7?.mapping;
        const normalized: NormalizedIntake = withAckCode(mapped.normalized, planned.codes[0], planned.texts);
        await dedupe.store(tag, planned.codes[0] ?? 'AA', (journalTag) => ingest({ kind: 'intake.hl7', raw: message.raw, normalized, receivedAt, dedupe: journalTag }), planned.ackId);
      } else if (neverNamesAPatient(message)) {
        mapping = 'not-mapped';
        const unmapped = { disposition: 'not-mapped' as const, reason: `Stored, type not mapped: ${message.header.messageCode.trim().toUpperCase().slice(0, 10)} messages name no patient.`, acks: planned.codes, ackTexts: planned.texts, ...(batchIndex !== undefined ? { batchIndex } : {}), payload };
        await dedupe.store(tag, planned.codes[0] ?? 'AA', (journalTag) => storeQuarantine(message.raw, channel, source, message.header, { ...unmapped, dedupe: journalTag }), planned.ackId);
      } else {
        mapping = mapped.mapping;
        quarantined = true;
        reason = mapped.reason;
        const held = { disposition: 'held' as const, reason: mapped.reason, acks: planned.codes, ackTexts: planned.texts, ...(batchIndex !== undefined ? { batchIndex } : {}), payload };
        quarantineSeq = (await dedupe.store(tag, planned.codes[0] ?? 'AA', (journalTag) => storeQuarantine(message.raw, channel, source, message.header, { ...held, dedupe: journalTag }), planned.ackId)).seq;
      }
      outcome = { kind: 'stored' };
    } catch (error) {
      return storeFailed(error, channel, source, header, message.header, message.index);
    }
    rememberAck(flightKey, planned.texts, channel);
    if (conflict) log.warn({ channel, source, bytes: message.raw.length }, 'HL7 control id conflict: same sender and control id as an earlier message, different content; stored and flagged');
    record(channel, source, header, outcome, planned.codes, { conflict, quarantined, ...(reason !== undefined ? { reason } : {}) });
    return {
      header,
      codes: planned.codes,
      ackTexts: planned.texts,
      result: resultOf(message.index, message.header, outcome, { ...(conflict ? { conflict: true } : {}), ...(quarantined ? { quarantined: true, reason: reason!, ...(quarantineSeq !== undefined ? { quarantineSeq } : {}) } : {}), ...(mapping !== undefined ? { mapping } : {}) }),
    };
  }

  /** Could not store (disk full, journal broken…): logged without content, answered AE/CE so the sender retries. */
  function storeFailed(error: unknown, channel: Hl7Channel, source: string, header: MshHeader | null, decoded: HeaderSummary | null, index: number): ItemOutcome {
    log.error({ channel, source, error: describe(error) }, 'HL7 intake: the message could not be stored; answering AE');
    const outcome: AckOutcome = { kind: 'store-failed', problem: ERR.cannotStore('The message could not be stored on this node (storage unavailable); please resend later.') };
    const failed = acksFor(header, outcome, channel);
    record(channel, source, header, outcome, failed.codes, { reason: outcome.problem.text });
    return { header, codes: failed.codes, ackTexts: failed.texts, result: resultOf(index, decoded, outcome, {}) };
  }

  /** After a durable store (the duplicate index learnt it in Hl7Dedupe.store): the ACK cache learns the exact texts. */
  function rememberAck(flightKey: string, texts: string[], channel: Hl7Channel): void {
    if (sendsAcks(channel)) {
      if (ackCache.size >= ACK_CACHE_LIMIT) ackCache.delete(ackCache.keys().next().value!);
      ackCache.set(flightKey, texts);
    }
  }

  /**
   * Commits a frame the offload prepared, when it is what the preparer assumed: a single message,
   * new (not a duplicate or a conflict, not in flight on another connection). Null otherwise, and
   * the caller takes the full path (nothing was stored).
   */
  async function commitPrepared(prepared: PreparedMessage | MappedMessage, frame: Buffer, source: string, commit: (record: SealedIntakeRecord) => Promise<StoredRecord>): Promise<ItemOutcome | null> {
    const { keyHash, payload, summary } = prepared;
    const flightKey = `${keyHash}:${payload}`;
    const tag = dedupe.tag(keyHash, payload);
    // Anything known under the key (a duplicate, a conflict, or an entry to confirm): the full path.
    if (inFlight.has(flightKey) || !dedupe.isNew(tag)) return null;
    const work = (async (): Promise<ItemOutcome> => {
      try {
        // Sealed off this thread, or (too large to travel inline) sealed into an object file here.
        await dedupe.store(tag, prepared.codes[0] ?? 'AA', (journalTag) =>
          'sealed' in prepared
            ? commit({ ...prepared.sealed, dedupe: journalTag })
            : ingest({ kind: 'intake.hl7', raw: frame, normalized: prepared.normalized, receivedAt: new Date(prepared.receivedAt), dedupe: journalTag }),
          prepared.ackId,
        );
      } catch (error) {
        // The failure ACK echoes the sender's MSH, read again here from the frame (a rare path).
        return storeFailed(error, 'hl7-mllp', source, peekHeader(frame), summary, 0);
      }
      rememberAck(flightKey, prepared.ackTexts, 'hl7-mllp');
      const outcome: AckOutcome = { kind: 'stored' };
      record('hl7-mllp', source, summary, outcome, prepared.codes, {});
      return { header: null, codes: prepared.codes, ackTexts: prepared.ackTexts, result: resultOf(0, summary, outcome, prepared.mapping !== undefined ? { mapping: prepared.mapping } : {}) };
    })();
    inFlight.set(flightKey, work);
    try {
      return await work;
    } finally {
      inFlight.delete(flightKey);
    }
  }

  /** The offload's answer for a frame ('prepared', 'over-budget' or 'in-thread'), or null when it failed. */
  async function prepareOffThread(frame: Buffer, receivedAt: Date): Promise<PreparedFrame | null> {
    const offload = options.offload;
    if (offload === undefined) return null;
    try {
      const prepared = await offload.prepare({
        frame,
        receivedAt: receivedAt.getTime(),
        maxMessageBytes,
        ...(options.defaultCharset !== undefined ? { defaultCharset: options.defaultCharset } : {}),
        ...(options.identity !== undefined ? { identity: options.identity } : {}),
      });
      return prepared;
    } catch (error) {
      log.warn({ error: describe(error) }, 'HL7 intake worker failed on a frame; handling it on the listener thread');
      return null;
    }
  }

  async function handleItem(item: Hl7Item, channel: Hl7Channel, source: string, batchIndex?: number, reprocessOf?: Hl7ReprocessOf): Promise<ItemOutcome> {
    if (!item.ok) return rejectItem(item.raw, item.header, item.problem, channel, source, item.index, batchIndex);
    if (item.message.raw.length > maxMessageBytes) {
      return rejectItem(item.message.raw, item.message.wireHeader, ERR.tooLarge(`The message is ${item.message.raw.length} bytes; the limit is ${maxMessageBytes}.`), channel, source, item.index, batchIndex);
    }
    return acceptMessage(item.message, channel, source, batchIndex, reprocessOf);
  }

  async function handleInput(bytes: Uint8Array, channel: Hl7Channel, source: string, reprocessOf?: Hl7ReprocessOf): Promise<{ outcomes: ItemOutcome[]; batch: ReturnType<typeof parseHl7>['batch']; batchNote: string | undefined }> {
    const input = parseHl7(bytes, {
      ...(options.defaultCharset === undefined ? {} : { defaultCharset: options.defaultCharset }),
      ...(options.forceCharset === undefined ? {} : { forceCharset: options.forceCharset }),
    });
    const mismatches = input.batch?.countMismatches ?? [];
    for (const { segment, stated, found } of mismatches) {
      log.warn({ channel, source, segment, stated, found }, `HL7 batch: ${segment}-1 gives a count that disagrees with what was received; every message was processed`);
    }
    const outcomes: ItemOutcome[] = [];
    const many = input.items.length > 1 || input.batch !== null;
    for (const item of input.items) {
      try {
        outcomes.push(await handleItem(item, channel, source, many ? item.index : undefined, reprocessOf));
      } catch (error) {
        // Not expected (handleItem catches storage failures); never let it escape as a crash.
        log.error({ channel, source, error: error instanceof Error ? error.name : typeof error }, 'HL7 intake: unexpected failure');
        const header = item.ok ? item.message.wireHeader : item.header;
        const outcome: AckOutcome = { kind: 'store-failed', problem: ERR.internal('Application internal error; please resend later.') };
        const planned = acksFor(header, outcome, channel);
        record(channel, source, header, outcome, planned.codes, { reason: outcome.problem.text });
        outcomes.push({ header, codes: planned.codes, ackTexts: planned.texts, result: resultOf(item.index, header, outcome, {}) });
      }
    }
    return { outcomes, batch: input.batch, batchNote: batchCountNote(mismatches) };
  }

  return {
    async handleFrame(frame, peer) {
      const source = peer.port === undefined ? peer.address : `${peer.address}:${peer.port}`;
      if (options.offload !== undefined) {
        const prepared = await prepareOffThread(frame, now());
        if (prepared?.kind === 'over-budget') {
          // Not parsed here either: its cost is what stalled the worker. Quarantined (raw sealed), answered AE.
          const outcome = await rejectItem(frame, peekHeader(frame), ERR.overBudget(prepared.budgetMs), 'hl7-mllp', source, 0);
          return outcome.ackTexts.map((text) => Buffer.from(`${text}\r`, 'latin1'));
        }
        const outcome = prepared?.kind === 'prepared' || prepared?.kind === 'mapped' ? await commitPrepared(prepared.message, frame, source, options.offload.commit) : null;
        if (outcome !== null) return outcome.ackTexts.map((text) => Buffer.from(`${text}\r`, 'latin1'));
      }
      const { outcomes, batch, batchNote } = await handleInput(frame, 'hl7-mllp', source);
      if (batch !== null) return [buildBatchAck(batch, outcomes.flatMap((outcome) => outcome.ackTexts), { ...identity, now: now(), ...(batchNote !== undefined ? { comment: batchNote } : {}) })];
      return outcomes.flatMap((outcome) => outcome.ackTexts.map((text) => Buffer.from(`${text}\r`, 'latin1')));
    },

    async handleOversize(head, bytes, peer) {
      const source = peer.port === undefined ? peer.address : `${peer.address}:${peer.port}`;
      totals.oversize++;
      options.onCounted?.({ ...NO_CHANGE, sender: null, oversize: 1 });
      const header = peekHeader(head);
      const problem = ERR.tooLarge(`The message is larger than this receiver's limit (${bytes} bytes received); only its first ${head.length} bytes were kept.`);
      const outcome = await rejectItem(head, header, problem, 'hl7-mllp', source, 0);
      return outcome.ackTexts.map((text) => Buffer.from(`${text}\r`, 'latin1'));
    },

    async importFile(bytes, importOptions = {}) {
      const reprocessOf = importOptions.reprocess;
      const { outcomes, batchNote } = await handleInput(bytes, reprocessOf === undefined ? 'hl7-file' : 'hl7-reprocess', importOptions.name ?? 'file', reprocessOf);
      return outcomes.map((outcome) => (batchNote === undefined ? outcome.result : { ...outcome.result, batchNote }));
    },

    stats() {
      return {
        senders: [...senders.values()].map((counters) => ({ ...counters })),
        recent: [...recent],
        totals: { ...totals },
      };
    },
  };
}
