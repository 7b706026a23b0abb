import type { Sealer } from '../../../shared/crypto/envelope';
import type { NormalizedIntake } from '../../../shared/domain/clinical';
import { sealIntakeRecord, type SealedIntakeRecord } from '../intake-pipeline';
import { ackCodesFor, ackReplyOptions, buildAckText, newAckId, type AckCode, type AckIdentity } from './hl7-ack';
import { dedupeKeyHash, payloadHash } from './hl7-duplicates';
import { parseHl7, type Hl7Message, type MshHeader } from './hl7-front-end';
import { mapHl7Message, type MappingContext, type MappingResult } from './hl7-mapping';

/**
 * The CPU-heavy part of taking in one MLLP frame, done ahead of the duplicate check and the journal
 * append: parse, duplicate key and payload hash, mapping, the planned ACKs, and sealing (raw bytes
 * and metadata). It touches no storage and no shared state, so it runs on an intake worker thread
 * (hl7-prepare-worker.ts) while the listener's thread keeps the sockets, the duplicate index and
 * the journal. What it prepares assumes the common case, a NEW message that is stored; the
 * listener's thread checks that at commit time and otherwise handles the frame itself with the
 * full path in hl7-intake.ts (duplicates, conflicts, rejections, batches, quarantine), which is
 * rare and so may be slower.
 */

export interface PrepareFrameRequest {
  /** The frame's payload (one message, or a batch, or anything a sender put between the MLLP bytes). */
  readonly frame: Uint8Array;
  /** When the frame arrived (ms since the epoch). */
  readonly receivedAt: number;
  /** Charset when MSH-18 is empty (an MSH-18 value). */
  readonly defaultCharset?: string;
  readonly maxMessageBytes: number;
  readonly identity?: AckIdentity;
}

/** What the monitor's counters and recent list show of a message's MSH (read from the bytes as latin1, as ACKs echo it). */
export type HeaderSummary = Pick<MshHeader, 'sendingApplication' | 'sendingFacility' | 'controlId' | 'messageType'>;

/**
 * A new message, mapped to a patient and sealed: all the listener's thread has left to do is
 * commit it. Kept small: it is copied between threads for every message.
 */
export interface PreparedMessage {
  readonly summary: HeaderSummary;
  readonly keyHash: string;
  readonly payload: string;
  /** The ACK codes and texts for "stored" (segments joined by CR, no final CR). */
  readonly codes: AckCode[];
  readonly ackTexts: string[];
  /** The ACKs' id (newAckId): kept in the record's duplicate tag, so a resend is answered with the same bytes. */
  readonly ackId: string;
  readonly mapping: NonNullable<NormalizedIntake['hl7']>['mapping'] | undefined;
  readonly sealed: SealedIntakeRecord;
}

/**
 * A new message mapped to a patient whose raw bytes are too large to travel inline in a journal
 * record: the listener's thread seals and stores them (an object file), without parsing again.
 */
export interface MappedMessage extends Omit<PreparedMessage, 'sealed'> {
  /** As stored (the first ACK code recorded in it). */
  readonly normalized: NormalizedIntake;
  /** When the frame arrived (ms since the epoch). */
  readonly receivedAt: number;
}

/** Why a frame goes the full path on the listener's thread instead ('fast-path': small, not worth a hand-off). */
export type InThreadReason = 'batch' | 'rejected' | 'too-large' | 'no-patient' | 'charset' | 'mapping-failed' | 'not-inline' | 'fast-path';

export type PreparedFrame =
  | { readonly kind: 'prepared'; readonly message: PreparedMessage }
  | { readonly kind: 'mapped'; readonly message: MappedMessage }
  | { readonly kind: 'in-thread'; readonly reason: InThreadReason }
  /** The budget worker (hl7-budget-worker.ts) gave up on the frame after `budgetMs`: it is quarantined and answered AE. */
  | { readonly kind: 'over-budget'; readonly budgetMs: number };

/** What a held message's content hash starts with when its charset was doubted (charsetDoubt), so that it is not the content of the message read so by the operator's choice. */
const DOUBTED = 'hl7-charset-doubted\0';

/**
 * The duplicate key hash and payload hash of a parsed message (design §4: MSH-3 + MSH-4 + MSH-10,
 * with the content's hash). `doubted`: the message is held because its bytes read as UTF-8 under
 * a single-byte charset (hl7-front-end.ts, charsetDoubt): a resend of it is a duplicate of the
 * held record, but the same text read by the operator's choice of that charset at reprocess is not
 * (else it would be answered "as before" and the entry could never be filed).
 */
export function dedupeHashesOf(message: Hl7Message, doubted = false): { keyHash: string; payload: string } {
  const header = message.wireHeader;
  return {
    keyHash: dedupeKeyHash({ sendingApplication: header.fields[3] ?? '', sendingFacility: header.fields[4] ?? '', controlId: message.header.controlId }),
    payload: payloadHash(doubted ? DOUBTED + message.text : message.text),
  };
}

/** The ACK codes, texts and ACK id for a message that was stored (MLLP; a file import gets none). */
export function storedAcks(header: MshHeader, identity: AckIdentity, now: Date): { codes: AckCode[]; texts: string[]; ackId: string } {
  const codes = ackCodesFor(header, { kind: 'stored' });
  const ackId = newAckId(now.getTime());
  return { codes, texts: codes.map((code, i) => buildAckText(header, code, undefined, { ...identity, ...ackReplyOptions(ackId, i) })), ackId };
}

/**
 * The normalized intake as stored: the mapping's, with the first ACK code sent and the ACK texts
 * (MLLP; none for a file) recorded in it, so the message browser shows the ACK that was sent.
 */
export function withAckCode(normalized: NormalizedIntake, code: AckCode | undefined, texts: readonly string[] = []): NormalizedIntake {
  if (code === undefined) return normalized;
  return { ...normalized, hl7: { ...normalized.hl7!, ack: code, ...(texts.length === 0 ? {} : { ackTexts: texts.map((ack) => ack.slice(0, 4000)) }) } };
}

/** mapHl7Message, with a throw turned into a result (a mapping bug must not lose the message). */
export function mapSafely(message: Hl7Message, context: MappingContext): MappingResult | { readonly kind: 'failed'; readonly error: unknown } {
  try {
    return mapHl7Message(message, context);
  } catch (error) {
    return { kind: 'failed', error };
  }
}

function summaryOf(header: MshHeader): HeaderSummary {
  return { sendingApplication: header.sendingApplication, sendingFacility: header.sendingFacility, controlId: header.controlId, messageType: header.messageType };
}

/** Prepares one MLLP frame for the common case (see the file comment), sealing with `sealer`. */
export async function prepareHl7Frame(sealer: Sealer, request: PrepareFrameRequest): Promise<PreparedFrame> {
  const input = parseHl7(request.frame, request.defaultCharset === undefined ? {} : { defaultCharset: request.defaultCharset });
  if (input.batch !== null || input.items.length !== 1) return { kind: 'in-thread', reason: 'batch' };
  const item = input.items[0]!;
  if (!item.ok) return { kind: 'in-thread', reason: 'rejected' };
  const message = item.message;
  if (message.raw.length > request.maxMessageBytes) return { kind: 'in-thread', reason: 'too-large' };
  // Held in the quarantine (its bytes read as UTF-8 under a single-byte MSH-18): the full path.
  if (message.charsetDoubt !== undefined) return { kind: 'in-thread', reason: 'charset' };
  const { keyHash, payload } = dedupeHashesOf(message);
  const receivedAt = new Date(request.receivedAt);
  const mapped = mapSafely(message, { channel: 'hl7-mllp', receivedAt, dedupeKey: keyHash, payloadSha256: payload, conflict: false });
  if (mapped.kind === 'failed') return { kind: 'in-thread', reason: 'mapping-failed' };
  if (mapped.kind !== 'patient') return { kind: 'in-thread', reason: 'no-patient' };
  const acks = storedAcks(message.wireHeader, request.identity ?? {}, new Date());
  const normalized = withAckCode(mapped.normalized, acks.codes[0], acks.texts);
  const sealed = await sealIntakeRecord(sealer, { kind: 'intake.hl7', raw: message.raw, normalized, receivedAt });
  const common = { summary: summaryOf(message.wireHeader), keyHash, payload, codes: acks.codes, ackTexts: acks.texts, ackId: acks.ackId, mapping: normalized.hl7?.mapping };
  // Too large to travel inline: the listener's thread seals the raw bytes into an object file, but parses nothing.
  if (sealed === null) return { kind: 'mapped', message: { ...common, normalized, receivedAt: request.receivedAt } };
  return { kind: 'prepared', message: { ...common, sealed } };
}
